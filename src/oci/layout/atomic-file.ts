import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SignetError } from "../../errors/index.js";
import { readBounded } from "../../internal/bounded-read.js";

/**
 * Writes `bytes` to `path` so that readers see either the old file or the whole new one: the bytes go to a
 * temporary file in the same directory (same file system), are flushed, and the file is renamed over `path`.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, options: { mode?: number } = {}): Promise<void> {
  const temporary = await writeTemporary(path, bytes, options.mode);
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw ioError(`could not write ${path}`, error);
  }
}

/**
 * Creates `path` with `bytes` unless it already exists (then returns false and leaves it alone). Like
 * writeFileAtomic, nobody ever sees a partial file; link() fails instead of replacing an existing file.
 */
export async function createFileExclusive(path: string, bytes: Uint8Array, options: { mode?: number } = {}): Promise<boolean> {
  const temporary = await writeTemporary(path, bytes, options.mode);
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw ioError(`could not create ${path}`, error);
  } finally {
    await rm(temporary, { force: true });
  }
}

/**
 * Reads a regular file, refusing one larger than `limit` before reading it. Returns undefined when the file
 * does not exist. O_NONBLOCK keeps a FIFO planted in a hostile layout from blocking the open.
 */
export async function readFileBounded(path: string, limit: number, what: string): Promise<Buffer | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw ioError(`could not open ${what}`, error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new SignetError("LAYOUT_INVALID", `${what} is not a regular file`, { details: { path } });
    }
    if (info.size > limit) {
      throw new SignetError("SIZE_LIMIT_EXCEEDED", `${what} is ${info.size} bytes, larger than the limit of ${limit} bytes`, {
        details: { limit, size: info.size },
      });
    }
    return await readBounded(handle.createReadStream({ autoClose: false, start: 0 }), limit, what);
  } catch (error) {
    if (SignetError.is(error)) throw error;
    throw ioError(`could not read ${what}`, error);
  } finally {
    await handle.close();
  }
}

export function ioError(message: string, cause: unknown): SignetError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new SignetError("IO_ERROR", `${message}: ${detail}`, { cause });
}

/** `mode` is set on the temporary file before any byte is written, so a private key is never readable by others. */
async function writeTemporary(path: string, bytes: Uint8Array, mode = 0o644): Promise<string> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temporary, "wx", mode);
    await handle.chmod(mode); // the umask may have removed bits; it never adds any
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    return temporary;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw ioError(`could not write ${path}`, error);
  }
}
