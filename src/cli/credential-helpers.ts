/**
 * Docker credential helpers (`credsStore`, `credHelpers` in config.json), as docker, cosign and crane run them:
 * `docker-credential-NAME get` with the registry host on stdin, `{"Username","Secret"}` on stdout. The auth files
 * are read first (oci/registry/credentials.ts); a helper is run only for a host they have no credentials for.
 */
import { readFile } from "node:fs/promises";
import { SignetError } from "../errors/index.js";
import { createCredentialStore, type CredentialStore, type RegistryCredentials } from "../oci/registry/index.js";
import { dockerConfigPath } from "../oci/registry/credentials.js";

const HELPER_TIMEOUT_MS = 15_000;
const HELPER_OUTPUT_MAX_BYTES = 64 * 1024;
const CONFIG_MAX_BYTES = 1024 * 1024;
const DOCKER_HUB_KEY = "https://index.docker.io/v1/";

export function createHelperAwareCredentialStore(env: NodeJS.ProcessEnv): CredentialStore {
  const files = createCredentialStore({ env });
  return {
    async get(registryHost, repository) {
      const found = await files.get(registryHost, repository);
      if (found !== undefined) return found;
      const helper = await helperFor(registryHost, env);
      return helper === undefined ? undefined : runHelper(helper.name, helper.serverUrl, env);
    },
  };
}

function isDockerHubHost(host: string): boolean {
  return host === "docker.io" || host === "index.docker.io" || host === "registry-1.docker.io";
}

/** The helper config.json names for this host: credHelpers[host], else credsStore. */
async function helperFor(registryHost: string, env: NodeJS.ProcessEnv): Promise<{ name: string; serverUrl: string } | undefined> {
  const path = dockerConfigPath(env);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  if (text.length > CONFIG_MAX_BYTES) throw new SignetError("REGISTRY_AUTH_FILE_INVALID", `${path} is larger than ${CONFIG_MAX_BYTES} bytes`);
  let config: { credHelpers?: unknown; credsStore?: unknown };
  try {
    config = JSON.parse(text) as typeof config;
  } catch (error) {
    throw new SignetError("REGISTRY_AUTH_FILE_INVALID", `${path} is not valid JSON: ${(error as Error).message}`, { details: { path } });
  }
  const serverUrl = isDockerHubHost(registryHost) ? DOCKER_HUB_KEY : registryHost;
  const helpers = typeof config.credHelpers === "object" && config.credHelpers !== null ? (config.credHelpers as Record<string, unknown>) : {};
  const name = [helpers[registryHost], helpers[serverUrl], config.credsStore].find((value): value is string => typeof value === "string" && value !== "");
  if (name === undefined) return undefined;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new SignetError("REGISTRY_AUTH_FILE_INVALID", `${path} names the credential helper ${JSON.stringify(name)}, which is not a helper name`);
  return { name, serverUrl };
}

async function runHelper(name: string, serverUrl: string, env: NodeJS.ProcessEnv): Promise<RegistryCredentials | undefined> {
  const program = `docker-credential-${name}`;
  // Loaded when a helper is configured: node:child_process (with net and dgram) is ~2 ms of every start-up.
  const { spawn } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    const child = spawn(program, ["get"], { env, stdio: ["pipe", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill(), HELPER_TIMEOUT_MS);
    timer.unref();
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > HELPER_OUTPUT_MAX_BYTES) child.kill();
      else chunks.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-500)));
    child.stdin.on("error", () => undefined);
    child.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new SignetError("REGISTRY_UNAUTHORIZED", `the credential helper ${program} for ${serverUrl} cannot run: ${error.code ?? error.message}`, { hint: `Install ${program}, or change credsStore/credHelpers in ${dockerConfigPath(env)}.` }));
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString("utf8");
      // Helpers answer "credentials not found in native keychain" with a non-zero exit: no credentials, not an error.
      if (status !== 0) {
        if (/not found/i.test(output + stderr)) return resolve(undefined);
        return reject(new SignetError("REGISTRY_UNAUTHORIZED", `the credential helper ${program} failed for ${serverUrl} (exit ${status}): ${(output + stderr).trim().slice(0, 300)}`));
      }
      try {
        const answer = JSON.parse(output) as { Username?: unknown; Secret?: unknown };
        if (typeof answer.Secret !== "string" || answer.Secret === "") return resolve(undefined);
        const username = typeof answer.Username === "string" ? answer.Username : "";
        resolve(username === "<token>" ? { identityToken: answer.Secret } : { username, password: answer.Secret });
      } catch {
        reject(new SignetError("REGISTRY_UNAUTHORIZED", `the credential helper ${program} did not answer with JSON for ${serverUrl}`));
      }
    });
    child.stdin.end(serverUrl);
  });
}
