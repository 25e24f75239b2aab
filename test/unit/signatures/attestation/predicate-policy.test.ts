import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkPredicatePolicy, parsePredicatePolicy } from "../../../../src/signatures/attestation/predicate-policy.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const statement = {
  _type: "https://in-toto.io/Statement/v0.1",
  predicateType: "https://slsa.dev/provenance/v0.2",
  subject: [{ name: "app", digest: { sha256: "ab" } }],
  predicate: { builder: { id: "https://example.test/b" }, buildType: "https://example.test/t", metadata: { reproducible: true, completeness: { parameters: false } }, invocation: { configSource: {} }, attempts: 3 },
};

describe("verify-attestation --policy: the CUE subset", () => {
  test("nested structs, the a: b: c shorthand, quoted labels, comments, commas and repeated fields unify", () => {
    const policy = parsePredicatePolicy(
      `// provenance from our builder
predicate: {
  builder: id: "https://example.test/b"
  "buildType": "https://example.test/t", attempts: 3
}
predicate: metadata: { reproducible: true, completeness: parameters: false }
predicateType: "https://slsa.dev/provenance/v0.2"
`,
      "p.cue",
    );
    assert.deepEqual(checkPredicatePolicy(policy, statement), []);
  });

  test("a different value, a missing field, a struct where the statement has a value: each reported with its path", () => {
    const policy = parsePredicatePolicy('predicate: builder: id: "https://other.test/b"\npredicate: signer: "x"\nsubject: name: "app"\nattempts: 4\n', "p.cue");
    const problems = checkPredicatePolicy(policy, statement);
    assert.equal(problems.length, 4, problems.join("\n"));
    assert.match(problems[0]!, /^predicate\.builder\.id: conflicting values "https:\/\/other\.test\/b" and "https:\/\/example\.test\/b"$/);
    assert.match(problems[1]!, /^predicate\.signer: missing/);
    assert.match(problems[2]!, /^subject: the policy wants a struct/);
    assert.match(problems[3]!, /^attempts: missing/);
    // Types are compared too: 3 is not "3".
    assert.equal(checkPredicatePolicy(parsePredicatePolicy('predicate: attempts: "3"', "p.cue"), statement).length, 1);
  });

  test("what CUE has and the subset lacks is refused with its position (POLICY_CONFIG_INVALID), never read as weaker", async () => {
    for (const text of [
      'import "time"\npredicate: x: 1',
      "predicate: attempts: <=3",
      'predicate: id: "a" | "b"',
      'predicate: id: =~"^https://"',
      "predicate: list: [1, 2]",
      "#Def: {}",
      "predicate: builder: id: before",
      "predicate: x: 1\npredicate: x: 2",
      'predicate: { id: "a"',
      '"unterminated',
      "a: 1 b: 2",
    ]) {
      await assertRejectsWithCode(() => parsePredicatePolicy(text, "p.cue"), "POLICY_CONFIG_INVALID");
    }
    const error = await assertRejectsWithCode(() => parsePredicatePolicy("predicate: attempts: <=3", "p.cue"), "POLICY_CONFIG_INVALID");
    assert.match(error.message, /^p\.cue:1:22: /);
  });
});
