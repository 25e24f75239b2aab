/**
 * Keys in Kubernetes Secrets, as cosign keeps them (pkg/cosign/kubernetes/secret.go): `cosign.key` (the
 * encrypted private key), `cosign.pub` and `cosign.password`. Read and written through the one Kubernetes client
 * (internal/kube), with the kubeconfig's current context or in-cluster credentials.
 */
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { SignetError, type ErrorCode } from "../errors/index.js";
import { decodeBase64Strict } from "../internal/base64.js";
import { createKubeClient, statusMessage, type KubeClient } from "../internal/kube/kube-client.js";
import { isRecord } from "../internal/strict-json.js";
import { LIMITS } from "../internal/limits.js";

export const COSIGN_SECRET_PRIVATE_KEY = "cosign.key";
export const COSIGN_SECRET_PUBLIC_KEY = "cosign.pub";
export const COSIGN_SECRET_PASSWORD = "cosign.password";

export interface K8sAccessOptions {
  /** A kubeconfig file; when absent the in-cluster service account is used. */
  readonly kubeconfig?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Service account directory for in-cluster access (tests). */
  readonly serviceAccountDir?: string | undefined;
  readonly timeoutMs?: number;
  /** The code of every failure to read. Default KEY_REF_UNREADABLE. */
  readonly code?: ErrorCode;
  /** A client to use instead of opening one (the webhook shares its own). */
  readonly client?: KubeClient;
}

export interface SecretName {
  readonly namespace: string;
  readonly name: string;
}

/** A Secret's data, base64-decoded, with the resourceVersion read (the webhook's cache compares it). */
export interface SecretData {
  readonly data: ReadonlyMap<string, Buffer>;
  readonly resourceVersion: string | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Reads a Secret through the API. Fails (KEY_REF_UNREADABLE or the given code) on anything but a well-formed 200. */
export async function readSecretData(secret: SecretName, options: K8sAccessOptions = {}): Promise<SecretData> {
  const code = options.code ?? "KEY_REF_UNREADABLE";
  const where = `Kubernetes secret ${secret.namespace}/${secret.name}`;
  const response = await withClient(options, code, (client) =>
    client.send({ method: "GET", path: secretPath(secret), maxBytes: LIMITS.kubernetesSecretBytes, what: `get secret ${secret.namespace}/${secret.name}` }),
  );
  if (response.status !== 200) {
    const message = statusMessage(response.body);
    const why = response.status === 404 ? "does not exist" : response.status === 401 || response.status === 403 ? "may not be read with these credentials" : "cannot be read";
    throw new SignetError(code, `${where} ${why}: the API server answered ${response.status}${message !== undefined ? ` (${message})` : ""}`, {
      details: { status: response.status, namespace: secret.namespace, name: secret.name },
    });
  }
  return toSecretData(response.body, where, code);
}

/** The decoded data of a Secret object (from a GET or a watch event). */
export function toSecretData(untrustedSecret: unknown, where: string, code: ErrorCode = "KEY_REF_UNREADABLE"): SecretData {
  if (!isRecord(untrustedSecret)) throw new SignetError(code, `${where}: the API server's answer is not a Secret`);
  const data = untrustedSecret["data"] ?? {};
  if (!isRecord(data)) throw new SignetError(code, `${where}: the secret's data is not an object`);
  const decoded = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(data)) {
    const bytes = typeof value === "string" ? decodeBase64Strict(value) : undefined;
    if (bytes === undefined) throw new SignetError(code, `${where}: the value of ${key} is not base64`);
    decoded.set(key, bytes);
  }
  const metadata = untrustedSecret["metadata"];
  const version = isRecord(metadata) ? metadata["resourceVersion"] : undefined;
  return { data: decoded, resourceVersion: typeof version === "string" ? version : undefined };
}

/** One value of a Secret; KEY_REF_UNREADABLE (or `code`) naming the keys it does have when it is missing. */
export function secretValue(secret: SecretData, key: string, where: string, code: ErrorCode = "KEY_REF_UNREADABLE"): Buffer {
  const value = secret.data.get(key);
  if (value === undefined) {
    const keys = [...secret.data.keys()].slice(0, 10);
    throw new SignetError(code, `${where} has no ${key} (it has ${keys.length === 0 ? "no data" : keys.join(", ")})`, { details: { key } });
  }
  return value;
}

export interface KeyPairSecret {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly password: Uint8Array;
}

