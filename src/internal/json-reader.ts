import { SignetError, type ErrorCode } from "../errors/index.js";
import { LIMITS } from "./limits.js";

/**
 * The one JSON reader for everything signet must read exactly as the signer meant it: signed payloads (cosign
 * simple signing, containers/image atomic signatures, DSSE envelopes, in-toto statements, sigstore bundles) and
 * policy files. It refuses what the strictest of the upstream readers refuses, so no second parser can read a
 * different value from the same bytes:
 * - a key twice in one object (JSON.parse and Go's encoding/json keep the last, containers/image refuses);
 * - a leading byte order mark (Go refuses it; TextDecoder would silently drop it);
 * - anything but whitespace after the value (Go refuses it);
 * - invalid UTF-8 (Go would substitute U+FFFD and read on);
 * - nesting deeper than JSON_MAX_DEPTH.
 * Go's encoding/json also matches struct fields case-insensitively (`"Image"` fills the `image` field, the last
 * spelling wins); `findCaseVariantKey` finds such keys so a schema reader can refuse them.
 *
 * It keeps where every value and key sits (line and column) and object members in order, which a person fixing a
 * policy needs. Documents that are not signed and are read by signet alone (manifests, API answers) use
 * `parseJsonBytes` in strict-json.ts, which is JSON.parse with the same UTF-8 and BOM rules.
 */

/** 1-based line and column (columns count UTF-16 code units, as editors and `JSON.parse` do). */
export interface JsonPosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

export type JsonNode = JsonObjectNode | JsonArrayNode | JsonStringNode | JsonNumberNode | JsonBooleanNode | JsonNullNode;

export interface JsonMember {
  readonly key: string;
  readonly keyPosition: JsonPosition;
  readonly value: JsonNode;
}

export interface JsonObjectNode {
  readonly kind: "object";
  readonly position: JsonPosition;
  /** In document order; keys are unique (a duplicate is a syntax error). */
  readonly members: readonly JsonMember[];
}

export interface JsonArrayNode {
  readonly kind: "array";
  readonly position: JsonPosition;
  readonly items: readonly JsonNode[];
}

export interface JsonStringNode {
  readonly kind: "string";
  readonly position: JsonPosition;
  readonly value: string;
}

export interface JsonNumberNode {
  readonly kind: "number";
  readonly position: JsonPosition;
  readonly value: number;
}

export interface JsonBooleanNode {
  readonly kind: "boolean";
  readonly position: JsonPosition;
  readonly value: boolean;
}

export interface JsonNullNode {
  readonly kind: "null";
  readonly position: JsonPosition;
}

/** A syntax error with the place it was found. */
export class JsonSyntaxError extends Error {
  readonly position: JsonPosition;

  constructor(message: string, position: JsonPosition) {
    super(message);
    this.name = "JsonSyntaxError";
    this.position = position;
  }
}

/** Deeper nesting than this is refused (a policy is 6 levels deep; this stops stack exhaustion by hostile input). */
export const JSON_MAX_DEPTH = LIMITS.jsonDepth;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** Parses one JSON value and nothing after it but whitespace. Throws JsonSyntaxError. */
export function parseJsonDocument(text: string): JsonNode {
  return new Parser(text).parseDocument();
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes UTF-8 bytes, keeping a byte order mark (so the parser refuses it). Throws JsonSyntaxError. */
export function decodeJsonText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new JsonSyntaxError("the bytes are not valid UTF-8", { offset: 0, line: 1, column: 1 });
  }
}

/** Parses UTF-8 bytes as one JSON document with every refusal above. Throws JsonSyntaxError. */
export function readJsonBytes(untrustedBytes: Uint8Array): JsonNode {
  return parseJsonDocument(decodeJsonText(untrustedBytes));
}

/**
 * Parses signed UTF-8 JSON bytes into plain values (objects, arrays, strings, numbers, booleans, null), with every
 * refusal above. A malformed document becomes a SignetError with `code`, naming `what`.
 *
 * The same rules as parseJsonDocument, by a faster route for large signed documents (SBOM attestations, bundles):
 * the native JSON.parse (which refuses a byte order mark and trailing data, as RFC 8259 does) and then one pass
 * over the text for duplicate keys and depth. A document either route refuses is explained by parseJsonDocument,
 * which says where the problem is.
 */
