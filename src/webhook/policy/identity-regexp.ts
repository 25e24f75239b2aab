/**
 * Identity regular expressions from policies, run by RE2 (linear time whatever the pattern or the input) and
 * anchored: `subjectRegExp: .*@example.com` must match the whole subject, never a part of it (an unanchored
 * `user@example.com` would accept `user@example.com.evil.net`). policy-controller leaves them unanchored;
 * signet anchors them on purpose.
 */
import { createRequire } from "node:module";

type Re2Constructor = new (pattern: string, flags?: string) => { test(text: string): boolean };

let re2: Re2Constructor | undefined;

/** RE2 is a native module: loaded on first use, not when the webhook's modules are imported. */
function loadRe2(): Re2Constructor {
  re2 ??= createRequire(import.meta.url)("re2") as Re2Constructor;
  return re2;
}

export const REGEXP_MAX_LENGTH = 4096;

/** Why the pattern is not a valid RE2 expression, or undefined when it is. */
export function regexpProblem(pattern: string): string | undefined {
  if (pattern.length > REGEXP_MAX_LENGTH) return `regex is invalid: longer than ${REGEXP_MAX_LENGTH} characters`;
  try {
    new (loadRe2())(pattern);
    return undefined;
  } catch (error) {
    return `regex is invalid: ${(error as Error).message}`;
  }
}
