/**
 * Where the trust material comes from:
 *  - `trustedRootPath`: a private deployment's trusted_root.json, used as is.
 *  - otherwise the sigstore public-good (or staging) instance through TUF, starting from the root.json shipped
 *    in assets/trust and caching what it verifies on disk (the TUF client, tuf-js via @sigstore/tuf, refuses
 *    rollbacks, freezes and path-like target names: security cases D.27, D.28).
 *  - `offline`: never touch the network; use the trusted_root.json TUF last verified into the cache, else the
 *    embedded copy.
 * Online, a TUF failure fails closed (TRUST_ROOT_UNAVAILABLE): an out-of-date root is only used when the
 * caller asked for offline operation, so that a network attacker cannot hold a client on an old root silently.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SignetError } from "../errors/index.js";
import { parseTrustedRoot } from "./parse-trusted-root.js";
import type { TrustMaterial } from "./trust-material.js";
import { LIMITS } from "../internal/limits.js";

export interface LoadTrustedRootOptions {
  /** A trusted_root.json to use instead of the public-good root (private deployments, `--trusted-root`). */
  readonly trustedRootPath?: string;
  /** Never touch the network: use the TUF cache's verified copy, else the embedded one. */
  readonly offline?: boolean;
  /** The TUF cache directory (default: `defaultTufCacheDir(process.env)`). */
  readonly tufCacheDir?: string;
  /** The public-good staging instance (sigstage.dev) instead of production. */
  readonly staging?: boolean;
  /** A TUF mirror other than the instance's (a private TUF repository, or a test server). */
  readonly tufMirrorUrl?: string;
  /** The TUF root.json to start from with `tufMirrorUrl` (default: the instance's embedded one). */
  readonly tufRootPath?: string;
  /** Ask the TUF repository for new metadata even when the cached metadata has not expired (`signet trust update`). */
  readonly refresh?: boolean;
}

/** The public-good instances signet knows, with their embedded material (assets/trust/<dir>/). */
const INSTANCES = {
  production: { mirror: "https://tuf-repo-cdn.sigstore.dev", assets: "public-good", name: "public-good" },
  staging: { mirror: "https://tuf-repo-cdn.sigstage.dev", assets: "staging", name: "public-good staging" },
} as const;

/** Larger than any real trusted root, small enough to read whole. */
const TRUSTED_ROOT_MAX_BYTES = LIMITS.trustedRootBytes;
const TRUSTED_ROOT_TARGET = "trusted_root.json";

/** assets/trust, from dist/src/trust/ (built) — the package ships assets/ next to dist/. */
export function embeddedTrustDir(): string {
  return fileURLToPath(new URL("../../../assets/trust/", import.meta.url));
}

export async function loadTrustedRoot(options: LoadTrustedRootOptions = {}): Promise<TrustMaterial> {
  if (options.trustedRootPath !== undefined) {
    if (options.staging === true) throw new SignetError("OPTION_CONFLICT", "give either a trusted root file or the staging instance, not both");
    return parseTrustedRoot(readTrustFile(options.trustedRootPath, "trusted root"), `trusted root ${options.trustedRootPath}`);
  }
  const instance = options.staging === true ? INSTANCES.staging : INSTANCES.production;
  const cacheDir = options.tufCacheDir ?? defaultTufCacheDir(process.env);
  // A mirror recorded by `signet initialize` (cosign's remote.json) is used like --tuf mirror options.
  const customMirror = options.tufMirrorUrl ?? (options.staging === true ? undefined : recordedTufMirror(cacheDir));
  const mirror = customMirror ?? instance.mirror;
  const embeddedRoot = join(embeddedTrustDir(), instance.assets, "root.json");
  if (options.offline === true) {
    const cached = cachedTrustedRootPath(cacheDir, mirror);
    const text = readIfPresent(cached);
    if (text !== undefined) return parseTrustedRoot(text, `${instance.name} trusted root (TUF cache ${cached})`);
    if (customMirror !== undefined) {
      throw new SignetError("TRUST_ROOT_UNAVAILABLE", `no cached trusted root for the TUF mirror ${mirror} in ${cacheDir}`, { hint: "Run once online to fill the cache, or pass --trusted-root FILE." });
    }
    const embedded = join(embeddedTrustDir(), instance.assets, TRUSTED_ROOT_TARGET);
    return parseTrustedRoot(readTrustFile(embedded, "embedded trusted root"), `embedded ${instance.name} trusted root`);
  }
  const text = await fetchThroughTuf({ mirror, cacheDir, rootPath: options.tufRootPath ?? embeddedRoot, refresh: options.refresh === true });
  return parseTrustedRoot(text, `${instance.name} trusted root (TUF ${mirror})`);
}

