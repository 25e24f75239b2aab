import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { link, lstat, open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SignetError } from "../errors/index.js";

/**
 * The one way signet writes a file that someone may read while it is written, or that holds a secret: the bytes go
 * to a new temporary file in the same directory (O_CREAT|O_EXCL|O_NOFOLLOW, its exact mode set before any byte is
 * written, flushed), which is then renamed over the destination (or hard-linked to it, when an existing file must
 * not be replaced). Readers see the old file or the whole new one, never a part; a symbolic link or another user's
 * file at the destination is replaced or refused, never written through.
 */
export interface WriteFileOptions {
  /** Mode of the new file, set exactly (the umask neither adds nor removes bits). Default: 0o644 less the umask. */
  mode?: number;
  /** Replace an existing file (default). When false an existing file is left alone: place() returns false. */
  replace?: boolean;
  /**
   * For keys and other files whose destination a local attacker may prepare: refuse a destination that is a
   * symbolic link (FILE_SYMLINK), not a regular file (FILE_NOT_REGULAR) or owned by another user
   * (FILE_FOREIGN_OWNER), before anything is written.
   */
  guard?: boolean;
}

/** A file written to its temporary name, ready to be placed at `path`. */
export interface StagedFile {
  readonly path: string;
  /** Moves the bytes to `path`. False when `replace` is false and `path` exists (nothing changed). */
  place(): Promise<boolean>;
  /** Removes the temporary file (after place() or instead of it); never throws. */
  discard(): Promise<void>;
}

/** Writes `bytes` to `path` atomically (see WriteFileOptions). Returns false when `replace: false` found a file. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string, options: WriteFileOptions = {}): Promise<boolean> {
  const staged = await stageFile(path, bytes, options);
  try {
    return await staged.place();
  } finally {
    await staged.discard();
  }
}

/**
 * Creates `path` with `bytes` unless it already exists (then returns false and leaves it alone). Nobody ever sees a
 * partial file; link() fails instead of replacing an existing file.
 */
export function createFileExclusive(path: string, bytes: Uint8Array | string, options: Omit<WriteFileOptions, "replace"> = {}): Promise<boolean> {
  return writeFileAtomic(path, bytes, { ...options, replace: false });
}

/**
 * Writes `bytes` to a temporary file beside `path`, for callers that place several files together (a key pair:
 * stage both, then place both). With `guard`, the destination is checked first.
 */
export async function stageFile(path: string, bytes: Uint8Array | string, options: WriteFileOptions = {}): Promise<StagedFile> {
  const mode = options.mode ?? 0o644;
  const replace = options.replace !== false;
  if (options.guard === true) await checkDestination(path);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), mode);
    if (options.mode !== undefined) await handle.chmod(mode); // the umask may have removed bits; set before the content exists
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw ioError(`could not write ${path}`, error);
  }
  return {
    path,
    async place() {
      try {
        return replace ? await renameInto(temporary, path) : await linkInto(temporary, path);
      } catch (error) {
        throw ioError(`could not write ${path}`, error);
      }
    },
    async discard() {
      await rm(temporary, { force: true }).catch(() => undefined);
    },
  };
}

/**
 * Refuses a destination a local attacker may have prepared: a symbolic link (even a dangling one), anything but a
 * regular file, or a file owned by another user. Returns whether a file exists there.
 */
export async function checkDestination(path: string): Promise<boolean> {
  let info;
  try {
    info = await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return false;
    throw ioError(`could not inspect ${path}`, error);
  }
  if (info.isSymbolicLink()) {
    throw new SignetError("FILE_SYMLINK", `${path} is a symbolic link; signet does not write keys through links`, { details: { path } });
  }
  if (!info.isFile()) throw new SignetError("FILE_NOT_REGULAR", `${path} exists and is not a regular file`, { details: { path } });
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new SignetError("FILE_FOREIGN_OWNER", `${path} belongs to another user (uid ${info.uid}); not replacing it`, { details: { path, owner: info.uid } });
  }
  return true;
}

export function ioError(message: string, cause: unknown): SignetError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new SignetError("IO_ERROR", `${message}: ${detail}`, { cause });
}

/** rename(2) replaces a symbolic link at `path` rather than following it. */
async function renameInto(temporary: string, path: string): Promise<boolean> {
  await rename(temporary, path);
  return true;
}

/** link(2) refuses an existing `path` (a symbolic link included) instead of replacing it. */
async function linkInto(temporary: string, path: string): Promise<boolean> {
  try {
    await link(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw error;
    // No hard links on this file system: check again and rename (a narrow race instead of none).
    if (await lstat(path).catch(() => undefined)) return false;
    await rename(temporary, path);
  }
  return true;
}
