// Loads the bundled CLI (dist/bundle/main.cjs, one CommonJS file) through V8's code cache, so that a second run of a
// command does not parse and compile again what the first compiled. Node 20 has no compile cache of its own
// (`module.enableCompileCache` is Node 22.1+), and an ES module cannot take cached data there, hence CommonJS and
// `vm.Script`. One cache per top-level command (each holds the functions its run compiled), under the user's cache
// directory, in a folder named after the Node release and the bundle's size, modification time and inode: V8 itself
// rejects data from another V8 or other flags, but it checks only the source's length, so an edited bundle must not
// meet an old cache. The cache is an optimisation only: any problem with it (unsafe folder, unreadable, rejected,
// unwritable) means compiling as usual, never a different result. SIGNET_CODE_CACHE=off turns it off; a path moves it.
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { Script } from "node:vm";

/** What happened to the cache on this load (for tests and `SIGNET_CODE_CACHE_DEBUG`). */
export type CodeCacheOutcome = "used" | "created" | "rejected" | "off" | "unsafe";

export interface LoadedBundle {
  exports: Record<string, unknown>;
  outcome: CodeCacheOutcome;
}

/** A cache file larger than this is not read (the CLI's caches are ~0.5-2 MB). */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/** The cache folder for `env`, or undefined when the cache is off. */
export function codeCacheRoot(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const setting = env["SIGNET_CODE_CACHE"];
  if (setting === "off" || setting === "0" || setting === "false") return undefined;
  if (setting !== undefined && setting !== "") return setting;
  const base = env["XDG_CACHE_HOME"] !== undefined && env["XDG_CACHE_HOME"] !== "" ? env["XDG_CACHE_HOME"] : join(env["HOME"] ?? homedir(), ".cache");
  return join(base, "signet", "code-cache");
}

/**
 * A folder only this user can write to (created 0700 when missing), or undefined: cached code runs as signet, so a
 * cache others could write would let them run code as this user.
 */
function privateFolder(path: string): string | undefined {
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    const info = lstatSync(path);
    const uid = process.getuid?.();
    if (!info.isDirectory() || (info.mode & 0o022) !== 0 || (uid !== undefined && info.uid !== uid)) return undefined;
    return path;
  } catch {
    return undefined;
  }
}

/** The command's cache file name: a plain word, else "other" (the first argument may be anything). */
function cacheName(command: string | undefined): string {
  return command !== undefined && /^[a-z][a-z0-9-]{0,39}$/.test(command) ? command : "other";
}

/**
 * Requires the CommonJS file `file` (the bundle: ASCII, as esbuild writes it) with the code cache of `command`.
 * The cache is written when the process exits, from everything compiled by then, if there was none or V8 rejected it.
 */
export function requireWithCodeCache(file: string, command: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): LoadedBundle {
  // latin1 is exact for ASCII and skips UTF-8 decoding of ~1.3 MB (scripts/bundle-cli.mjs checks the bundle is ASCII).
  const source = readFileSync(file, "latin1");
  const root = codeCacheRoot(env);
  let cachedData: Buffer | undefined;
  let outcome: CodeCacheOutcome = root === undefined ? "off" : "unsafe";
  let cacheFile: string | undefined;
  if (root !== undefined) {
    const stamp = statSync(file);
    const version = `node${process.versions.node}-${process.arch}-${stamp.size}-${Math.trunc(stamp.mtimeMs)}-${stamp.ino}`;
    const folder = privateFolder(root) === undefined ? undefined : privateFolder(join(root, version));
    if (folder !== undefined) {
      cacheFile = join(folder, `${cacheName(command)}.bin`);
      cachedData = readCache(cacheFile);
      if (cachedData === undefined) clearOtherVersions(root, version);
    }
  }
  const script = new Script(wrapCommonJs(source), { filename: file, ...(cachedData !== undefined ? { cachedData } : {}) });
  if (cacheFile !== undefined) {
    outcome = cachedData === undefined ? "created" : script.cachedDataRejected === true ? "rejected" : "used";
    if (outcome !== "used") {
      const target = cacheFile;
      process.once("exit", () => writeCache(target, script));
    }
  }
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string, importModule: typeof importFromHere) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file), importFromHere);
  if (env["SIGNET_CODE_CACHE_DEBUG"] === "1") process.stderr.write(`signet: code cache ${outcome}${cacheFile !== undefined ? ` (${cacheFile})` : ""}\n`);
  return { exports: module.exports, outcome };
}

/**
 * The bundle's import(): code V8 restores from a cache on Node 20 has lost the script's dynamic import callback, so
 * scripts/bundle-cli.mjs rewrites each import("package") of the bundle into a call of this, an ES module's import().
 * Packages resolve from here as from the bundle: both are inside the same package, above the same node_modules.
 */
function importFromHere(specifier: string): Promise<unknown> {
  return import(specifier);
}

/** CommonJS's function wrapper (plus the bundle's import()), on the source's first line: line numbers stay right. */
function wrapCommonJs(source: string): string {
  return `(function (exports, require, module, __filename, __dirname, __signetImport) { ${source}\n});`;
}

function readCache(path: string): Buffer | undefined {
  try {
    const info = lstatSync(path);
    const uid = process.getuid?.();
    if (!info.isFile() || info.size > MAX_CACHE_BYTES || (info.mode & 0o022) !== 0 || (uid !== undefined && info.uid !== uid)) return undefined;
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Written whole or not at all (a temporary file renamed over): a reader never sees half a cache. */
function writeCache(path: string, script: Script): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    renameSync(temporary, path);
  } catch {
    rmSync(temporary, { force: true });
  }
}

/** Caches of earlier builds or Node releases are never read again: removed when a new one starts. */
function clearOtherVersions(root: string, current: string): void {
  try {
    for (const name of readdirSync(root)) if (name !== current && name.startsWith("node")) rmSync(join(root, name), { recursive: true, force: true });
  } catch {
    // best effort: an old cache left behind costs disk space, not correctness
  }
}