async function fetchThroughTuf(options: { mirror: string; cacheDir: string; rootPath: string; refresh: boolean }): Promise<string> {
  try {
    // Heavy (an HTTP stack): loaded only when TUF is used.
    const { initTUF } = await import("@sigstore/tuf");
    // forceCache: metadata that has not expired is used without asking the repository (tuf-js still refuses
    // expired metadata, and checks versions against the cached ones when it does ask).
    const tuf = await initTUF({ mirrorURL: options.mirror, cachePath: options.cacheDir, rootPath: options.rootPath, forceCache: !options.refresh, retry: { retries: 1 }, timeout: 10_000 });
    return await tuf.getTarget(TRUSTED_ROOT_TARGET);
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    throw new SignetError("TRUST_ROOT_UNAVAILABLE", `the trusted root could not be updated through TUF from ${options.mirror}: ${(error as Error).message}${cause}`, {
      details: { mirror: options.mirror, cacheDir: options.cacheDir },
      cause: error,
    });
  }
}

/** Where @sigstore/tuf keeps the verified target: <cache>/<url-encoded host and path>/targets/trusted_root.json. */
export function cachedTrustedRootPath(cacheDir: string, mirror: string): string {
  const url = new URL(mirror);
  return join(cacheDir, encodeURIComponent(url.host + url.pathname.replace(/\/$/, "")), "targets", TRUSTED_ROOT_TARGET);
}

/**
 * signet's TUF cache: `$SIGNET_TUF_ROOT`, else `$XDG_CACHE_HOME/signet/tuf`, else `~/.cache/signet/tuf`. Not
 * cosign's `~/.sigstore/root`: that directory belongs to go-tuf, whose cache layout differs from tuf-js's.
 */
export function defaultTufCacheDir(env: NodeJS.ProcessEnv): string {
  if (env["SIGNET_TUF_ROOT"]) return env["SIGNET_TUF_ROOT"];
  const base = env["XDG_CACHE_HOME"] ? env["XDG_CACHE_HOME"] : join(homedir(), ".cache");
  return join(base, "signet", "tuf");
}

