import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseDigest } from "../../../../src/internal/digest.js";
import { createSimpleSigningPayload, parseSimpleSigningPayload } from "../../../../src/signatures/payload/simple-signing.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const digest = parseDigest(`sha256:${"57a98010cab9a3f5f6aaeee2a727ba96f7c5f453b06031e9adebdf9b27f6c3f0"}`);

describe("cosign simple-signing payload", () => {
  test("bytes are exactly what cosign 2.5 writes (captured from a real cosign sign)", () => {
    const expected =
      '{"critical":{"identity":{"docker-reference":"127.0.0.1:36053/test/app"},"image":{"docker-manifest-digest":"sha256:57a98010cab9a3f5f6aaeee2a727ba96f7c5f453b06031e9adebdf9b27f6c3f0"},"type":"cosign container image signature"},"optional":null}';
    assert.equal(createSimpleSigningPayload({ dockerReference: "127.0.0.1:36053/test/app", manifestDigest: digest }).toString(), expected);
    const withAnnotation = createSimpleSigningPayload({ dockerReference: "127.0.0.1:36053/test/app", manifestDigest: digest, annotations: { foo: "bar" } });
    assert.equal(withAnnotation.toString(), expected.replace('"optional":null', '"optional":{"foo":"bar"}'));
  });
  test("annotations are sorted and HTML characters escaped, as Go's encoding/json does", () => {
    const bytes = createSimpleSigningPayload({ dockerReference: "r", manifestDigest: digest, annotations: { z: "1", a: "<&>" } });
    assert.match(bytes.toString(), /"optional":\{"a":"\\u003c\\u0026\\u003e","z":"1"\}\}$/);
    assert.deepEqual(parseSimpleSigningPayload(bytes).optional, { a: "<&>", z: "1" });
  });
  test("round trip", () => {
    const parsed = parseSimpleSigningPayload(createSimpleSigningPayload({ dockerReference: "example.com/a", manifestDigest: digest }));
    assert.equal(parsed.critical.identity["docker-reference"], "example.com/a");
    assert.equal(parsed.critical.image["docker-manifest-digest"], digest);
    assert.equal(parsed.optional, null);
  });
  test("anything else is SIG_PAYLOAD_INVALID", async () => {
    for (const text of ["", "null", "[]", '{"critical":{}}', '{"critical":{"type":"cosign container image signature"}}', "\xff\xfe"]) {
      await assertRejectsWithCode(() => parseSimpleSigningPayload(Buffer.from(text, "latin1")), "SIG_PAYLOAD_INVALID");
    }
  });
});
