// Attestations signed with a key in both storage forms, and the malformed ones a verifier must refuse (A.4,
// A.5, A.11, A.12) whether they come as a legacy `.att` layer or as a sigstore bundle.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sha256Digest } from "../../../../src/internal/digest.js";
import { goJsonStringify } from "../../../../src/internal/go-json.js";
import { generateSigningKey, signWithKey } from "../../../../src/keys/index.js";
import { explainNoAttestation } from "../../../../src/signatures/attestation/attestation-results.js";
import { DSSE_LAYER_MEDIA_TYPE } from "../../../../src/signatures/attestation/discover-attestations.js";
import { IN_TOTO_PAYLOAD_TYPE, preAuthEncoding } from "../../../../src/signatures/attestation/dsse.js";
import { verifyAttestations } from "../../../../src/signatures/attestation/verify-attestations.js";
import type { UntrustedOciBundle } from "../../../../src/signatures/bundle-oci/index.js";
import type { SignerRequirement } from "../../../../src/signatures/cosign/keyless.js";
import { createDsseBundle } from "../../../../src/signatures/cosign/sign-bundle.js";
import type { UntrustedCosignSignature } from "../../../../src/signatures/verifier/records.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const key = generateSigningKey();
const otherKey = generateSigningKey();
const image = sha256Digest(Buffer.from("image"));
const hex = image.slice("sha256:".length);
const PREDICATE = "https://example.test/predicate/v1";
const signer: SignerRequirement = { kind: "key", publicKeys: [key.publicKey] };
const statement = (fields: Record<string, unknown> = {}) =>
  Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v0.1", predicateType: PREDICATE, subject: [{ name: "reg/app", digest: { sha256: hex } }], predicate: { a: 1 }, ...fields }));

/** A `.att` layer: a DSSE envelope signed over PAE(type, payload), as cosign writes it. */
function legacyLayer(payloadType: string, payload: Buffer, signingKey = key, rawPayload?: string): UntrustedCosignSignature {
  const sig = signWithKey(signingKey, preAuthEncoding(payloadType, payload)).toString("base64");
  const envelope = Buffer.from(goJsonStringify({ payloadType, payload: rawPayload ?? payload.toString("base64"), signatures: [{ keyid: "", sig }] }));
  return { layerDigest: sha256Digest(envelope), mediaType: DSSE_LAYER_MEDIA_TYPE, untrustedPayload: envelope, untrustedSignatureBase64: "", untrustedAnnotations: { "dev.cosignproject.cosign/signature": "", predicateType: PREDICATE } };
}

