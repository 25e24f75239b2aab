import { childPath, configIssue } from "./config-issue.js";
import { describeJsonKind, memberOf, type JsonMember, type JsonNode, type JsonObjectNode } from "../../internal/json-reader.js";
import { sourceLocation, type PolicySourceLocation } from "./policy-config.js";
import { decodeBase64Strict } from "../../internal/base64.js";

/**
 * Reads one JSON object of the policy strictly, as containers/image's ParanoidUnmarshalJSONObject does: only the
 * named fields may appear, each with the right type; every failure names the JSON path and the position.
 */
export class ObjectReader {
  readonly node: JsonObjectNode;

  constructor(
    readonly source: string,
    readonly path: string,
    node: JsonNode,
    what: string,
  ) {
    if (node.kind !== "object") throw configIssue(source, path, node.position, `${what} must be a JSON object, not ${describeJsonKind(node)}`);
    this.node = node;
  }

  get location(): PolicySourceLocation {
    return sourceLocation(this.source, this.path, this.node.position);
  }

  /** Throws for the first member that is not in `allowed` (typos must not be ignored in a security policy). */
  allowOnly(allowed: readonly string[], what: string): void {
    for (const member of this.node.members) {
      if (!allowed.includes(member.key)) {
        const suggestion = closest(member.key, allowed);
        throw configIssue(
          this.source,
          childPath(this.path, member.key),
          member.keyPosition,
          `unknown field ${JSON.stringify(member.key)} in ${what}${suggestion === undefined ? "" : ` (did you mean ${JSON.stringify(suggestion)}?)`}; allowed: ${allowed.join(", ")}`,
        );
      }
    }
  }

  has(key: string): boolean {
    return memberOf(this.node, key) !== undefined;
  }

  member(key: string): JsonMember | undefined {
    return memberOf(this.node, key);
  }

  childPath(key: string): string {
    return childPath(this.path, key);
  }

  fieldLocation(key: string): PolicySourceLocation {
    const member = this.member(key);
    return sourceLocation(this.source, this.childPath(key), member?.keyPosition ?? this.node.position);
  }

  /** A string field; undefined when absent. `nonEmpty` refuses "". */
  optionalString(key: string, options: { nonEmpty?: boolean } = {}): string | undefined {
    const member = this.member(key);
    if (member === undefined) return undefined;
    const value = member.value;
    if (value.kind !== "string") throw this.wrongType(key, value, "a string");
    if (options.nonEmpty === true && value.value === "") throw configIssue(this.source, this.childPath(key), value.position, `${JSON.stringify(key)} must not be empty`);
    return value.value;
  }

  requiredString(key: string, what: string, options: { nonEmpty?: boolean } = {}): string {
    const value = this.optionalString(key, options);
    if (value === undefined) throw configIssue(this.source, this.path, this.node.position, `${what} needs the field ${JSON.stringify(key)}`);
    return value;
  }

  /** An array of strings; undefined when absent. */
  optionalStringArray(key: string, options: { nonEmpty?: boolean; nonEmptyItems?: boolean } = {}): string[] | undefined {
    const member = this.member(key);
    if (member === undefined) return undefined;
    const value = member.value;
    if (value.kind !== "array") throw this.wrongType(key, value, "an array of strings");
    if (options.nonEmpty === true && value.items.length === 0) {
      throw configIssue(this.source, this.childPath(key), value.position, `${JSON.stringify(key)} must list at least one entry`);
    }
    return value.items.map((item, index) => {
      const itemPath = childPath(this.childPath(key), index);
      if (item.kind !== "string") throw configIssue(this.source, itemPath, item.position, `expected a string, found ${describeJsonKind(item)}`);
      if (options.nonEmptyItems === true && item.value === "") throw configIssue(this.source, itemPath, item.position, "must not be empty");
      return item.value;
    });
  }

  /** Base64 data, as Go's encoding/json reads a []byte field (standard alphabet, padded; CR and LF ignored). */
  optionalBase64(key: string): Buffer | undefined {
    const member = this.member(key);
    if (member === undefined) return undefined;
    if (member.value.kind !== "string") throw this.wrongType(key, member.value, "a base64 string");
    return decodeBase64Field(this.source, this.childPath(key), member.value);
  }

  optionalBase64Array(key: string, options: { nonEmpty?: boolean } = {}): Buffer[] | undefined {
    const member = this.member(key);
    if (member === undefined) return undefined;
    const value = member.value;
    if (value.kind !== "array") throw this.wrongType(key, value, "an array of base64 strings");
    if (options.nonEmpty === true && value.items.length === 0) {
      throw configIssue(this.source, this.childPath(key), value.position, `${JSON.stringify(key)} must list at least one entry`);
    }
    return value.items.map((item, index) => {
      const itemPath = childPath(this.childPath(key), index);
      if (item.kind !== "string") throw configIssue(this.source, itemPath, item.position, `expected a base64 string, found ${describeJsonKind(item)}`);
      return decodeBase64Field(this.source, itemPath, item);
    });
  }

  /** A nested object field, read by its own reader; undefined when absent. */
  optionalObject(key: string, what: string): ObjectReader | undefined {
    const member = this.member(key);
    if (member === undefined) return undefined;
    return new ObjectReader(this.source, this.childPath(key), member.value, what);
  }

  private wrongType(key: string, value: JsonNode, expected: string): Error {
    return configIssue(this.source, this.childPath(key), value.position, `expected ${expected}, found ${describeJsonKind(value)}`);
  }
}

function decodeBase64Field(source: string, path: string, node: JsonNode & { kind: "string" }): Buffer {
  const bytes = decodeBase64Strict(node.value);
  if (bytes === undefined) throw configIssue(source, path, node.position, "is not valid base64 (standard alphabet with \"=\" padding)");
  return bytes;
}

/** The allowed name nearest to a misspelt one, when it is close enough to be the likely intent. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
