/**
 * The one regular-expression engine for patterns that come from users (identity regexps in policies and on the
 * command line): RE2 semantics, matched in time linear in the input whatever the pattern, by re2js (a pure
 * JavaScript port of RE2: nothing to compile at install). RE2 has no backreferences and no lookaround, so a
 * pattern that would backtrack catastrophically in a JavaScript RegExp cannot be written; the syntax is Go's
 * (what cosign and policy-controller accept), so `\u0041` is rejected as it is there.
 *
 * Matches are always of the WHOLE value: `.*@example\.com` never accepts `user@example.com.evil.net`.
 */
import { RE2JS } from "re2js";

/** Longer patterns are rejected before they are parsed. */
export const REGEXP_MAX_LENGTH = 4096;

/** Why the pattern is not a valid RE2 expression (one line), or undefined when it is. */
export function linearRegexpProblem(pattern: string): string | undefined {
  if (pattern.length > REGEXP_MAX_LENGTH) return `longer than ${REGEXP_MAX_LENGTH} characters`;
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * A predicate that is true when the pattern matches the whole value, in linear time.
 * Throws an Error whose message is linearRegexpProblem's when the pattern is invalid.
 */
export function compileFullMatch(pattern: string): (value: string) => boolean {
  const problem = linearRegexpProblem(pattern);
  if (problem !== undefined) throw new Error(problem);
  // The pattern compiled on its own, so its groups are balanced and `a)|(b` cannot escape the anchoring group.
  const anchored = RE2JS.compile(`^(?:${pattern})$`);
  return (value) => anchored.test(value);
}
