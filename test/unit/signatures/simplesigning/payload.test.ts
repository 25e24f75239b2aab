// The atomic container signature payload: byte-exact creation as containers/image writes it, and parsing as
// strictly as its strictUnmarshalJSON (signature/simple.go), plus the reference check upstream does later.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ATOMIC_SIGNATURE_TYPE, createAtomicPayload, parseAtomicPayload } from "../../../../src/signatures/simplesigning/payload.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const DIGEST = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const REFERENCE = "example.com/ns/app:1.0";

type Json = Record<string, unknown>;

function validObject(): Json {
  return JSON.parse(createAtomicPayload({ dockerReference: REFERENCE, manifestDigest: DIGEST, creator: "CREATOR", timestamp: 1484683104 }).toString("utf8")) as Json;
}

function at(value: Json, ...path: string[]): Json {
  let current = value;
  for (const key of path) current = current[key] as Json;
  return current;
}

function modified(change: (v: Json) => void): Buffer {
  const value = validObject();
  change(value);
  return Buffer.from(JSON.stringify(value), "utf8");
}

describe("createAtomicPayload", () => {
  test("writes the bytes containers/image writes: sorted keys, no trailing newline", () => {
    const bytes = createAtomicPayload({ dockerReference: REFERENCE, manifestDigest: DIGEST, creator: "CREATOR", timestamp: 1484683104 });
    assert.equal(
      bytes.toString("utf8"),
      `{"critical":{"identity":{"docker-reference":"${REFERENCE}"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"atomic container signature"},"optional":{"creator":"CREATOR","timestamp":1484683104}}`,
    );
  });

  test("an empty optional section is {} as upstream writes it", () => {
    const bytes = createAtomicPayload({ dockerReference: REFERENCE, manifestDigest: DIGEST });
    assert.equal(
      bytes.toString("utf8"),
      `{"critical":{"identity":{"docker-reference":"${REFERENCE}"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"atomic container signature"},"optional":{}}`,
    );
  });

  test("escapes HTML characters as Go's encoding/json does", () => {
    const bytes = createAtomicPayload({ dockerReference: REFERENCE, manifestDigest: DIGEST, creator: "a<b>&c" });
    assert.match(bytes.toString("utf8"), /"creator":"a\\u003cb\\u003e\\u0026c"/);
  });

  test("refuses what no verifier could accept", async () => {
    await assertRejectsWithCode(() => createAtomicPayload({ dockerReference: "UPPERCASEISINVALID", manifestDigest: DIGEST }), "REF_INVALID");
    await assertRejectsWithCode(() => createAtomicPayload({ dockerReference: REFERENCE, manifestDigest: "sha256:../../x" }), "DIGEST_INVALID");
    await assertRejectsWithCode(() => createAtomicPayload({ dockerReference: REFERENCE, manifestDigest: DIGEST, timestamp: 0.5 }), "USAGE");
  });
});

