import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { SignetError } from "../../errors/index.js";
import { ioError } from "../../internal/atomic-file.js";
import { readBounded } from "../../internal/bounded-read.js";

// The writers live in internal/atomic-file.ts, one implementation shared with key files and the CLI; they are
// re-exported here for the layout's callers. New code imports them from internal/.
export { createFileExclusive, ioError, writeFileAtomic } from "../../internal/atomic-file.js";

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
