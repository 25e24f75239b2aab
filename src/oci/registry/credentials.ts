import { statSync } from "node:fs";
import { open } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { SignetError } from "../../errors/index.js";
import { decodeBase64Strict } from "../../internal/base64.js";
import { isRecord } from "../../internal/strict-json.js";
import { isDockerHub } from "./endpoint.js";
import { appendAll } from "../../internal/arrays.js";

/**
 * What a registry login is made of: a user name and password, an OAuth2 refresh token (`identitytoken`), or a
 * bearer token sent to the registry as it is (cosign's `--registry-token`, go-containerregistry's RegistryToken).
 */
export type RegistryCredentials =
  | { readonly username: string; readonly password: string }
  | { readonly identityToken: string; readonly username?: string }
  | { readonly registryToken: string };

export interface CredentialStore {
  /** Credentials for a registry host (e.g. "ghcr.io", "127.0.0.1:5000"), most specific repository-scoped entry first. */
  get(registryHost: string, repository?: string): Promise<RegistryCredentials | undefined>;
}

export interface CredentialStoreOptions {
  /** Files to read, in order; the default is authFileSearchPath(). */
  readonly authFiles?: readonly string[];
  /** Environment to read REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, DOCKER_CONFIG from; process.env by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly homeDir?: string;
}

const MAX_AUTH_FILE_BYTES = 1024 * 1024;

/**
 * Where credentials are looked for, in order (as containers/image does): $REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json, then Docker's config.json
 * ($DOCKER_CONFIG/config.json or ~/.docker/config.json).
 */
export function authFileSearchPath(env: Readonly<Record<string, string | undefined>> = process.env, homeDir = homedir()): string[] {
  const files: string[] = [];
  if (nonEmpty(env.REGISTRY_AUTH_FILE)) files.push(env.REGISTRY_AUTH_FILE);
  if (nonEmpty(env.XDG_RUNTIME_DIR)) files.push(join(env.XDG_RUNTIME_DIR, "containers", "auth.json"));
  files.push(join(homeDir, ".config", "containers", "auth.json"));
  files.push(dockerConfigPath(env, homeDir));
  return files;
}

export function dockerConfigPath(env: Readonly<Record<string, string | undefined>> = process.env, homeDir = homedir()): string {
  return nonEmpty(env.DOCKER_CONFIG) ? join(env.DOCKER_CONFIG, "config.json") : join(homeDir, ".docker", "config.json");
}

/**
 * Reads credentials from Docker and containers auth files. Each call looks at the files again (a login made while the
 * process runs is seen), but reads and parses a file only when its size, times or inode changed since: a registry
 * that asks for Basic authentication asks on every request. Credential helpers (credsStore, credHelpers) are not
 * run: such hosts fall through to the `auths` entries. A file that exists but cannot be read or parsed is an
 * error, never "no credentials".
 */
export function createCredentialStore(options: CredentialStoreOptions = {}): CredentialStore {
  const parsed: ParsedAuthFiles = new Map();
  return {
    async get(registryHost, repository) {
      const files = options.authFiles ?? authFileSearchPath(options.env ?? process.env, options.homeDir ?? homedir());
      const candidates = credentialKeyCandidates(registryHost, repository);
      for (const file of files) {
        const auths = await readAuths(file, parsed);
        if (auths === undefined) continue;
        const found = lookupCredentials(auths, candidates);
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}

/** Anonymous access: a store that never has credentials. */
export const NO_CREDENTIALS: CredentialStore = Object.freeze({ get: async () => undefined });

/** A store holding fixed credentials for one registry host (used to check a login before saving it). */
export function createStaticCredentialStore(registryHost: string, credentials: RegistryCredentials): CredentialStore {
  const hosts = new Set(hostAliases(registryHost));
  return { get: async (host) => (hosts.has(host) ? credentials : undefined) };
}

/**
 * The normalised keys to try for a registry and repository, most specific first: "host/org/app", "host/org", "host".
 * Docker Hub is known by several names; all of them are tried.
 */
export function credentialKeyCandidates(registryHost: string, repository?: string): string[] {
  const keys: string[] = [];
  const segments = repository === undefined || repository === "" ? [] : repository.split("/");
  for (const host of hostAliases(registryHost)) {
    for (let n = segments.length; n > 0; n--) keys.push(`${host}/${segments.slice(0, n).join("/")}`);
  }
  appendAll(keys, hostAliases(registryHost));
  return keys;
}

function hostAliases(registryHost: string): string[] {
  return isDockerHub(registryHost) ? ["docker.io", "index.docker.io", "registry-1.docker.io"] : [registryHost];
}

/**
 * Normalises an `auths` key: "https://host/v1/" and "http://host" (Docker's legacy forms) become "host";
 * "host/namespace" keys (containers auth.json) keep their path. Matching is then by exact equality.
 */
export function normalizeAuthKey(key: string): string {
  const schemeMatch = /^https?:\/\//i.exec(key);
  if (schemeMatch) {
    const rest = key.slice(schemeMatch[0].length);
    return rest.split("/")[0]!.toLowerCase();
  }
  const trimmed = key.replace(/\/+$/, "");
  const slash = trimmed.indexOf("/");
  return slash < 0 ? trimmed.toLowerCase() : `${trimmed.slice(0, slash).toLowerCase()}${trimmed.slice(slash)}`;
}

function lookupCredentials(auths: Record<string, unknown>, candidates: readonly string[]): RegistryCredentials | undefined {
  const byKey = new Map<string, unknown>();
  // Exact keys win over legacy forms that normalise to the same key.
  for (const [key, value] of Object.entries(auths)) {
    const normalized = normalizeAuthKey(key);
    if (key === normalized || !byKey.has(normalized)) byKey.set(normalized, value);
  }
  for (const candidate of candidates) {
    const credentials = decodeAuthEntry(byKey.get(candidate));
    if (credentials !== undefined) return credentials;
  }
  return undefined;
}

/**
 * THE reader of one `auths` entry of a Docker or containers auth file, or of a dockerconfigjson pull secret:
 * `auth` (base64 of user:password, read as Go's StdEncoding does: invalid base64 gives nothing), else `username`
 * and `password`, and `identitytoken`. Undefined when the entry holds no usable credentials.
 */
export function decodeAuthEntry(untrustedEntry: unknown): RegistryCredentials | undefined {
  if (!isRecord(untrustedEntry)) return undefined;
  let username = typeof untrustedEntry.username === "string" ? untrustedEntry.username : "";
  let password = typeof untrustedEntry.password === "string" ? untrustedEntry.password : "";
  const auth = typeof untrustedEntry.auth === "string" && untrustedEntry.auth !== "" ? decodeBase64Strict(untrustedEntry.auth, "go-std") : undefined;
  if (auth !== undefined) {
    const decoded = auth.toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  }
  const identityToken = untrustedEntry.identitytoken;
  if (typeof identityToken === "string" && identityToken !== "") {
    return username === "" ? { identityToken } : { identityToken, username };
  }
  if (username !== "" && password !== "") return { username, password };
  return undefined;
}

/** Auth files read lately: what they held, when, and their size, times and inode then. */
type ParsedAuthFiles = Map<string, { stamp: string; readAt: number; auths: Record<string, unknown> }>;

/** A file read less than this long ago with the same stamp is not read again (a coarse clock cannot hide a change longer). */
const AUTH_FILE_REUSE_MS = 1000;

/** The `auths` object of an auth file; undefined when the file does not exist. */
async function readAuths(path: string, parsedFiles: ParsedAuthFiles): Promise<Record<string, unknown> | undefined> {
  let text: string;
  let stamp: string;
  const now = Date.now();
  try {
    // Synchronous, and no exception for a missing file: most of the search path is usually missing, and an
    // ENOENT error object per file per request cost ~60 µs each (measured).
    const info = statSync(path, { throwIfNoEntry: false });
    if (info === undefined) {
      parsedFiles.delete(path);
      return undefined;
    }
    stamp = `${info.size}:${info.mtimeMs}:${info.ctimeMs}:${info.ino}`;
    const known = parsedFiles.get(path);
    if (known !== undefined && known.stamp === stamp && now - known.readAt < AUTH_FILE_REUSE_MS) return known.auths;
    const handle = await open(path, "r");
    try {
      const { size } = await handle.stat();
      if (size > MAX_AUTH_FILE_BYTES) throw authFileError(path, `is larger than ${MAX_AUTH_FILE_BYTES} bytes`);
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
  } catch (error) {
    parsedFiles.delete(path);
    if (SignetError.is(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw authFileError(path, `cannot be read (${code ?? (error as Error).message})`, error);
  }
  const auths = parseAuths(path, text);
  // What was read may be newer than the stamp: then the next call sees another stamp and reads again.
  parsedFiles.set(path, { stamp, readAt: now, auths });
  return auths;
}

function parseAuths(path: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw authFileError(path, "is not valid JSON");
  }
  if (!isRecord(parsed)) throw authFileError(path, "is not a JSON object");
  if (parsed.auths === undefined) return {};
  if (!isRecord(parsed.auths)) throw authFileError(path, 'has an "auths" member that is not an object');
  return parsed.auths;
}

function authFileError(path: string, problem: string, cause?: unknown): SignetError {
  return new SignetError("IO_ERROR", `the registry auth file ${path} ${problem}`, {
    details: { path },
    hint: "Fix or remove the file, or point REGISTRY_AUTH_FILE at another one.",
    ...(cause === undefined ? {} : { cause }),
  });
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}
