import { watch, type FSWatcher } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface FileWatcherOptions {
  /** Files and folders; a folder's entries are watched too (not recursively). */
  readonly paths: readonly string[];
  /** Checked at least this often, even without a change event. */
  readonly pollIntervalMs: number;
  /** Called once per change (debounced), never twice at a time. */
  readonly onChange: () => Promise<void>;
}

export interface FileWatcher {
  close(): void;
}

/**
 * Calls `onChange` when any of the paths changes: size, times or inode of a file, or the entries of a folder
 * (a ConfigMap volume swaps a `..data` symlink, which changes the folder). Events from fs.watch are hints;
 * the periodic check is what guarantees a change is seen.
 */
export function watchFiles(options: FileWatcherOptions): FileWatcher {
  let last: string | undefined;
  let running = false;
  let again = false;
  let closed = false;

  const check = async (): Promise<void> => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const now = await fingerprint(options.paths);
        if (last !== undefined && now !== last) await options.onChange();
        last = now;
      } while (again && !closed);
    } finally {
      running = false;
    }
  };
  void check();

  let debounce: NodeJS.Timeout | undefined;
  const onEvent = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void check(), 100);
    debounce.unref();
  };
  const watchers: FSWatcher[] = [];
  for (const target of new Set(options.paths.flatMap((path) => [path, dirname(path)]))) {
    try {
      const watcher = watch(target, { persistent: false }, onEvent);
      watcher.on("error", () => undefined);
      watchers.push(watcher);
    } catch {
      // Not watchable (missing, a file system without inotify): the poll covers it.
    }
  }
  const poll = setInterval(() => void check(), options.pollIntervalMs);
  poll.unref();
  return {
    close() {
      closed = true;
      clearInterval(poll);
      clearTimeout(debounce);
      for (const watcher of watchers) watcher.close();
    },
  };
}

async function fingerprint(paths: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const path of paths) {
    parts.push(`${path}:${await stamp(path)}`);
    try {
      const entries = (await readdir(path)).sort();
      for (const entry of entries) parts.push(`${entry}:${await stamp(join(path, entry))}`);
    } catch {
      // Not a folder.
    }
  }
  return parts.join("\n");
}

async function stamp(path: string): Promise<string> {
  try {
    const info = await stat(path);
    return `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
  } catch (error) {
    return `missing:${(error as NodeJS.ErrnoException).code ?? "?"}`;
  }
}
