/**
 * `verify-attestation --policy FILE.cue`: a documented subset of CUE, without a CUE engine. The policy is CUE's
 * concrete-value form: fields (`label: value`, the shorthand `a: b: c: value`), structs in braces, strings, numbers,
 * true, false and null, `//` comments. It is unified with the verified in-toto statement (the decoded payload, as
 * cosign evaluates it): every field it names must be present in the statement with exactly that value.
 * Stricter than CUE in one way: CUE unification would add a field the statement lacks; here a missing field fails.
 * Anything else CUE has (imports, constraints such as `<=`, `=~`, disjunctions, lists, definitions) is refused
 * with its position, so no policy is silently read as weaker than written. Pure: no I/O.
 */
import { SignetError } from "../../errors/index.js";

export type PolicyValue = string | number | boolean | null | PolicyStruct;
export interface PolicyStruct {
  readonly [field: string]: PolicyValue;
}

interface Token {
  readonly kind: "{" | "}" | ":" | "," | "newline" | "label" | "string" | "number" | "keyword" | "end";
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

const MAX_POLICY_DEPTH = 32;

/** Parses a policy file in the subset; POLICY_CONFIG_INVALID (with line:column) for anything outside it. */
export function parsePredicatePolicy(text: string, source: string): PolicyStruct {
  const tokens = tokenize(text, source);
  let at = 0;
  const peek = (): Token => tokens[at]!;
  const next = (): Token => tokens[at++]!;
  const fail = (token: Token, why: string): never => {
    throw new SignetError("POLICY_CONFIG_INVALID", `${source}:${token.line}:${token.column}: ${why}`, {
      hint: "signet reads a subset of CUE: fields with concrete values (strings, numbers, true, false, null) and nested structs; docs/compatibility.md says which.",
    });
  };
  const skipSeparators = (): void => {
    while (peek().kind === "," || peek().kind === "newline") next();
  };
  const parseFields = (closing: "}" | "end", depth: number): Record<string, PolicyValue> => {
    if (depth > MAX_POLICY_DEPTH) fail(peek(), `structs nested deeper than ${MAX_POLICY_DEPTH}`);
    const fields: Record<string, PolicyValue> = {};
    skipSeparators();
    while (peek().kind !== closing) {
      const label = next();
      if (label.kind !== "label" && label.kind !== "string") fail(label, `expected a field name, found ${describe(label)}`);
      if (next().kind !== ":") fail(tokens[at - 1]!, `expected ":" after ${label.text}, found ${describe(tokens[at - 1]!)} (only concrete fields are supported)`);
      const value = parseValue(depth);
      unifyInto(fields, label.text, value, (why) => fail(label, why));
      const after = peek();
      if (after.kind !== "," && after.kind !== "newline" && after.kind !== closing) fail(after, `expected a new line, "," or the end of the struct, found ${describe(after)}`);
      skipSeparators();
    }
    return fields;
  };
  const parseValue = (depth: number): PolicyValue => {
    const token = next();
    switch (token.kind) {
      case "string":
        return token.text;
      case "number":
        return Number(token.text);
      case "keyword":
        return token.text === "true" ? true : token.text === "false" ? false : null;
      case "{": {
        const fields = parseFields("}", depth + 1);
        next();
        return fields;
      }
      case "label": {
        // The shorthand `a: b: value` (a struct with one field).
        if (peek().kind !== ":") return fail(token, `${token.text} is a reference or an operator, which signet does not evaluate: give a concrete value`);
        next();
        const inner: Record<string, PolicyValue> = {};
        unifyInto(inner, token.text, parseValue(depth + 1), (why) => fail(token, why));
        return inner;
      }
      default:
        return fail(token, `expected a value, found ${describe(token)}`);
    }
  };
  const fields = parseFields("end", 0);
  return fields;
}

function unifyInto(fields: Record<string, PolicyValue>, label: string, value: PolicyValue, fail: (why: string) => never): void {
  if (!Object.hasOwn(fields, label)) {
    fields[label] = value;
    return;
  }
  const existing = fields[label]!;
  if (isStruct(existing) && isStruct(value)) {
    const merged: Record<string, PolicyValue> = { ...existing };
    for (const [key, inner] of Object.entries(value)) unifyInto(merged, key, inner, fail);
    fields[label] = merged;
    return;
  }
  if (existing !== value) fail(`conflicting values for ${label}`);
}

/** Each problem of the statement against the policy: `predicate.builder.id: …`. Empty when it satisfies it. */
export function checkPredicatePolicy(policy: PolicyStruct, untrustedStatement: unknown): string[] {
  const problems: string[] = [];
  const walk = (want: PolicyValue, have: unknown, path: string): void => {
    if (isStruct(want)) {
      if (typeof have !== "object" || have === null || Array.isArray(have)) {
        problems.push(`${path || "the statement"}: the policy wants a struct, the statement has ${have === undefined ? "nothing" : JSON.stringify(have).slice(0, 100)}`);
        return;
      }
      for (const [key, inner] of Object.entries(want)) walk(inner, Object.hasOwn(have, key) ? (have as Record<string, unknown>)[key] : undefined, path === "" ? key : `${path}.${key}`);
      return;
    }
    if (have === undefined) problems.push(`${path}: missing (the policy wants ${JSON.stringify(want)})`);
    else if (have !== want) problems.push(`${path}: conflicting values ${JSON.stringify(want)} and ${JSON.stringify(have).slice(0, 200)}`);
  };
  walk(policy, untrustedStatement, "");
  return problems;
}

function isStruct(value: unknown): value is PolicyStruct {
  return typeof value === "object" && value !== null;
}

function describe(token: Token): string {
  return token.kind === "end" ? "the end of the file" : token.kind === "newline" ? "a new line" : JSON.stringify(token.text);
}

function tokenize(text: string, source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const push = (kind: Token["kind"], value: string, start: number): void => {
    tokens.push({ kind, text: value, line, column: start - lineStart + 1 });
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") {
      push("newline", "\n", i);
      i++;
      line++;
      lineStart = i;
    } else if (c === " " || c === "\t" || c === "\r") i++;
    else if (c === "/" && text[i + 1] === "/") while (i < text.length && text[i] !== "\n") i++;
    else if (c === "{" || c === "}" || c === ":" || c === ",") push(c, c, i++);
    else if (c === '"') {
      const start = i;
      const match = /^"(?:[^"\\\n]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/.exec(text.slice(i));
      if (match === null) throw invalid(source, line, i - lineStart + 1, "an unterminated or unsupported string (multi-line and interpolated strings are not supported)");
      push("string", JSON.parse(match[0]) as string, start);
      i += match[0].length;
    } else if (/[0-9-]/.test(c)) {
      const match = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?![A-Za-z0-9_.])/.exec(text.slice(i));
      if (match === null) throw invalid(source, line, i - lineStart + 1, `an unsupported number or operator at ${JSON.stringify(text.slice(i, i + 10))}`);
      push("number", match[0], i);
      i += match[0].length;
    } else if (/[A-Za-z_$]/.test(c)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(text.slice(i))!;
      const word = match[0];
      if (word === "import" || word === "package" || word.startsWith("#") || word === "_") throw invalid(source, line, i - lineStart + 1, `${word} is not supported (no imports, packages or definitions)`);
      push(word === "true" || word === "false" || word === "null" ? "keyword" : "label", word, i);
      i += word.length;
    } else {
      throw invalid(source, line, i - lineStart + 1, `${JSON.stringify(c)} is not supported: signet reads concrete fields only (no constraints, disjunctions, lists or references)`);
    }
  }
  push("end", "", i);
  return tokens;
}

function invalid(source: string, line: number, column: number, why: string): SignetError {
  return new SignetError("POLICY_CONFIG_INVALID", `${source}:${line}:${column}: ${why}`, {
    hint: "signet reads a subset of CUE: fields with concrete values (strings, numbers, true, false, null) and nested structs; docs/compatibility.md says which.",
  });
}
