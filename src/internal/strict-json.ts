import { SignetError } from "../errors/index.js";
import type { ErrorCode } from "../errors/index.js";

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses untrusted JSON bytes: valid UTF-8, a JSON value, nothing else. Throws a SignetError with the
 * given code so the caller decides whether malformed input is an input error or a rejection.
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
