import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { JsonSyntaxError, caseVariantProblem, findCaseVariantKey, goFoldKey, parseJsonDocument, parseSignedJson, toPlainJson, type JsonNode } from "../../../src/internal/json-reader.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";

function syntaxError(text: string): JsonSyntaxError {
  try {
    parseJsonDocument(text);
  } catch (error) {
    assert.ok(error instanceof JsonSyntaxError, `expected a JsonSyntaxError, got ${String(error)}`);
    return error;
  }
  assert.fail(`${JSON.stringify(text)} parsed, but it is not valid JSON`);
}

describe("parseJsonDocument", () => {
  test("gives the same values as JSON.parse for valid documents", () => {
    for (const text of ['{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n\\"/"], "b": {}}', "[]", '"s"', "0", ' {"k":"v"} \n']) {
      assert.deepEqual(toPlainJson(parseJsonDocument(text)), JSON.parse(text));
    }
  });

  test("keeps members in order with the line and column of keys and values", () => {
    const node = parseJsonDocument('{\n  "first": 1,\n    "second": [true]\n}');
    assert.equal(node.kind, "object");
    const members = (node as Extract<JsonNode, { kind: "object" }>).members;
    assert.deepEqual(members.map((m) => [m.key, m.keyPosition.line, m.keyPosition.column]), [["first", 2, 3], ["second", 3, 5]]);
    assert.deepEqual([members[1]!.value.position.line, members[1]!.value.position.column], [3, 15]);
  });

  test("refuses a duplicate key, naming where both are", () => {
    const error = syntaxError('{"a": 1,\n "a": 2}');
    assert.match(error.message, /duplicate key "a" \(first defined at line 1, column 2\)/);
    assert.deepEqual([error.position.line, error.position.column], [2, 2]);
  });

  test("refuses duplicates in nested objects too", () => {
    assert.match(syntaxError('{"x": {"k": 1, "k": 1}}').message, /duplicate key "k"/);
  });

  test("refuses trailing data, truncation and other malformed input with a position", () => {
    const cases: Array<[string, RegExp, number, number]> = [
      ['{"a": 1} x', /after the end of the JSON value/, 1, 10],
      ['{"a": 1}{"b": 2}', /after the end/, 1, 9],
      ['{"a": [1, 2', /expected "," or "\]"/, 1, 12],
      ['{"a": "unterminated', /not closed/, 1, 7],
      ["", /empty/, 1, 1],
      ['{"a": 01}', /invalid number/, 1, 7],
      ['{"a": tru}', /expected a JSON value/, 1, 7],
      ["{'a': 1}", /member name in double quotes/, 1, 2],
      ['{"a": 1,}', /member name/, 1, 9],
      ['["a\tb"]', /control character/, 1, 4],
      ['["\\x"]', /invalid escape/, 1, 3],
      ["\uFEFF{}", /byte order mark/, 1, 1],
    ];
    for (const [text, pattern, line, column] of cases) {
      const error = syntaxError(text);
      assert.match(error.message, pattern, text);
      assert.deepEqual([error.position.line, error.position.column], [line, column], `${JSON.stringify(text)}: ${error.message}`);
    }
  });

  test("refuses nesting deeper than the limit instead of exhausting the stack", () => {
    assert.match(syntaxError("[".repeat(100_000)).message, /nested more than/);
  });
});

