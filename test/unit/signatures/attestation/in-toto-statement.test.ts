import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sha256Digest } from "../../../../src/internal/digest.js";
import { buildAttestationStatement } from "../../../../src/signatures/attestation/build-statement.js";
import { checkAttestationPayload } from "../../../../src/signatures/attestation/check-attestation.js";
import { IN_TOTO_PAYLOAD_TYPE } from "../../../../src/signatures/attestation/dsse.js";
import { parseInTotoStatement, serializeStatement } from "../../../../src/signatures/attestation/in-toto-statement.js";
import { PredicateType, resolvePredicateType } from "../../../../src/signatures/attestation/predicate-types.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const image = sha256Digest(Buffer.from("image"));
const hex = image.slice("sha256:".length);
const statement = (fields: Record<string, unknown>) =>
  Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject: [{ name: "r", digest: { sha256: hex } }], predicateType: "https://example.test/p", predicate: {}, ...fields }));

describe("in-toto statements", () => {
  test("a statement naming the image, of the required type, passes", () => {
    const checked = checkAttestationPayload(IN_TOTO_PAYLOAD_TYPE, statement({}), { imageDigest: image, predicateType: "https://example.test/p" });
    assert.equal(checked.statement.predicateType, "https://example.test/p");
    assert.equal(checked.subject.name, "r");
  });

  test("v0.1 statements (cosign 2.x) are read too", () => {
    assert.equal(parseInTotoStatement(statement({ _type: "https://in-toto.io/Statement/v0.1" }))._type, "https://in-toto.io/Statement/v0.1");
  });

  test("another payload type is ATTESTATION_INVALID (A.11)", async () => {
    await assertRejectsWithCode(() => checkAttestationPayload("application/json", statement({}), { imageDigest: image }), "ATTESTATION_INVALID");
  });

  test("another predicate type is ATTESTATION_TYPE_MISMATCH", async () => {
    await assertRejectsWithCode(() => checkAttestationPayload(IN_TOTO_PAYLOAD_TYPE, statement({}), { imageDigest: image, predicateType: PredicateType.slsaprovenance }), "ATTESTATION_TYPE_MISMATCH");
  });

  const notBound: [string, unknown][] = [
    ["another image", [{ digest: { sha256: sha256Digest(Buffer.from("other")).slice(7) } }]],
    ["only a sha512 digest (never guessing sha256)", [{ digest: { sha512: "ab".repeat(64) } }]],
    ["an upper-case digest", [{ digest: { sha256: hex.toUpperCase() } }]],
  ];
  for (const [name, subject] of notBound) {
    test(`a subject naming ${name} is ATTESTATION_SUBJECT_MISMATCH (A.12)`, async () => {
      await assertRejectsWithCode(() => checkAttestationPayload(IN_TOTO_PAYLOAD_TYPE, statement({ subject }), { imageDigest: image }), "ATTESTATION_SUBJECT_MISMATCH");
    });
  }

  const malformed: [string, Buffer][] = [
    ["an empty subject list (A.12)", statement({ subject: [] })],
    ["a null subject (A.12)", statement({ subject: null })],
    ["a subject without digests", statement({ subject: [{ name: "x" }] })],
    ["another _type", statement({ _type: "https://example.com/Statement/v1" })],
    ["no predicateType", statement({ predicateType: undefined })],
    ["an empty payload (A.5)", Buffer.alloc(0)],
    ["a payload that is not JSON (A.5)", Buffer.from("not json")],
    ["a payload that is not in-toto (A.5)", Buffer.from('{"critical":{}}')],
    ["invalid UTF-8", Buffer.from([0x7b, 0xff, 0x7d])],
    ["a duplicated predicateType", Buffer.from(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"a","predicateType":"b","subject":[{"digest":{"sha256":"${hex}"}}]}`)],
  ];
  for (const [name, bytes] of malformed) {
    test(`${name} is ATTESTATION_INVALID`, async () => {
      await assertRejectsWithCode(() => checkAttestationPayload(IN_TOTO_PAYLOAD_TYPE, bytes, { imageDigest: image }), "ATTESTATION_INVALID");
    });
  }
});

describe("building statements as cosign attest does", () => {
  const now = new Date("2026-01-02T03:04:05.678Z");
  test("custom: the file's text wrapped in Data with a Timestamp, predicate type cosign's v1", () => {
    const built = buildAttestationStatement({ type: "custom", predicate: Buffer.from("hello"), imageDigest: image, repository: "reg/app", now });
    assert.equal(
      serializeStatement(built).toString(),
      `{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://cosign.sigstore.dev/attestation/v1","subject":[{"name":"reg/app","digest":{"sha256":"${hex}"}}],"predicate":{"Data":"hello","Timestamp":"2026-01-02T03:04:05Z"}}`,
    );
  });

  test("a predicate type URI keeps the JSON predicate, with sorted keys (a Go map)", () => {
    const built = buildAttestationStatement({ type: "https://example.test/p/v1", predicate: Buffer.from('{"b":1,"a":{"d":2,"c":3}}'), imageDigest: image, repository: "reg/app" });
    assert.equal(built.predicateType, "https://example.test/p/v1");
    assert.equal(JSON.stringify(built.predicate), '{"a":{"c":3,"d":2},"b":1}');
  });

  test("slsaprovenance needs builder and buildType, as cosign requires", async () => {
    await assertRejectsWithCode(() => buildAttestationStatement({ type: "slsaprovenance", predicate: Buffer.from('{"buildType":"x"}'), imageDigest: image, repository: "r" }), "USAGE");
    const built = buildAttestationStatement({ type: "slsaprovenance", predicate: Buffer.from('{"builder":{"id":"b"},"buildType":"x"}'), imageDigest: image, repository: "r" });
    assert.equal(built.predicateType, "https://slsa.dev/provenance/v0.2");
    assert.equal(resolvePredicateType("slsaprovenance1"), "https://slsa.dev/provenance/v1");
  });

  test("spdx keeps the document as a string; spdxjson and cyclonedx as JSON", () => {
    assert.equal(buildAttestationStatement({ type: "spdx", predicate: Buffer.from("SPDXVersion: 2.3"), imageDigest: image, repository: "r" }).predicate, "SPDXVersion: 2.3");
    assert.deepEqual(buildAttestationStatement({ type: "cyclonedx", predicate: Buffer.from('{"bomFormat":"CycloneDX"}'), imageDigest: image, repository: "r" }).predicate, { bomFormat: "CycloneDX" });
  });

  test("an invalid type or an empty predicate is a usage error", async () => {
    await assertRejectsWithCode(() => resolvePredicateType("not a uri"), "USAGE");
    await assertRejectsWithCode(() => buildAttestationStatement({ type: "custom", predicate: Buffer.alloc(0), imageDigest: image, repository: "r" }), "USAGE");
  });
});
