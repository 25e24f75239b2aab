/**
 * JSON that must mean one thing to every parser: an object with a key twice (`{"predicateType":"a",
 * "predicateType":"b"}`) is read differently by different parsers, so signed statements and envelopes that
 * contain one are refused rather than read with JSON.parse's last-one-wins rule.
 */
import { SignetError, type ErrorCode } from "../../errors/index.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Parses UTF-8 JSON bytes, refusing invalid UTF-8, invalid JSON and duplicate object keys. */
export function parseUniqueKeysJson(bytes: Uint8Array, what: string, code: ErrorCode): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new SignetError(code, `${what} is not valid UTF-8`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SignetError(code, `${what} is not valid JSON: ${(error as Error).message}`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) throw new SignetError(code, `${what} has the key ${JSON.stringify(duplicate.slice(0, 80))} twice in one object`);
  return value;
}

/** The first key that appears twice in one object of already-valid JSON text, if any. */
export function findDuplicateKey(validJson: string): string | undefined {
  // One entry per open container: a key set for an object, undefined for an array.
  const stack: (Set<string> | undefined)[] = [];
  let expectKey = false;
  for (let i = 0; i < validJson.length; i++) {
    const c = validJson[i];
    if (c === '"') {
      const start = i;
      for (i++; validJson[i] !== '"'; i++) if (validJson[i] === "\\") i++;
      if (expectKey) {
        const key = JSON.parse(validJson.slice(start, i + 1)) as string;
        const keys = stack[stack.length - 1]!;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
    } else if (c === "{") {
      stack.push(new Set());
      expectKey = true;
    } else if (c === "[") {
      stack.push(undefined);
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      expectKey = stack[stack.length - 1] !== undefined;
    }
  }
  return undefined;
}