async function bundle(payloadType: string, payload: Buffer, signingKey = key): Promise<UntrustedOciBundle> {
  const { bundle: bytes } = await createDsseBundle({ key: signingKey }, payloadType, payload);
  return { manifestDigest: sha256Digest(bytes), mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", untrustedBundleBytes: bytes, untrustedAnnotations: {} };
}

const codesOf = (result: ReturnType<typeof verifyAttestations>) => result.rejected.map((r) => r.code);

describe("verifyAttestations with a key", () => {
  test("a legacy .att layer and a bundle of the required type both verify; the statement is returned", async () => {
    const result = verifyAttestations({ imageDigest: image, legacy: [legacyLayer(IN_TOTO_PAYLOAD_TYPE, statement())], bundles: [await bundle(IN_TOTO_PAYLOAD_TYPE, statement())], signer, predicateType: PREDICATE });
    assert.deepEqual(result.rejected, []);
    assert.deepEqual(result.verified.map((v) => v.format), ["cosign-legacy", "sigstore-bundle"]);
    assert.deepEqual(result.verified[0]!.statement.predicate, { a: 1 });
    assert.equal(result.verified[1]!.signer.tlog, "not-configured");
  });

  test("another key is SIG_INVALID in both forms", async () => {
    const result = verifyAttestations({ imageDigest: image, legacy: [legacyLayer(IN_TOTO_PAYLOAD_TYPE, statement(), otherKey)], bundles: [await bundle(IN_TOTO_PAYLOAD_TYPE, statement(), otherKey)], signer });
    assert.deepEqual(codesOf(result), ["SIG_INVALID", "SIG_INVALID"]);
  });

  test("a validly signed non-in-toto payload type is ATTESTATION_INVALID in both forms (A.5, A.11)", async () => {
    const result = verifyAttestations({ imageDigest: image, legacy: [legacyLayer("application/json", statement())], bundles: [await bundle("application/json", statement())], signer });
    assert.deepEqual(codesOf(result), ["ATTESTATION_INVALID", "ATTESTATION_INVALID"]);
  });

  const badPayloads: [string, Buffer, string[]][] = [
    ["not JSON", Buffer.from("hello"), ["ATTESTATION_INVALID", "SIG_PAYLOAD_INVALID"]],
    ["JSON but not in-toto", Buffer.from('{"critical":{"type":"x"}}'), ["ATTESTATION_INVALID", "SIG_PAYLOAD_INVALID"]],
    ["an empty subject", statement({ subject: [] }), ["ATTESTATION_INVALID", "SIG_PAYLOAD_INVALID"]],
  ];
  for (const [name, payload, expected] of badPayloads) {
    test(`a validly signed statement that is ${name} is rejected in both forms (A.5)`, async () => {
      const result = verifyAttestations({ imageDigest: image, legacy: [legacyLayer(IN_TOTO_PAYLOAD_TYPE, payload)], bundles: [await bundle(IN_TOTO_PAYLOAD_TYPE, payload)], signer });
      assert.deepEqual(codesOf(result), expected);
      assert.equal(result.verified.length, 0);
    });
  }

  test("an empty or non-base64 envelope payload is ATTESTATION_INVALID (A.5)", () => {
    const empty = legacyLayer(IN_TOTO_PAYLOAD_TYPE, Buffer.alloc(0), key, "");
    const notBase64 = legacyLayer(IN_TOTO_PAYLOAD_TYPE, Buffer.from("x"), key, "%%%");
    assert.deepEqual(codesOf(verifyAttestations({ imageDigest: image, legacy: [empty, notBase64], signer })), ["ATTESTATION_INVALID", "ATTESTATION_INVALID"]);
  });

  test("a statement about another image, or only by sha512, is rejected without guessing (A.12)", async () => {
    const other = statement({ subject: [{ digest: { sha256: sha256Digest(Buffer.from("other")).slice(7) } }] });
    const sha512 = statement({ subject: [{ digest: { sha512: "ab".repeat(64) } }] });
    const result = verifyAttestations({ imageDigest: image, legacy: [legacyLayer(IN_TOTO_PAYLOAD_TYPE, other), legacyLayer(IN_TOTO_PAYLOAD_TYPE, sha512)], bundles: [await bundle(IN_TOTO_PAYLOAD_TYPE, other)], signer });
    assert.deepEqual(codesOf(result), ["ATTESTATION_SUBJECT_MISMATCH", "ATTESTATION_SUBJECT_MISMATCH", "SIG_DIGEST_MISMATCH"]);
  });

  test("attestations of another type only: nothing verified, ATTESTATION_TYPE_MISMATCH; none at all: ATTESTATION_MISSING (A.4)", async () => {
    const result = verifyAttestations({ imageDigest: image, legacy: [legacyLayer(IN_TOTO_PAYLOAD_TYPE, statement())], signer, predicateType: "https://slsa.dev/provenance/v1" });
    assert.equal(result.verified.length, 0);
    await assertRejectsWithCode(() => {
      throw explainNoAttestation(image, result, ["memory:sha256-x.att"], "https://slsa.dev/provenance/v1");
    }, "ATTESTATION_TYPE_MISMATCH");
    await assertRejectsWithCode(() => {
      throw explainNoAttestation(image, verifyAttestations({ imageDigest: image, signer }), ["memory:sha256-x.att"], PREDICATE);
    }, "ATTESTATION_MISSING");
  });

  test("a layer that is not a DSSE envelope is ATTESTATION_INVALID", () => {
    const layer = { ...legacyLayer(IN_TOTO_PAYLOAD_TYPE, statement()), mediaType: "application/vnd.dev.cosign.simplesigning.v1+json" };
    assert.deepEqual(codesOf(verifyAttestations({ imageDigest: image, legacy: [layer], signer })), ["ATTESTATION_INVALID"]);
  });

  test("a bundle with a message signature instead of an envelope is ATTESTATION_INVALID", () => {
    const bytes = Buffer.from(JSON.stringify({ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", verificationMaterial: { publicKey: { hint: "x" } }, messageSignature: { messageDigest: { algorithm: "SHA2_256", digest: Buffer.from(hex, "hex").toString("base64") }, signature: "AA==" } }));
    const result = verifyAttestations({ imageDigest: image, bundles: [{ manifestDigest: sha256Digest(bytes), mediaType: "x", untrustedBundleBytes: bytes, untrustedAnnotations: {} }], signer });
    assert.deepEqual(codesOf(result), ["ATTESTATION_INVALID"]);
  });
});