export function parseSignedJson(untrustedBytes: Uint8Array, what: string, code: ErrorCode): unknown {
  const fail = (error: unknown): never => {
    if (error instanceof JsonSyntaxError) throw new SignetError(code, `${what} is not valid JSON: ${error.message}`, { details: { offset: error.position.offset } });
    throw error;
  };
  let text: string;
  try {
    text = decodeJsonText(untrustedBytes);
  } catch (error) {
    return fail(error);
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    try {
      parseJsonDocument(text);
    } catch (error) {
      return fail(error);
    }
    throw new SignetError(code, `${what} is not valid JSON`);
  }
  // JSON.parse dropped what signed JSON must not have: a second copy of a key, and unbounded nesting.
  const problem = duplicateKeyOrDepth(text);
  if (problem !== undefined) {
    try {
      parseJsonDocument(text);
    } catch (error) {
      return fail(error);
    }
    throw new SignetError(code, `${what} is not valid JSON: ${problem}`);
  }
  return value;
}

/** In text that is valid JSON: the first duplicate key in an object, or nesting beyond JSON_MAX_DEPTH; else undefined. */
function duplicateKeyOrDepth(validJson: string): string | undefined {
  // One entry per open container: the keys seen for an object, undefined for an array.
  const stack: (Set<string> | undefined)[] = [];
  let expectKey = false;
  const length = validJson.length;
  for (let i = 0; i < length; i++) {
    const c = validJson.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; ; i++) {
        const d = validJson.charCodeAt(i);
        if (d === 0x22) break;
        if (d === 0x5c) {
          escaped = true;
          i++;
        }
      }
      if (expectKey) {
        const raw = validJson.slice(start + 1, i);
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        const keys = stack[stack.length - 1]!;
        if (keys.has(key)) return `duplicate key ${JSON.stringify(key.slice(0, 80))}`;
        keys.add(key);
        expectKey = false;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= JSON_MAX_DEPTH) return `values are nested more than ${JSON_MAX_DEPTH} levels deep`;
      stack.push(c === 0x7b ? new Set() : undefined);
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] !== undefined;
    }
  }
  return undefined;
}

/**
 * The key Go's encoding/json would fold to: ASCII letters upper-cased, other characters through
 * unicode.ToUpper(unicode.ToLower(r)) (encoding/json fold.go), including the four that fold onto ASCII letters:
 * KELVIN SIGN to K, LONG S to S, and the Turkish dotted and dotless I to I.
 */
export function goFoldKey(key: string): string {
  let folded = "";
  for (const char of key) {
    const special = GO_FOLDS_TO_ASCII[char];
    if (special !== undefined) {
      folded += special;
      continue;
    }
    const lower = char.toLowerCase();
    const simpleLower = [...lower].length === 1 ? lower : char;
    const upper = simpleLower.toUpperCase();
    folded += [...upper].length === 1 ? upper : simpleLower;
  }
  return folded;
}

const GO_FOLDS_TO_ASCII: Readonly<Record<string, string>> = { "\u212a": "K", "\u017f": "S", "\u0130": "I", "\u0131": "I" };

/**
 * A key of `record` that is not one of `fields` but that Go's encoding/json would read as one of them (`"Image"`
 * for `image`, `"docker-manifeſt-digest"` for `docker-manifest-digest`). Schema readers refuse such keys: Go lets
 * the last spelling win, so cosign could read a value another reader never sees.
 */
export function findCaseVariantKey(record: Readonly<Record<string, unknown>>, fields: readonly string[]): { key: string; field: string } | undefined {
  const folded = new Map(fields.map((field) => [goFoldKey(field), field]));
  for (const key of Object.keys(record)) {
    if (fields.includes(key)) continue;
    const field = folded.get(goFoldKey(key));
    if (field !== undefined) return { key, field };
  }
  return undefined;
}

