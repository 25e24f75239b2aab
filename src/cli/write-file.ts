import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SignetError } from "../errors/index.js";

/**
 * Writes a file the command produces (--output-file, --output-signature, a downloaded signature…) whole or not at
 * all: a temporary file next to it, flushed, then renamed over it. A failed command leaves no half-written file.
 */
export async function writeFileAtomically(path: string, content: Buffer | string, mode = 0o644): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temporary, "wx", mode);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    throw new SignetError(code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot write ${path}: ${code ?? (error as Error).message}`, { details: { path }, cause: error });
  }
}