function readTrustFile(path: string, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SignetError(code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot read the ${what} ${path}: ${code ?? (error as Error).message}`);
  }
  if (bytes.length > TRUSTED_ROOT_MAX_BYTES) throw new SignetError("TRUST_ROOT_INVALID", `the ${what} ${path} is larger than ${TRUSTED_ROOT_MAX_BYTES} bytes`);
  return bytes;
}

function readIfPresent(path: string): Buffer | undefined {
  try {
    return readTrustFile(path, "cached trusted root");
  } catch (error) {
    if (SignetError.is(error) && error.code === "FILE_NOT_FOUND") return undefined;
    throw error;
  }
}

/** Loads each distinct trust root once; create one per process or per compiled policy. */
export interface TrustedRootLoader {
  load(options?: LoadTrustedRootOptions): Promise<TrustMaterial>;
}

export function createTrustedRootLoader(): TrustedRootLoader {
  const loaded = new Map<string, Promise<TrustMaterial>>();
  return {
    load(options = {}) {
      const key = JSON.stringify([options.trustedRootPath, options.offline === true, options.tufCacheDir, options.staging === true, options.tufMirrorUrl, options.tufRootPath, options.refresh === true]);
      let promise = loaded.get(key);
      if (promise === undefined) {
        promise = loadTrustedRoot(options);
        loaded.set(key, promise);
        promise.catch(() => loaded.delete(key));
      }
      return promise;
    },
  };
}

/** cosign's name for the file that records the TUF mirror `initialize` chose. */
const REMOTE_FILE = "remote.json";

export interface InitializeTufOptions {
  readonly cacheDir: string;
  readonly mirror: string;
  /** The out-of-band root.json, untrusted until checked here (its shape) and by TUF (its signatures, on update). */
  readonly untrustedRoot: Buffer;
  /** cosign's --root-checksum: the sha256 (hex) the root.json must have. */
  readonly rootChecksum?: string;
}

/**
 * cosign's `initialize --mirror URL --root FILE`, offline: seeds the TUF cache for `mirror` with this root.json
 * (where the TUF client starts from, instead of the embedded root) and records the mirror, so later commands use
 * them. Nothing is fetched: the next online use (`trust update`, a keyless verify) walks the TUF chain from here.
 */
export async function initializeTufRoot(options: InitializeTufOptions): Promise<{ rootPath: string; version: number }> {
  const { createHash } = await import("node:crypto");
  const { mkdir } = await import("node:fs/promises");
  const { writeFileAtomic } = await import("../internal/atomic-file.js");
  const { parseSignedJson } = await import("../internal/json-reader.js");
  let url: URL;
  try {
    url = new URL(options.mirror);
  } catch {
    throw new SignetError("USAGE", `--mirror ${JSON.stringify(options.mirror)} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:" && url.protocol !== "file:") throw new SignetError("USAGE", `--mirror must be an http(s) or file: URL, not ${url.protocol}`);
  if (options.rootChecksum !== undefined) {
    const actual = createHash("sha256").update(options.untrustedRoot).digest("hex");
    if (actual !== options.rootChecksum.toLowerCase()) {
      throw new SignetError("DIGEST_MISMATCH", `the root.json has sha256 ${actual}, not --root-checksum ${options.rootChecksum}`);
    }
  }
  const untrusted = parseSignedJson(options.untrustedRoot, "the TUF root.json", "TRUST_ROOT_INVALID") as { signed?: { _type?: unknown; version?: unknown }; signatures?: unknown };
  if (typeof untrusted !== "object" || untrusted === null || untrusted.signed?._type !== "root" || !Array.isArray(untrusted.signatures) || !Number.isSafeInteger(untrusted.signed.version)) {
    throw new SignetError("TRUST_ROOT_INVALID", "the --root file is not TUF root metadata (signed._type \"root\", a version and signatures)");
  }
  const repoDir = join(options.cacheDir, encodeURIComponent(url.host + url.pathname.replace(/\/$/, "")));
  await mkdir(join(repoDir, "targets"), { recursive: true });
  const rootPath = join(repoDir, "root.json");
  await writeFileAtomic(rootPath, options.untrustedRoot, { mode: 0o644 });
  await writeFileAtomic(join(options.cacheDir, REMOTE_FILE), `${JSON.stringify({ mirror: options.mirror })}\n`, { mode: 0o644 });
  return { rootPath, version: untrusted.signed.version as number };
}

/** The mirror `initialize` recorded in the cache, if any. */
export function recordedTufMirror(cacheDir: string): string | undefined {
  const text = readIfPresent(join(cacheDir, REMOTE_FILE));
  if (text === undefined) return undefined;
  try {
    const mirror = (JSON.parse(text.toString("utf8")) as { mirror?: unknown }).mirror;
    return typeof mirror === "string" && mirror !== "" ? mirror : undefined;
  } catch {
    throw new SignetError("TRUST_ROOT_INVALID", `${join(cacheDir, REMOTE_FILE)} is not valid JSON`, { hint: "Run `signet initialize` again, or delete the file to use the public-good mirror." });
  }
}
