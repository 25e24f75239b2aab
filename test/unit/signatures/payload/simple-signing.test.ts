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
  test("a payload this process wrote reads back what parsing its bytes gives; changed bytes are parsed as they are", () => {
    for (const dockerReference of ["example.com/a", "127.0.0.1:5000/x/y", "r<&>\u2028"]) {
      const written = createSimpleSigningPayload({ dockerReference, manifestDigest: digest });
      assert.deepEqual(parseSimpleSigningPayload(written), parseSimpleSigningPayload(Buffer.from(written)), dockerReference);
    }
    const written = createSimpleSigningPayload({ dockerReference: "example.com/a", manifestDigest: digest });
    written.write("b", written.indexOf("example.com/a") + "example.com/".length);
    assert.equal(parseSimpleSigningPayload(written).critical.identity["docker-reference"], "example.com/b");
  });
  test("anything else is SIG_PAYLOAD_INVALID", async () => {
    for (const text of ["", "null", "[]", '{"critical":{}}', '{"critical":{"type":"cosign container image signature"}}', "\xff\xfe"]) {
      await assertRejectsWithCode(() => parseSimpleSigningPayload(Buffer.from(text, "latin1")), "SIG_PAYLOAD_INVALID");
    }
  });

  const DIGEST = `sha256:${"a".repeat(64)}`;
  const OTHER = `sha256:${"b".repeat(64)}`;
  const TYPE = "cosign container image signature";
  const critical = `"identity":{"docker-reference":"example.com/app"},"image":{"docker-manifest-digest":"${DIGEST}"},"type":"${TYPE}"`;
  const valid = `{"critical":{${critical}},"optional":null}`;

  test("reads cosign's payload with optional null or an object with unknown fields (containers/image's rules)", () => {
    const parsed = parseSimpleSigningPayload(Buffer.from(valid));
    assert.equal(parsed.critical.image["docker-manifest-digest"], DIGEST);
    assert.equal(parsed.critical.identity["docker-reference"], "example.com/app");
    const annotated = parseSimpleSigningPayload(Buffer.from(valid.replace('"optional":null', '"optional":{"creator":"x","anything":[1],"Creator":2}')));
    assert.deepEqual(annotated.optional, { creator: "x", anything: [1], Creator: 2 });
  });

  test("refuses every payload cosign or containers/image refuses, or that could name another digest to cosign", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["duplicate docker-manifest-digest", valid.replace(`"docker-manifest-digest":"${DIGEST}"`, `"docker-manifest-digest":"${DIGEST}","docker-manifest-digest":"${OTHER}"`), /duplicate key "docker-manifest-digest"/],
      ["case-variant digest key", valid.replace(`"docker-manifest-digest":"${DIGEST}"`, `"docker-manifest-digest":"${DIGEST}","Docker-Manifest-Digest":"${OTHER}"`), /case variant of "docker-manifest-digest"/],
      ["Kelvin-sign variant", valid.replace(`"docker-manifest-digest":"${DIGEST}"`, `"docker-manifest-digest":"${DIGEST}","doc\u212aer-manifest-digest":"${OTHER}"`), /case variant/],
      ["case-variant image object", valid.replace(`"type":"${TYPE}"`, `"type":"${TYPE}","IMAGE":{"docker-manifest-digest":"${OTHER}"}`), /"IMAGE" in critical, a case variant of "image"/],
      ["case-variant critical", `{"critical":{${critical}},"Critical":{${critical.replace(DIGEST, OTHER)}},"optional":null}`, /case variant of "critical"/],
      ["leading BOM", `\ufeff${valid}`, /byte order mark/],
      ["trailing bytes", `${valid}x`, /after the end/],
      ["a second document", `${valid}${valid}`, /after the end/],
      ["missing optional", `{"critical":{${critical}}}`, /lacks the field "optional"/],
      ["unknown critical field", valid.replace(`"type":"${TYPE}"`, `"type":"${TYPE}","extra":1`), /unknown field "extra" in critical/],
      ["unknown top-level field", valid.replace('"optional":null', '"optional":null,"extra":1'), /unknown field "extra"/],
      ["unknown image field", valid.replace(`"${DIGEST}"}`, `"${DIGEST}","x":1}`), /unknown field "x" in critical.image/],
      ["missing type", valid.replace(`,"type":"${TYPE}"`, ""), /lacks the field "type"/],
      ["atomic type", valid.replace(TYPE, "atomic container signature"), /critical.type/],
      ["invalid digest", valid.replace(DIGEST, "sha256:../x"), /invalid critical.image.docker-manifest-digest/],
      ["digest of wrong type", valid.replace(`"${DIGEST}"`, "5"), /invalid critical.image.docker-manifest-digest/],
      ["reference of wrong type", valid.replace('"example.com/app"', "5"), /docker-reference that is 5/],
      ["critical null", '{"critical":null,"optional":null}', /critical that is null/],
      ["optional a string", valid.replace('"optional":null', '"optional":"text"'), /optional section/],
      ["creator not a string", valid.replace('"optional":null', '"optional":{"creator":5}'), /optional.creator/],
      ["fractional timestamp", valid.replace('"optional":null', '"optional":{"timestamp":1.5}'), /optional.timestamp/],
      ["duplicate annotation", valid.replace('"optional":null', '"optional":{"a":"1","a":"2"}'), /duplicate key "a"/],
      ["not JSON", "this is not a signature", /not valid JSON/],
    ];
    for (const [name, text, pattern] of cases) {
      const error = await assertRejectsWithCode(() => parseSimpleSigningPayload(Buffer.from(text, "utf8")), "SIG_PAYLOAD_INVALID");
      assert.match(error.message, pattern, name);
    }
    await assertRejectsWithCode(() => parseSimpleSigningPayload(Buffer.from([0x7b, 0xff])), "SIG_PAYLOAD_INVALID");
  });
});