describe("parseSignedJson (signed payloads)", () => {
  test("reads what JSON.parse reads when keys are unique", () => {
    const text = '{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}],"s":"{\\"x\\":1,\\"x\\":2}","__proto__":{"p":1}}';
    const value = parseSignedJson(Buffer.from(text), "t", "SIG_PAYLOAD_INVALID");
    assert.deepEqual(value, JSON.parse(text));
    assert.equal(Object.getPrototypeOf(value), Object.prototype, "a __proto__ key is an own property, never the prototype");
  });

  test("refuses duplicate keys at any depth, also when spelled with escapes", async () => {
    for (const text of ['{"a":1,"b":{"c":1,"c":2}}', '{"a\\"b":1,"a\\u0022b":2}', '[{"k":1},{"k":1,"k":2}]']) {
      const error = await assertRejectsWithCode(() => parseSignedJson(Buffer.from(text), "the payload", "SIG_PAYLOAD_INVALID"), "SIG_PAYLOAD_INVALID");
      assert.match(error.message, /^the payload is not valid JSON: duplicate key/);
    }
  });

  test("refuses a byte order mark, trailing bytes and invalid UTF-8 (Go refuses or alters them)", async () => {
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("{}")]), /byte order mark/],
      [Buffer.from("{} {}"), /after the end of the JSON value/],
      [Buffer.from("{}\u0000"), /after the end/],
      [Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), /not valid UTF-8/],
    ];
    for (const [bytes, pattern] of cases) {
      const error = await assertRejectsWithCode(() => parseSignedJson(bytes, "p", "ATTESTATION_INVALID"), "ATTESTATION_INVALID");
      assert.match(error.message, pattern);
    }
    assert.deepEqual(parseSignedJson(Buffer.from(" \r\n\t{}\n"), "p", "ATTESTATION_INVALID"), {}, "JSON whitespace around the value is fine");
  });
});

describe("parseSignedJson and parseJsonDocument agree", () => {
  const accepts = (read: () => unknown): boolean => {
    try {
      read();
      return true;
    } catch {
      return false;
    }
  };
  test("on every document, valid or not, and on its value", () => {
    const documents = [
      '{"a":1}', '{"a":1,"a":1}', '{"a":{"b":[{"c":1,"c":2}]}}', '{"a\\u0062":1,"ab":2}', '{"a":"\\"b\\"","b":{}}', '[1,2,{"x":[]}]',
      "\uFEFF{}", '{"a":1} ', '{"a":1} x', "{}{}", '{"a":01}', '{"a":1,}', "", " ", "nul", '"\\ud800"', "[1e400]", '{"__proto__":{"x":1}}',
      `${"[".repeat(128)}${"]".repeat(128)}`, `${"[".repeat(129)}${"]".repeat(129)}`, `{"k":${"{\"k\":".repeat(127)}1${"}".repeat(127)}}`,
    ];
    for (const text of documents) {
      const tree = accepts(() => parseJsonDocument(text));
      const signed = accepts(() => parseSignedJson(Buffer.from(text, "utf8"), "d", "SIG_PAYLOAD_INVALID"));
      assert.equal(signed, tree, `${JSON.stringify(text.slice(0, 40))}: parseSignedJson ${signed}, parseJsonDocument ${tree}`);
      if (tree) assert.deepEqual(parseSignedJson(Buffer.from(text, "utf8"), "d", "SIG_PAYLOAD_INVALID"), toPlainJson(parseJsonDocument(text)));
    }
  });
});

describe("Go's case-insensitive field matching", () => {
  test("goFoldKey folds as encoding/json does, including the non-ASCII letters that fold onto ASCII", () => {
    assert.equal(goFoldKey("docker-manifest-digest"), "DOCKER-MANIFEST-DIGEST");
    assert.equal(goFoldKey("Docker-Manifest-DIGEST"), "DOCKER-MANIFEST-DIGEST");
    assert.equal(goFoldKey("doc\u212aer-manife\u017ft-digest"), "DOCKER-MANIFEST-DIGEST");
    assert.equal(goFoldKey("cr\u0131t\u0130cal"), "CRITICAL");
    assert.notEqual(goFoldKey("docker_manifest_digest"), goFoldKey("docker-manifest-digest"));
  });

  test("findCaseVariantKey finds a key Go would read as a known field, and nothing else", () => {
    assert.deepEqual(findCaseVariantKey({ image: 1, Image: 2 }, ["image"]), { key: "Image", field: "image" });
    assert.deepEqual(findCaseVariantKey({ "docker-manifeſt-digest": 1 }, ["docker-manifest-digest"]), { key: "docker-manifeſt-digest", field: "docker-manifest-digest" });
    assert.equal(findCaseVariantKey({ image: 1, images: 2, other: 3 }, ["image"]), undefined);
    assert.match(caseVariantProblem({ SUBJECT: [] }, ["subject"], "the statement") ?? "", /"SUBJECT" in the statement, a case variant of "subject"/);
  });
});
