import { watch, type FSWatcher } from "node:fs";
import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import { toSignetError, type SignetError } from "../../errors/index.js";
import { loadServingTls, type ServingTls, type ServingTlsFiles } from "./serving-tls.js";

export interface TlsReloaderOptions {
  readonly files: ServingTlsFiles;
  /** The pair in use now (loaded at start-up: a server does not start without one). */
  readonly initial: ServingTls;
  /** How often the files are checked even when no change event came (volumes where inotify misses swaps). */
  readonly pollIntervalMs: number;
  /** Called with a new, valid pair; the server installs it for new connections. */
  readonly onReload: (tls: ServingTls) => void;
  /** Called when the files changed but the new pair is unusable; the old pair stays in use. */
  readonly onInvalid: (error: SignetError) => void;
}

export interface TlsReloader {
  /** The pair in use. */
  readonly current: ServingTls;
  /** Checks the files now (tests and the poll timer use it); resolves when done. */
  check(): Promise<void>;
  close(): void;
}

/**
 * Reloads the serving certificate when its files change, without a restart. Kubernetes updates a mounted
 * Secret by swapping a symlink in the directory, so the directories are watched, not the files, and a
 * periodic stat catches what watching misses. A new pair is used only once it is whole and valid: a
 * certificate written before its key, or a broken file, leaves the old pair serving and is reported.
 */
export function createTlsReloader(options: TlsReloaderOptions): TlsReloader {
  let current = options.initial;
  let lastStamp: string | undefined;
  let lastInvalidFingerprint: string | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const stamp = async (): Promise<string> => {
    const parts = await Promise.all(
      [options.files.certFile, options.files.keyFile].map(async (path) => {
        try {
          const s = await stat(path);
          return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
        } catch (error) {
          return `missing:${(error as NodeJS.ErrnoException).code ?? "?"}`;
        }
      }),
    );
    return parts.join("|");
  };

  const reload = async (force: boolean): Promise<void> => {
    const now = await stamp();
    if (!force && now === lastStamp) return;
    lastStamp = now;
    let next: ServingTls;
    try {
      next = await loadServingTls(options.files);
    } catch (error) {
      const signetError = toSignetError(error);
      // Report a broken pair once, not on every poll while it stays broken.
      const key = `${signetError.code}:${signetError.message}`;
      if (key !== lastInvalidFingerprint) options.onInvalid(signetError);
      lastInvalidFingerprint = key;
      return;
    }
    lastInvalidFingerprint = undefined;
    if (next.cert.equals(current.cert) && next.key.equals(current.key)) return;
    current = next;
    options.onReload(next);
  };

  const check = (force = false): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await reload(force);
        } while (again && !closed);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  void stamp().then((s) => (lastStamp ??= s));

  let debounce: NodeJS.Timeout | undefined;
  const onEvent = () => {
    clearTimeout(debounce);
    // Writers replace the two files one after the other: wait for both before reading.
    debounce = setTimeout(() => void check(), 50);
    debounce.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const dir of new Set([dirname(options.files.certFile), dirname(options.files.keyFile)])) {
    try {
      const watcher = watch(dir, { persistent: false }, onEvent);
      watcher.on("error", () => {
        // The poll below still sees changes.
      });
      watchers.push(watcher);
    } catch {
      // Some file systems cannot be watched; the poll covers them.
    }
  }
  const poll = setInterval(() => void check(), options.pollIntervalMs);
  poll.unref();

  return {
    get current() {
      return current;
    },
    check: () => check(true),
    close() {
      closed = true;
      clearInterval(poll);
      clearTimeout(debounce);
      for (const watcher of watchers) watcher.close();
    },
  };
}