/** What is wrong when `record` (found at `where`) holds a case variant of one of `fields`, or undefined. */
export function caseVariantProblem(record: Readonly<Record<string, unknown>>, fields: readonly string[], where: string): string | undefined {
  const variant = findCaseVariantKey(record, fields);
  if (variant === undefined) return undefined;
  const key = variant.key.length > 80 ? `${variant.key.slice(0, 80)}…` : variant.key;
  return `has the key ${JSON.stringify(key)} in ${where}, a case variant of ${JSON.stringify(variant.field)} (Go reads it as that field)`;
}

/** The member named `key`, if present. */
export function memberOf(node: JsonObjectNode, key: string): JsonMember | undefined {
  return node.members.find((member) => member.key === key);
}

/** A JSON kind as a person says it: "an object", "a string", "null". */
export function describeJsonKind(node: JsonNode): string {
  switch (node.kind) {
    case "object":
      return "an object";
    case "array":
      return "an array";
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "a boolean";
    case "null":
      return "null";
  }
}

/** Converts a node to the plain value JSON.parse would give (keys are unique, so nothing is lost). */
export function toPlainJson(node: JsonNode): unknown {
  switch (node.kind) {
    case "object":
      return Object.fromEntries(node.members.map((member) => [member.key, toPlainJson(member.value)]));
    case "array":
      return node.items.map(toPlainJson);
    case "null":
      return null;
    default:
      return node.value;
  }
}

class Parser {
  private index = 0;
  private line = 1;
  private lineStart = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  parseDocument(): JsonNode {
    if (this.text.charCodeAt(0) === 0xfeff) {
      throw new JsonSyntaxError("the document starts with a byte order mark; write it as UTF-8 without one", this.position());
    }
    this.skipWhitespace();
    if (this.index >= this.text.length) throw new JsonSyntaxError("the document is empty; expected a JSON value", this.position());
    const value = this.parseValue();
    this.skipWhitespace();
    if (this.index < this.text.length) {
      throw new JsonSyntaxError(`unexpected ${this.describeHere()} after the end of the JSON value`, this.position());
    }
    return value;
  }

