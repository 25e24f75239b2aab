/**
 * A JSON reader that keeps what JSON.parse throws away: which objects repeat a key. containers/image parses
 * atomic signatures with `ParanoidUnmarshalJSONObject`, which refuses duplicate keys in the objects it reads
 * (an attacker could otherwise hide a second `docker-manifest-digest` that another parser would pick), so the
 * payload parser needs to know. Values are plain JSON except that objects are `JsonObject`s.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

export class JsonObject {
  readonly fields = new Map<string, JsonValue>();
  /** The first key that appeared twice, if any (the later value is kept, as Go's map decoding does). */
  duplicateKey: string | undefined;
}

/** Deep enough for any real optional section; deeper input is refused rather than risking the stack. */
const MAX_DEPTH = 64;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

/** Parses JSON text; throws a SyntaxError saying where it is malformed. */
export function parseJsonKeepingDuplicates(text: string): JsonValue {
  const reader = new Reader(text);
  const value = reader.value(0);
  reader.skipWhitespace();
  if (reader.position !== text.length) reader.fail("unexpected data after the JSON value");
  return value;
}

class Reader {
  position = 0;

  constructor(private readonly text: string) {}

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.skipWhitespace();
    const c = this.text[this.position];
    switch (c) {
      case "{":
        return this.object(depth);
      case "[":
        return this.array(depth);
      case '"':
        return this.string();
      case "t":
        return this.literal("true", true);
      case "f":
        return this.literal("false", false);
      case "n":
        return this.literal("null", null);
      default:
        return this.number();
    }
  }

  private object(depth: number): JsonObject {
    const result = new JsonObject();
    this.position++; // "{"
    this.skipWhitespace();
    if (this.text[this.position] === "}") {
      this.position++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') this.fail("expected a string key");
      const key = this.string();
      this.skipWhitespace();
      this.expect(":");
      const value = this.value(depth + 1);
      if (result.fields.has(key) && result.duplicateKey === undefined) result.duplicateKey = key;
      result.fields.set(key, value);
      this.skipWhitespace();
      if (this.text[this.position] === ",") {
        this.position++;
        continue;
      }
      this.expect("}");
      return result;
    }
  }

  private array(depth: number): JsonValue[] {
    const result: JsonValue[] = [];
    this.position++; // "["
    this.skipWhitespace();
    if (this.text[this.position] === "]") {
      this.position++;
      return result;
    }
    for (;;) {
      result.push(this.value(depth + 1));
      this.skipWhitespace();
      if (this.text[this.position] === ",") {
        this.position++;
        continue;
      }
      this.expect("]");
      return result;
    }
  }

  private string(): string {
    const start = this.position;
    this.position++; // opening quote
    for (;;) {
      const c = this.text.charCodeAt(this.position);
      if (Number.isNaN(c)) this.fail("unterminated string");
      if (c === 0x22) break; // closing quote
      if (c < 0x20) this.fail("control character in a string");
      this.position += c === 0x5c ? 2 : 1; // a backslash escapes the next character
    }
    this.position++;
    // The token's boundaries are known; JSON.parse decodes its escapes (and rejects bad ones).
    try {
      return JSON.parse(this.text.slice(start, this.position)) as string;
    } catch {
      return this.fail("invalid escape in a string", start);
    }
  }

  private number(): number {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (match === null || match[0] === "") this.fail("unexpected character");
    this.position += match[0].length;
    return Number(match[0]);
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.position)) this.fail("unexpected character");
    this.position += word.length;
    return value;
  }

  private expect(c: string): void {
    if (this.text[this.position] !== c) this.fail(`expected "${c}"`);
    this.position++;
  }

  skipWhitespace(): void {
    WHITESPACE.lastIndex = this.position;
    WHITESPACE.exec(this.text);
    this.position = WHITESPACE.lastIndex;
  }

  fail(problem: string, at = this.position): never {
    throw new SyntaxError(`${problem} at offset ${at}`);
  }
}
