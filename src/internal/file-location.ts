import { open } from "node:fs/promises";
import { SignetError } from "../errors/index.js";

/**
 * Reads a local file named by a policy (a key, a keyring, or the policy itself), never more than `maxBytes`.
 * Every failure is POLICY_KEY_UNREADABLE (or the given code) with the reason in words: missing, a directory,
 * not permitted, too large.
 */
export async function readFileLocation(path: string, options: { maxBytes: number; what: string; code?: "POLICY_KEY_UNREADABLE" | "FILE_NOT_FOUND" }): Promise<Buffer> {
  const code = options.code ?? "POLICY_KEY_UNREADABLE";
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw unreadable(path, options.what, error, code);
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw new SignetError(code, `${options.what} ${path} is a directory, not a file`, { details: { path } });
    if (info.size > options.maxBytes) throw tooLarge(path, options.what, options.maxBytes);
    const buffer = Buffer.alloc(Math.min(options.maxBytes, Math.max(info.size, 64 * 1024)) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > options.maxBytes) throw tooLarge(path, options.what, options.maxBytes);
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length);
  } catch (error) {
    if (SignetError.is(error)) throw error;
    throw unreadable(path, options.what, error, code);
  } finally {
    await handle.close();
  }
}

function unreadable(path: string, what: string, error: unknown, code: "POLICY_KEY_UNREADABLE" | "FILE_NOT_FOUND"): SignetError {
  const errno = (error as NodeJS.ErrnoException).code;
  const why =
    errno === "ENOENT" || errno === "ENOTDIR"
      ? "does not exist"
      : errno === "EISDIR"
        ? "is a directory, not a file"
        : errno === "EACCES" || errno === "EPERM"
          ? "cannot be read (permission denied)"
          : `cannot be read (${errno ?? (error as Error).message})`;
  // For a policy file, "missing" and "unreadable" are different codes; for a key both mean the key is unusable.
  const missing = errno === "ENOENT" || errno === "ENOTDIR";
  const errorCode = code === "FILE_NOT_FOUND" && !missing ? "IO_ERROR" : code;
  return new SignetError(errorCode, `${what} ${path} ${why}`, {
    details: { path, errno },
    cause: error,
  });
}

function tooLarge(path: string, what: string, maxBytes: number): SignetError {
  return new SignetError("SIZE_LIMIT_EXCEEDED", `${what} ${path} is larger than ${maxBytes} bytes`, { details: { path, limit: maxBytes } });
}
