import { SignetError } from "../errors/index.js";
import type { ErrorCode } from "../errors/index.js";

/** A byte order mark is kept, so JSON.parse refuses it as Go does (TextDecoder would drop it silently). */
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Parses untrusted JSON bytes that signet alone reads and that carry no signature of their own (manifests, whose
 * digest is checked, API answers, key files): valid UTF-8, a JSON value, nothing else, no byte order mark. Signed
 * payloads and policies go through json-reader.ts, which also refuses duplicate keys. Throws a SignetError with
 * the given code so the caller decides whether malformed input is an input error or a rejection.
 */
export function parseJsonBytes(bytes: Uint8Array, what: string, code: ErrorCode = "MANIFEST_INVALID"): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new SignetError(code, `${what} is not valid UTF-8`);
  }
  return parseJsonText(text, what, code);
}

export function parseJsonText(text: string, what: string, code: ErrorCode = "MANIFEST_INVALID"): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SignetError(code, `${what} is not valid JSON: ${(error as Error).message}`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
