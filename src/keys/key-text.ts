import { SignetError } from "../errors/index.js";
import { describeNonPemContent } from "./describe-content.js";

/** No PEM key comes near this (a 16384-bit RSA key is about 13 KB); larger input is not a key file. */
export const KEY_FILE_MAX_BYTES = 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of a key file, bounded; KEY_INVALID (saying what the bytes look like) when it is not text. */
export function toKeyText(input: string | Uint8Array, what: string): string {
  const size = typeof input === "string" ? Buffer.byteLength(input, "utf8") : input.byteLength;
  if (size > KEY_FILE_MAX_BYTES) {
    throw new SignetError("KEY_INVALID", `the ${what} is ${size} bytes, too large to be a key file (limit ${KEY_FILE_MAX_BYTES})`, {
      details: { size, limit: KEY_FILE_MAX_BYTES },
    });
  }
  if (typeof input === "string") return input;
  try {
    return utf8.decode(input);
  } catch {
    throw new SignetError("KEY_INVALID", `expected a PEM ${what}, but the content is ${describeNonPemContent(input)}`);
  }
}