/**
 * Writes a key pair as cosign's `generate-key-pair k8s://NS/NAME` does: creates the Secret with cosign.key,
 * cosign.pub and cosign.password; when it exists, updates it, keeping its other entries. Returns which it did.
 */
export async function writeKeyPairSecret(secret: SecretName, keys: KeyPairSecret, options: K8sAccessOptions = {}): Promise<"created" | "updated"> {
  const code = options.code ?? "KEY_REF_UNREADABLE";
  const where = `Kubernetes secret ${secret.namespace}/${secret.name}`;
  const entries = {
    [COSIGN_SECRET_PRIVATE_KEY]: Buffer.from(keys.privateKeyPem, "utf8").toString("base64"),
    [COSIGN_SECRET_PUBLIC_KEY]: Buffer.from(keys.publicKeyPem, "utf8").toString("base64"),
    [COSIGN_SECRET_PASSWORD]: Buffer.from(keys.password).toString("base64"),
  };
  return withClient(options, code, async (client) => {
    const existing = await client.send({ method: "GET", path: secretPath(secret), maxBytes: LIMITS.kubernetesSecretBytes, what: `get secret ${secret.namespace}/${secret.name}` });
    if (existing.status === 404) {
      const body = { apiVersion: "v1", kind: "Secret", metadata: { name: secret.name, namespace: secret.namespace }, data: entries };
      const created = await client.send({ method: "POST", path: `/api/v1/namespaces/${secret.namespace}/secrets`, body, maxBytes: LIMITS.kubernetesSecretBytes, what: `create secret ${secret.namespace}/${secret.name}` });
      if (created.status !== 201 && created.status !== 200) throw answered(code, `${where} could not be created`, created.status, created.body);
      return "created";
    }
    if (existing.status !== 200 || !isRecord(existing.body)) throw answered(code, `${where} could not be read`, existing.status, existing.body);
    // Update in place, as cosign does: the other entries stay, the resourceVersion guards against a concurrent change.
    const current = existing.body;
    const data = isRecord(current["data"]) ? current["data"] : {};
    const body = { ...current, data: { ...data, ...entries } };
    const updated = await client.send({ method: "PUT", path: secretPath(secret), body, maxBytes: LIMITS.kubernetesSecretBytes, what: `update secret ${secret.namespace}/${secret.name}` });
    if (updated.status !== 200) throw answered(code, `${where} could not be updated`, updated.status, updated.body);
    return "updated";
  });
}

function secretPath(secret: SecretName): string {
  return `/api/v1/namespaces/${encodeURIComponent(secret.namespace)}/secrets/${encodeURIComponent(secret.name)}`;
}

function answered(code: ErrorCode, what: string, status: number, body: unknown): SignetError {
  const message = statusMessage(body);
  return new SignetError(code, `${what}: the API server answered ${status}${message !== undefined ? ` (${message})` : ""}`, { details: { status } });
}

async function withClient<T>(options: K8sAccessOptions, code: ErrorCode, action: (client: KubeClient) => Promise<T>): Promise<T> {
  if (options.client !== undefined) return rethrow(code, () => action(options.client!));
  const client = createKubeClient({
    kubeconfig: defaultKubeconfig(options),
    env: options.env ?? process.env,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    serviceAccountDir: options.serviceAccountDir,
    connectionCode: code,
  });
  try {
    return await rethrow(code, () => action(client));
  } finally {
    await client.close();
  }
}

/** Transport failures (KUBE_API_FAILED) carry the caller's code: for a key they all mean "cannot be read". */
async function rethrow<T>(code: ErrorCode, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (SignetError.is(error) && error.code === "KUBE_API_FAILED") throw new SignetError(code, error.message, { details: error.details, cause: error });
    throw error;
  }
}

/**
 * client-go's default loading rules, as cosign uses them: the kubeconfig given, else $KUBECONFIG (its first
 * file), else ~/.kube/config when it exists, else in-cluster credentials.
 */
function defaultKubeconfig(options: K8sAccessOptions): string | undefined {
  if (options.kubeconfig !== undefined) return options.kubeconfig;
  const env = options.env ?? process.env;
  const fromEnv = (env["KUBECONFIG"] ?? "").split(delimiter).find((path) => path !== "");
  if (fromEnv !== undefined) return fromEnv;
  const home = env["HOME"];
  if (home !== undefined && home !== "" && existsSync(join(home, ".kube", "config"))) return join(home, ".kube", "config");
  return undefined;
}