  private parseValue(): JsonNode {
    const position = this.position();
    const char = this.text[this.index];
    switch (char) {
      case "{":
        return this.nested(() => this.parseObject(position));
      case "[":
        return this.nested(() => this.parseArray(position));
      case '"':
        return { kind: "string", position, value: this.parseString() };
      case "t":
        this.expectWord("true");
        return { kind: "boolean", position, value: true };
      case "f":
        this.expectWord("false");
        return { kind: "boolean", position, value: false };
      case "n":
        this.expectWord("null");
        return { kind: "null", position };
      default:
        if (char === "-" || (char !== undefined && char >= "0" && char <= "9")) return this.parseNumber(position);
        throw new JsonSyntaxError(`expected a JSON value, found ${this.describeHere()}`, position);
    }
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > JSON_MAX_DEPTH) {
      throw new JsonSyntaxError(`values are nested more than ${JSON_MAX_DEPTH} levels deep`, this.position());
    }
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private parseObject(position: JsonPosition): JsonObjectNode {
    this.index++; // "{"
    const members: JsonMember[] = [];
    const seen = new Map<string, JsonPosition>();
    this.skipWhitespace();
    if (this.text[this.index] === "}") {
      this.index++;
      return { kind: "object", position, members };
    }
    for (;;) {
      this.skipWhitespace();
      const keyPosition = this.position();
      if (this.text[this.index] !== '"') {
        throw new JsonSyntaxError(`expected a member name in double quotes, found ${this.describeHere()}`, keyPosition);
      }
      const key = this.parseString();
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        throw new JsonSyntaxError(`duplicate key ${JSON.stringify(key)} (first defined at line ${earlier.line}, column ${earlier.column})`, keyPosition);
      }
      seen.set(key, keyPosition);
      this.skipWhitespace();
      if (this.text[this.index] !== ":") throw new JsonSyntaxError(`expected ":" after the member name, found ${this.describeHere()}`, this.position());
      this.index++;
      this.skipWhitespace();
      members.push({ key, keyPosition, value: this.parseValue() });
      this.skipWhitespace();
      const next = this.text[this.index];
      if (next === ",") {
        this.index++;
        continue;
      }
      if (next === "}") {
        this.index++;
        return { kind: "object", position, members };
      }
      throw new JsonSyntaxError(`expected "," or "}" after an object member, found ${this.describeHere()}`, this.position());
    }
  }

  private parseArray(position: JsonPosition): JsonArrayNode {
    this.index++; // "["
    const items: JsonNode[] = [];
    this.skipWhitespace();
    if (this.text[this.index] === "]") {
      this.index++;
      return { kind: "array", position, items };
    }
    for (;;) {
      this.skipWhitespace();
      items.push(this.parseValue());
      this.skipWhitespace();
      const next = this.text[this.index];
      if (next === ",") {
        this.index++;
        continue;
      }
      if (next === "]") {
        this.index++;
        return { kind: "array", position, items };
      }
      throw new JsonSyntaxError(`expected "," or "]" after an array element, found ${this.describeHere()}`, this.position());
    }
  }

  private parseString(): string {
    const start = this.position();
    this.index++; // opening quote
    let result = "";
    let runStart = this.index;
    for (;;) {
      if (this.index >= this.text.length) throw new JsonSyntaxError("the string is not closed (missing '\"')", start);
      const code = this.text.charCodeAt(this.index);
      if (code === 0x22) {
        result += this.text.slice(runStart, this.index);
        this.index++;
        return result;
      }
      if (code < 0x20) {
        throw new JsonSyntaxError(`a control character (U+${code.toString(16).padStart(4, "0").toUpperCase()}) must be escaped inside a string`, this.position());
      }
      if (code !== 0x5c) {
        this.index++;
        continue;
      }
      result += this.text.slice(runStart, this.index);
      const escapePosition = this.position();
      const escape = this.text[this.index + 1];
      if (escape === "u") {
        const hex = this.text.slice(this.index + 2, this.index + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError("\\u must be followed by 4 hex digits", escapePosition);
        result += String.fromCharCode(parseInt(hex, 16));
        this.index += 6;
      } else if (escape !== undefined && Object.hasOwn(ESCAPES, escape)) {
        result += ESCAPES[escape]!;
        this.index += 2;
      } else {
        throw new JsonSyntaxError(`invalid escape "\\${escape ?? ""}" in a string`, escapePosition);
      }
      runStart = this.index;
    }
  }

  private parseNumber(position: JsonPosition): JsonNumberNode {
    NUMBER.lastIndex = this.index;
    const match = NUMBER.exec(this.text);
    if (!match) throw new JsonSyntaxError(`invalid number starting with ${this.describeHere()}`, position);
    this.index += match[0].length;
    const after = this.text[this.index];
    if (after !== undefined && /[0-9A-Za-z.+-]/.test(after)) {
      throw new JsonSyntaxError(`invalid number ${JSON.stringify(match[0] + after)}`, position);
    }
    return { kind: "number", position, value: Number(match[0]) };
  }

  private expectWord(word: string): void {
    if (this.text.startsWith(word, this.index)) {
      const after = this.text[this.index + word.length];
      if (after === undefined || !/[A-Za-z0-9_]/.test(after)) {
        this.index += word.length;
        return;
      }
    }
    throw new JsonSyntaxError(`expected a JSON value, found ${this.describeHere()}`, this.position());
  }

  private skipWhitespace(): void {
    for (;;) {
      const char = this.text[this.index];
      if (char === " " || char === "\t" || char === "\r") {
        this.index++;
      } else if (char === "\n") {
        this.index++;
        this.line++;
        this.lineStart = this.index;
      } else {
        return;
      }
    }
  }

  private position(): JsonPosition {
    return { offset: this.index, line: this.line, column: this.index - this.lineStart + 1 };
  }

  private describeHere(): string {
    if (this.index >= this.text.length) return "the end of the file";
    const rest = this.text.slice(this.index, this.index + 12);
    const word = /^[A-Za-z0-9_.+-]+/.exec(rest)?.[0];
    return JSON.stringify(word ?? rest[0]);
  }
}
