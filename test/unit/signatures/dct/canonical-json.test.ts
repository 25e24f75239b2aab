import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CanonicalJsonError, notaryCanonicalJson } from "../../../../src/signatures/dct/canonical-json.js";

const text = (value: unknown) => notaryCanonicalJson(value).toString("utf8");

describe("Notary canonical JSON (docker/go canonical/json MarshalCanonical over a decoded map)", () => {
  test("keys sorted, no whitespace, integers written as integers", () => {
    assert.equal(text({ S: "", I: 0, F: 0, E: null }), '{"E":null,"F":0,"I":0,"S":""}');
    assert.equal(text({ b: [1, true, false, null], a: { d: 1000000, c: -5 } }), '{"a":{"c":-5,"d":1000000},"b":[1,true,false,null]}');
    // float64 -> int64: large integers are written in full, never as 1e+18.
    assert.equal(text({ n: 1e18 }), '{"n":1000000000000000000}');
    assert.throws(() => notaryCanonicalJson({ n: 1e21 }), CanonicalJsonError);
  });

  test("only \" and \\ are escaped: control characters and non-ASCII are written as their bytes (docker/go's test)", () => {
    assert.deepEqual(notaryCanonicalJson("\u0090 \t \\ \n \""), Buffer.from('"\u0090 \t \\\\ \n \\""', "utf8"));
    assert.equal(text({ html: "<&>", line: "\u2028" }), '{"html":"<&>","line":"\u2028"}');
  });

  test("keys are sorted by their UTF-8 bytes, as Go compares strings (not by UTF-16 code units)", () => {
    // U+FF61 is EF BD A1 in UTF-8, before F0 9F 98 80 (U+1F600); in UTF-16 the surrogate D83D sorts first.
    assert.equal(text({ "\u{1f600}": 1, "\uff61": 2 }), '{"\uff61":2,"\u{1f600}":1}');
  });

  test("a fraction, a lone surrogate or a non-JSON value cannot be encoded", () => {
    assert.throws(() => notaryCanonicalJson({ a: 1.5 }), CanonicalJsonError);
    assert.throws(() => notaryCanonicalJson({ a: "\ud800" }), CanonicalJsonError);
    assert.throws(() => notaryCanonicalJson({ a: undefined }), CanonicalJsonError);
  });
});
