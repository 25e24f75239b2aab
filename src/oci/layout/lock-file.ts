import { randomBytes } from "node:crypto";
import { link, open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { SignetError } from "../../errors/index.js";
import { ioError } from "../../internal/atomic-file.js";

export interface LockOptions {
  /** A lock file not refreshed for this long belongs to a process that died; it is broken. Default 30 s. */
  staleMs?: number;
  /** Give up (TIMEOUT) after waiting this long. Default 60 s, longer than staleMs so a dead holder is outlived. */
  timeoutMs?: number;
}

const DEFAULT_STALE_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 60_000;
const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 100;

/**
 * Runs `action` while holding `lockPath`, a file created with O_EXCL, so that processes sharing a directory
 * take turns. The holder refreshes the file's mtime while it works; waiters break a lock whose mtime is
 * older than `staleMs` (its holder died). The lock is removed afterwards only if it is still ours.
 */
export async function withLockFile<T>(lockPath: string, action: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const handle = await acquire(lockPath, staleMs, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const refresh = setInterval(() => {
    const now = new Date();
    handle.utimes(now, now).catch(() => undefined);
  }, Math.max(10, Math.floor(staleMs / 3)));
  refresh.unref();
  try {
    return await action();
  } finally {
    clearInterval(refresh);
    await release(lockPath, handle);
  }
}

async function acquire(lockPath: string, staleMs: number, timeoutMs: number): Promise<FileHandle> {
  const deadline = Date.now() + timeoutMs;
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx", 0o644);
      await handle.writeFile(`${process.pid}\n`).catch(() => undefined);
      return handle;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw ioError(`could not create lock file ${lockPath}`, error);
    }
    await breakIfStale(lockPath, staleMs);
    if (Date.now() >= deadline) {
      throw new SignetError("TIMEOUT", `timed out after ${timeoutMs} ms waiting for the lock ${lockPath}`, {
        details: { lock: lockPath },
        hint: `Another process holds the lock; if none is running, remove ${lockPath}.`,
      });
    }
    await sleep(backoff + Math.random() * backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

/**
 * Removes a lock whose holder stopped refreshing it. It is first renamed aside (atomic, so only one waiter
 * wins) and deleted only if the renamed file is the stale one that was examined; a fresh lock taken
 * meanwhile by another process is put back.
 */
async function breakIfStale(lockPath: string, staleMs: number): Promise<void> {
  let examined;
  try {
    examined = await stat(lockPath);
  } catch {
    return;
  }
  if (Date.now() - examined.mtimeMs <= staleMs) return;
  const aside = `${lockPath}.stale.${process.pid}.${randomBytes(4).toString("hex")}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return;
  }
  try {
    const moved = await stat(aside);
    if (moved.ino !== examined.ino || moved.dev !== examined.dev) {
      await link(aside, lockPath).catch(() => undefined);
    }
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

async function release(lockPath: string, handle: FileHandle): Promise<void> {
  try {
    const [ours, current] = await Promise.all([handle.stat(), stat(lockPath).catch(() => undefined)]);
    if (current !== undefined && current.ino === ours.ino && current.dev === ours.dev) await unlink(lockPath);
  } finally {
    await handle.close();
  }
}
