import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { JsonSyntaxError, parseJsonDocument, toPlainJson, type JsonNode } from "../../../../src/policy/config/index.js";

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
