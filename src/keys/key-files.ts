import type { KeyObject } from "node:crypto";
import { open } from "node:fs/promises";
import { SignetError } from "../errors/index.js";
import { KEY_FILE_MAX_BYTES } from "./key-text.js";
import type { PasswordInput } from "./password.js";
import type { ParsePrivateKeyOptions } from "./private-key.js";
import { parsePublicKeyPem } from "./public-key.js";
import type { SigningKey } from "./signing-key.js";

/** A public key file (PEM public key or certificate). KEY_NOT_FOUND when it does not exist. */
export async function loadPublicKey(path: string): Promise<KeyObject> {
  const bytes = await readKeyFile(path, "public key");
  return withPath(path, () => parsePublicKeyPem(bytes));
}

/**
 * A private key file, cosign encrypted or plain PEM. `password` is consulted only for an encrypted key, so a
 * PasswordProvider that prompts prompts only then. KEY_NOT_FOUND when the file does not exist.
 */
export async function loadPrivateKey(path: string, password?: PasswordInput, options: ParsePrivateKeyOptions = {}): Promise<SigningKey> {
  const bytes = await readKeyFile(path, "private key");
  // Loaded here, not at the top: verifying with a public key should not load the private-key and password code.
  const { parsePrivateKeyPem } = await import("./private-key.js");
  return withPath(path, () => parsePrivateKeyPem(bytes, password, options));
}

/** The public half of a private key file, for `signet public-key --key FILE`. */
export async function publicKeyFromPrivate(path: string, password?: PasswordInput, options: ParsePrivateKeyOptions = {}): Promise<KeyObject> {
  return (await loadPrivateKey(path, password, options)).publicKey;
}

/** Reads a key file, bounded by KEY_FILE_MAX_BYTES. */
export async function readKeyFile(path: string, what: string): Promise<Buffer> {
  try {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(KEY_FILE_MAX_BYTES + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > KEY_FILE_MAX_BYTES) {
          throw new SignetError("KEY_INVALID", `${path} is larger than ${KEY_FILE_MAX_BYTES} bytes: not a ${what} file`, { details: { path } });
        }
      }
      return buffer.subarray(0, length);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (SignetError.is(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new SignetError("KEY_NOT_FOUND", `${what} file ${path} does not exist`, { details: { path } });
    }
    if (code === "EISDIR") throw new SignetError("KEY_INVALID", `${path} is a directory, not a ${what} file`, { details: { path } });
    throw new SignetError("IO_ERROR", `cannot read ${what} file ${path}: ${(error as Error).message}`, { details: { path }, cause: error });
  }
}

/** Runs `action`, prefixing the message of any SignetError with the file it concerns. */
async function withPath<T>(path: string, action: () => T | Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (!SignetError.is(error)) throw error;
    throw new SignetError(error.code, `${path}: ${error.message}`, {
      hint: error.hint,
      details: { ...error.details, path },
      cause: error.cause,
    });
  }
}
