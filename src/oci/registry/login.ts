import { mkdir, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname } from "node:path";
import { SignetError } from "../../errors/index.js";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import { isRecord } from "../../internal/strict-json.js";
import { createRegistryClient, type RegistryClientOptions } from "./client.js";
import { createStaticCredentialStore, dockerConfigPath, normalizeAuthKey } from "./credentials.js";
import { isDockerHub, parseRegistryHost } from "./endpoint.js";

export interface LoginFileOptions {
  /** The file to write; default $REGISTRY_AUTH_FILE, else Docker's config.json. */
  readonly authFile?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly homeDir?: string;
}

/** Where to write, plus how to reach the registry to check the credentials (TLS, HTTP, timeouts). */
export interface LoginOptions extends LoginFileOptions, Omit<RegistryClientOptions, "credentials"> {}

/** The file login and logout write: the given one, $REGISTRY_AUTH_FILE, or $DOCKER_CONFIG/config.json (~/.docker/config.json). */
export function loginAuthFile(options: LoginFileOptions = {}): string {
  const env = options.env ?? process.env;
  if (options.authFile !== undefined) return options.authFile;
  if (env.REGISTRY_AUTH_FILE !== undefined && env.REGISTRY_AUTH_FILE !== "") return env.REGISTRY_AUTH_FILE;
  return dockerConfigPath(env, options.homeDir ?? homedir());
}

/** The `auths` key for a registry: Docker Hub keeps Docker's historical key, others their host. */
export function loginKey(registryHost: string): string {
  return isDockerHub(registryHost) ? "https://index.docker.io/v1/" : registryHost;
}

/**
 * Checks credentials against the registry: `GET /v2/`, answering its challenge (Basic, or a token request with
 * the credentials). Throws REGISTRY_UNAUTHORIZED when they are refused.
 */
export async function verifyLogin(registry: string, username: string, password: string, options: Omit<RegistryClientOptions, "credentials"> = {}): Promise<void> {
  const host = parseRegistryHost(registry);
  const client = createRegistryClient({ ...clientOptionsOf(options), credentials: createStaticCredentialStore(host, { username, password }) });
  try {
    await client.ping(host);
  } finally {
    await client.close();
  }
}

/**
 * Verifies the credentials, then stores them in the auth file (atomically, mode 0600, other entries kept).
 * Returns the path of the file written.
 */
export async function saveLogin(registry: string, username: string, password: string, options: LoginOptions = {}): Promise<string> {
  const host = parseRegistryHost(registry);
  if (username === "" || username.includes(":")) {
    throw new SignetError("USAGE", "the user name must be non-empty and must not contain a colon");
  }
  if (password === "") throw new SignetError("USAGE", "the password must not be empty");
  await verifyLogin(host, username, password, options);
  const authFile = loginAuthFile(options);
  const config = await readConfig(authFile);
  const auths = isRecord(config.auths) ? config.auths : {};
  auths[loginKey(host)] = { auth: Buffer.from(`${username}:${password}`, "utf8").toString("base64") };
  config.auths = auths;
  await writeConfigAtomically(authFile, config);
  return authFile;
}

/**
 * Removes the registry's entries (every key naming its host, not repository-scoped ones) from the auth file.
 * Returns the path of the file changed, or undefined when it held no entry for the registry.
 */
export async function removeLogin(registry: string, options: LoginFileOptions = {}): Promise<string | undefined> {
  const host = parseRegistryHost(registry);
  const authFile = loginAuthFile(options);
  const config = await readConfig(authFile);
  if (!isRecord(config.auths)) return undefined;
  const names = isDockerHub(host) ? ["docker.io", "index.docker.io", "registry-1.docker.io"] : [host];
  let removed = false;
  for (const key of Object.keys(config.auths)) {
    if (names.includes(normalizeAuthKey(key))) {
      delete config.auths[key];
      removed = true;
    }
  }
  if (!removed) return undefined;
  await writeConfigAtomically(authFile, config);
  return authFile;
}

/** The client options within login options (dropping the file options). */
function clientOptionsOf(options: Omit<RegistryClientOptions, "credentials"> & Partial<LoginFileOptions>): Omit<RegistryClientOptions, "credentials"> {
  const { authFile: _authFile, env: _env, homeDir: _homeDir, ...client } = options;
  return client;
}

async function readConfig(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new SignetError("IO_ERROR", `cannot read ${path}: ${(error as Error).message}`, { details: { path }, cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SignetError("IO_ERROR", `${path} is not valid JSON; not overwriting it`, { details: { path }, hint: "Fix or move the file, then log in again." });
  }
  if (!isRecord(parsed)) throw new SignetError("IO_ERROR", `${path} is not a JSON object; not overwriting it`, { details: { path }, hint: "Fix or move the file, then log in again." });
  return parsed;
}

/** Writes a temporary file (mode 0600) beside the target and renames it over the target (internal/atomic-file.ts). */
async function writeConfigAtomically(path: string, config: Record<string, unknown>): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, `${JSON.stringify(config, null, "\t")}\n`, { mode: 0o600 });
  } catch (error) {
    const cause = SignetError.is(error) && error.cause !== undefined ? error.cause : error;
    throw new SignetError("IO_ERROR", `cannot write ${path}: ${(cause as Error).message}`, { details: { path }, cause });
  }
}
