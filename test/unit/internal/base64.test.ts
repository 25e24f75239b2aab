import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeBase64Strict } from "../../../src/internal/base64.js";

describe("decodeBase64Strict", () => {
  test("go-std reads what Go's base64.StdEncoding reads: padded standard alphabet, CR and LF skipped", () => {
    assert.deepEqual(decodeBase64Strict("aGVsbG8="), Buffer.from("hello"));
    assert.deepEqual(decodeBase64Strict("aGVs\r\nbG8=\n"), Buffer.from("hello"));
    assert.deepEqual(decodeBase64Strict(""), Buffer.alloc(0));
  });

  test("go-std refuses what Go refuses and what Buffer.from would silently accept", () => {
    for (const text of ["aGVsbG8", "aGVsbG8=x", " aGVsbG8=", "aGVsbG8= ", "aGVs bG8=", "aGVsbG8_", "aGV-bG8=", "a===", "aGVsbG8==", "=aGVsbG8", "aGVs\tbG8="]) {
      assert.equal(decodeBase64Strict(text), undefined, JSON.stringify(text));
    }
  });

  test("std-exact allows no line breaks; std-or-url takes either alphabet, padded or not, never mixed", () => {
    assert.equal(decodeBase64Strict("aGVs\nbG8=", "std-exact"), undefined);
    assert.deepEqual(decodeBase64Strict("aGVsbG8", "std-or-url"), Buffer.from("hello"));
    assert.deepEqual(decodeBase64Strict("-_-_", "std-or-url"), Buffer.from("-_-_", "base64url"));
    assert.deepEqual(decodeBase64Strict("+/+/", "std-or-url"), Buffer.from("+/+/", "base64"));
    assert.equal(decodeBase64Strict("+/-_", "std-or-url"), undefined);
    assert.equal(decodeBase64Strict("a", "std-or-url"), undefined);
    assert.equal(decodeBase64Strict("aGVsbG8=x", "std-or-url"), undefined);
  });
});