describe("parseAtomicPayload", () => {
  test("round-trips what createAtomicPayload writes", () => {
    const parsed = parseAtomicPayload(createAtomicPayload({ dockerReference: REFERENCE, manifestDigest: DIGEST, creator: "CREATOR", timestamp: 1484683104 }));
    assert.deepEqual(parsed, { dockerReference: REFERENCE, manifestDigest: DIGEST, creator: "CREATOR", timestamp: 1484683104 });
  });

  test("optional fields may be missing", () => {
    const parsed = parseAtomicPayload(createAtomicPayload({ dockerReference: REFERENCE, manifestDigest: DIGEST }));
    assert.deepEqual(parsed, { dockerReference: REFERENCE, manifestDigest: DIGEST });
  });

  test("unknown fields in optional are ignored (upstream's allowed modification)", () => {
    const parsed = parseAtomicPayload(modified((v) => (at(v, "optional")["unexpected"] = { nested: [1, 2, { x: null }] })));
    assert.equal(parsed.dockerReference, REFERENCE);
    assert.equal(parsed.creator, "CREATOR");
  });

  test("accepts a numeric timestamp written in exponent form, as Go's float64 decoding does", () => {
    const text = `{"critical":{"identity":{"docker-reference":"${REFERENCE}"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"${ATOMIC_SIGNATURE_TYPE}"},"optional":{"timestamp":1.5e3}}`;
    assert.equal(parseAtomicPayload(Buffer.from(text)).timestamp, 1500);
  });

  // Upstream's breakFns (TestUnmarshalJSON), each of which must be refused.
  const breaks: [string, (v: Json) => void][] = [
    ["critical missing", (v) => delete v["critical"]],
    ["optional missing", (v) => delete v["optional"]],
    ["extra top-level field", (v) => (v["unexpected"] = 1)],
    ["critical not an object", (v) => (v["critical"] = 1)],
    ["optional not an object", (v) => (v["optional"] = 1)],
    ["optional null", (v) => (v["optional"] = null)],
    ["critical.type missing", (v) => delete at(v, "critical")["type"]],
    ["critical.image missing", (v) => delete at(v, "critical")["image"]],
    ["critical.identity missing", (v) => delete at(v, "critical")["identity"]],
    ["unknown critical field", (v) => (at(v, "critical")["unexpected"] = 1)],
    ["type not a string", (v) => (at(v, "critical")["type"] = 1)],
    ["wrong type", (v) => (at(v, "critical")["type"] = "unexpected")],
    ["cosign type", (v) => (at(v, "critical")["type"] = "cosign container image signature")],
    ["image not an object", (v) => (at(v, "critical")["image"] = 1)],
    ["digest missing", (v) => delete at(v, "critical", "image")["docker-manifest-digest"]],
    ["unknown image field", (v) => (at(v, "critical", "image")["unexpected"] = 1)],
    ["digest not a string", (v) => (at(v, "critical", "image")["docker-manifest-digest"] = 1)],
    ["digest escapes a path", (v) => (at(v, "critical", "image")["docker-manifest-digest"] = "sha256:../..")],
    ["digest upper case", (v) => (at(v, "critical", "image")["docker-manifest-digest"] = DIGEST.toUpperCase())],
    ["digest truncated", (v) => (at(v, "critical", "image")["docker-manifest-digest"] = DIGEST.slice(0, -1))],
    ["identity not an object", (v) => (at(v, "critical")["identity"] = 1)],
    ["docker-reference missing", (v) => delete at(v, "critical", "identity")["docker-reference"]],
    ["unknown identity field", (v) => (at(v, "critical", "identity")["unexpected"] = 1)],
    ["docker-reference not a string", (v) => (at(v, "critical", "identity")["docker-reference"] = 1)],
    ["docker-reference null", (v) => (at(v, "critical", "identity")["docker-reference"] = null)],
    ["docker-reference invalid (UPPERCASEISINVALID)", (v) => (at(v, "critical", "identity")["docker-reference"] = "UPPERCASEISINVALID")],
    ["docker-reference empty", (v) => (at(v, "critical", "identity")["docker-reference"] = "")],
    ["creator not a string", (v) => (at(v, "optional")["creator"] = 1)],
    ["timestamp not a number", (v) => (at(v, "optional")["timestamp"] = "unexpected")],
    ["timestamp fractional", (v) => (at(v, "optional")["timestamp"] = 0.5)],
  ];
  for (const [name, change] of breaks) {
    test(`refuses: ${name}`, async () => {
      await assertRejectsWithCode(() => parseAtomicPayload(modified(change)), "SIG_PAYLOAD_INVALID");
    });
  }

  const valid = createAtomicPayload({ dockerReference: REFERENCE, manifestDigest: DIGEST, creator: "c", timestamp: 1 }).toString("utf8");
  const textBreaks: [string, string][] = [
    ["a repeated top-level key", valid.replace('"optional":{', '"optional":{},"optional":{')],
    ["a repeated critical key", valid.replace('"type":', '"type":"x","type":')],
    ["a repeated digest (another parser could pick the other one)", valid.replace('"docker-manifest-digest":', `"docker-manifest-digest":"sha256:${"b".repeat(64)}","docker-manifest-digest":`)],
    ["a repeated docker-reference", valid.replace('"docker-reference":', '"docker-reference":"evil.example/x","docker-reference":')],
    ["a repeated optional key", valid.replace('"creator":', '"creator":"a","creator":')],
    ["trailing data", `${valid} {}`],
    ["a trailing comma", valid.replace("}}", ",}}")],
    ["not JSON at all", "This is not JSON\n"],
    ["a JSON array", "[]"],
    ["JSON null", "null"],
    ["an empty document", ""],
    ["deep nesting in optional", valid.replace('"optional":{', `"optional":{"deep":${"[".repeat(100_000)}${"]".repeat(100_000)},`)],
  ];
  for (const [name, text] of textBreaks) {
    test(`refuses: ${name}`, async () => {
      await assertRejectsWithCode(() => parseAtomicPayload(Buffer.from(text, "utf8")), "SIG_PAYLOAD_INVALID");
    });
  }

  test("refuses bytes that are not UTF-8", async () => {
    const bytes = Buffer.concat([Buffer.from(valid.slice(0, 20)), Buffer.from([0xff, 0xfe]), Buffer.from(valid.slice(20))]);
    await assertRejectsWithCode(() => parseAtomicPayload(bytes), "SIG_PAYLOAD_INVALID");
  });

  test("tolerates insignificant whitespace and escapes, as any JSON parser must", () => {
    const text = ` ${valid.replace(/":/g, '" : ').replace(/,"/g, ' ,\n"').replace('"c"', '"\\u0063"')}\n`;
    const parsed = parseAtomicPayload(Buffer.from(text));
    assert.equal(parsed.dockerReference, REFERENCE);
    assert.equal(parsed.creator, "c");
  });

  test("the error says what is wrong", async () => {
    const error = await assertRejectsWithCode(() => parseAtomicPayload(modified((v) => (at(v, "critical")["unexpected"] = 1))), "SIG_PAYLOAD_INVALID");
    assert.match(error.message, /unknown field "unexpected" in critical/);
  });
});
