/**
 * The identity-regexp engine: RE2 semantics, whole-value matches, and linear time. Linear time is shown by
 * correctness on inputs no backtracking engine could finish: `(a+)+b` against n letters `a` costs a backtracking
 * engine about 2^n steps (2^100000 here), RE2 a constant number of passes over the input. If the engine
 * backtracked, this file would not return; it returns with the right answer.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileFullMatch, linearRegexpProblem, REGEXP_MAX_LENGTH } from "../../../src/internal/linear-regexp.js";
import { compileIdentityPolicy } from "../../../src/signatures/bundle/identity-match.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";

const CATASTROPHIC = ["(a+)+b", "(a|aa)+b", "(a*)*b", "(a|a)*b", "(a+a+)+b"];

describe("linear-time identity regexps", () => {
  test("classic catastrophic patterns on 100000 characters return the right answer", () => {
    const long = "a".repeat(100_000);
    for (const pattern of CATASTROPHIC) {
      const matches = compileFullMatch(pattern);
      assert.equal(matches(long), false, pattern);
      assert.equal(matches(`${long}b`), true, pattern);
      assert.equal(matches(`${long}!b`), false, pattern);
    }
    // (a?){n}a{n} against a^n: exponential for backtracking engines (Russ Cox's example), linear for RE2.
    const nested = compileFullMatch("(?:a?){500}a{500}");
    assert.equal(nested("a".repeat(500)), true);
    assert.equal(nested("a".repeat(499)), false);
    assert.equal(nested("a".repeat(1000)), true);
    assert.equal(nested("a".repeat(1001)), false);
  });

  test("agrees with JavaScript's RegExp where that one can finish (short inputs)", () => {
    for (const pattern of CATASTROPHIC) {
      const reference = new RegExp(`^(?:${pattern})$`);
      const matches = compileFullMatch(pattern);
      for (let n = 0; n <= 16; n++) {
        for (const input of ["a".repeat(n), `${"a".repeat(n)}b`, `${"a".repeat(n)}c`, `b${"a".repeat(n)}`]) {
          assert.equal(matches(input), reference.test(input), `${pattern} on ${JSON.stringify(input)}`);
        }
      }
    }
  });

  test("a pattern must match the whole value, and cannot escape the anchoring", () => {
    const email = compileFullMatch("user@example\\.com");
    assert.equal(email("user@example.com"), true);
    assert.equal(email("user@example.com.evil.net"), false);
    assert.equal(email("evil-user@example.com"), false);
    assert.equal(email("user@example.com\n"), false, "$ is the end of the value, not of a line");
    assert.equal(compileFullMatch(".*@example\\.com")("someone@example.com"), true);
    assert.equal(compileFullMatch(".*@example\\.com")("a\nb@example.com"), false, ". does not match a newline");
    // Whole-value semantics, not leftmost-first-then-check: the second alternative matches all of "ab".
    assert.equal(compileFullMatch("a|ab")("ab"), true);
    // A multi-line flag inside the pattern stays inside its group: the outer anchor still ends the value.
    assert.equal(compileFullMatch("(?m)abc$")("abc\nxyz"), false);
    assert.equal(compileFullMatch("https://github\\.com/org/.*")("https://github.com/org/repo/.github/workflows/x.yml@refs/heads/main"), true);
    assert.equal(compileFullMatch("https://github\\.com/org/.*")("https://github.com/organisation/repo"), false);
  });

  test("what RE2 refuses is refused, with one line saying why", () => {
    for (const pattern of ["(a", "a)|(b", "(a)\\1", "(?=a)b", "a(?!b)", "x{1001}", "\\u0041"]) {
      const problem = linearRegexpProblem(pattern);
      assert.ok(problem !== undefined && !problem.includes("\n"), `${pattern}: ${problem}`);
      assert.throws(() => compileFullMatch(pattern), { message: problem });
    }
    assert.equal(linearRegexpProblem("a".repeat(REGEXP_MAX_LENGTH + 1)), `longer than ${REGEXP_MAX_LENGTH} characters`);
    assert.equal(linearRegexpProblem("a".repeat(REGEXP_MAX_LENGTH)), undefined);
  });

  test("an identity policy with an invalid regexp is IDENTITY_POLICY_INVALID", async () => {
    await assertRejectsWithCode(() => compileIdentityPolicy({ kind: "identity", subjectRegExp: "a)|(b", issuer: "https://issuer.example" }), "IDENTITY_POLICY_INVALID");
    await assertRejectsWithCode(() => compileIdentityPolicy({ kind: "identity", subject: "s@example.com", issuerRegExp: "(a)\\1" }), "IDENTITY_POLICY_INVALID");
    const compiled = compileIdentityPolicy({ kind: "identity", subjectRegExp: "(a+)+@example\\.com", issuer: "https://issuer.example" });
    assert.equal(compiled.subjectMatches?.(`${"a".repeat(50_000)}@example.com`), true);
    assert.equal(compiled.subjectMatches?.(`${"a".repeat(50_000)}@example.com.evil.net`), false);
  });
});
