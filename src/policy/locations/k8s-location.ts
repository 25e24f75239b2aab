/**
 * `k8s://<namespace>/<secret>[/<key>]`: a key kept in a Kubernetes Secret (cosign's key reference). The secret is
 * read through the API server, in-cluster (KUBERNETES_SERVICE_HOST and the pod's service account) or with a
 * kubeconfig file. Only what a minimal client needs is supported: bearer tokens and client certificates; any
 * other setup (exec plugins, auth providers) fails closed with a message saying so.
 */
import { dirname, resolve } from "node:path";
import { Agent, type Dispatcher } from "undici";
import { parse as parseYaml } from "yaml";
import { SignetError } from "../../errors/index.js";
import { isRecord, parseJsonBytes } from "../../internal/strict-json.js";
import { boundedGet } from "./bounded-get.js";
import { readFileLocation } from "./file-location.js";
import { decodeBase64Strict } from "../../internal/base64.js";
import { LIMITS } from "../../internal/limits.js";

export interface K8sSecretKeyPath {
  readonly namespace: string;
  readonly name: string;
  /** The data key; when absent, the secret's only key, or "cosign.pub". */
  readonly key: string | undefined;
}

export const K8S_SCHEME = "k8s://";
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;
const DATA_KEY = /^[-._a-zA-Z0-9]{1,253}$/;
const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
/** API answers for one Secret are small; a Secret is at most 1 MiB of data. */
const SECRET_RESPONSE_MAX_BYTES = LIMITS.kubernetesSecretBytes;

export function parseK8sUri(uri: string): K8sSecretKeyPath {
  if (!uri.startsWith(K8S_SCHEME)) throw invalid(uri, `it does not start with ${K8S_SCHEME}`);
  const parts = uri.slice(K8S_SCHEME.length).split("/");
  if (parts.length < 2 || parts.length > 3) throw invalid(uri, "write k8s://<namespace>/<secret> or k8s://<namespace>/<secret>/<key>");
  const [namespace, name, key] = parts as [string, string, string | undefined];
  if (!DNS_LABEL.test(namespace)) throw invalid(uri, `${JSON.stringify(namespace)} is not a valid namespace name`);
  if (!DNS_SUBDOMAIN.test(name)) throw invalid(uri, `${JSON.stringify(name)} is not a valid secret name`);
  if (key !== undefined && !DATA_KEY.test(key)) throw invalid(uri, `${JSON.stringify(key)} is not a valid secret data key`);
  return { namespace, name, key };
}

export interface K8sOptions {
  /** A kubeconfig file; when absent the in-cluster service account is used. */
  readonly kubeconfig?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where the service account token and CA live (tests point it elsewhere). */
  readonly serviceAccountDir?: string;
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/** Where the API server is and how to authenticate to it (a token header, or a client certificate in the dispatcher). */
export interface ApiConnection {
  readonly server: string;
  readonly headers: Record<string, string>;
  readonly dispatcher: Dispatcher | undefined;
}

/** Reads one value of a Secret, base64-decoded. Fails closed (POLICY_KEY_UNREADABLE) on anything unexpected. */
export async function readK8sSecretKey(uri: string, options: K8sOptions): Promise<Buffer> {
  const target = parseK8sUri(uri);
  const connection = options.kubeconfig !== undefined ? await kubeconfigConnection(options.kubeconfig) : await inClusterConnection(options);
  const url = `${connection.server.replace(/\/+$/, "")}/api/v1/namespaces/${target.namespace}/secrets/${target.name}`;
  try {
    const bytes = await boundedGet(url, {
      headers: { accept: "application/json", ...connection.headers },
      dispatcher: connection.dispatcher,
      maxBytes: SECRET_RESPONSE_MAX_BYTES,
      timeoutMs: options.timeoutMs,
      what: `Kubernetes secret ${target.namespace}/${target.name}`,
    });
    return pickSecretValue(uri, target, bytes, options.maxBytes);
  } finally {
    await connection.dispatcher?.close();
  }
}

/** The API server of a kubeconfig file, else of the pod's service account (in-cluster). */
export function openK8sConnection(options: Omit<K8sOptions, "maxBytes">): Promise<ApiConnection> {
  return options.kubeconfig !== undefined ? kubeconfigConnection(options.kubeconfig) : inClusterConnection({ ...options, maxBytes: 0 });
}

/** A reusable reader of the API server: one connection, refreshed now and then (service account tokens rotate). */
export interface K8sApiReader {
  /** GET of an API path (`/api/v1/...`); the answer must be 200 and at most maxBytes. Errors: POLICY_KEY_UNREADABLE with `details.status`. */
  get(apiPath: string, what: string, maxBytes: number): Promise<Buffer>;
  close(): Promise<void>;
}

const CONNECTION_REFRESH_MS = 60_000;

export function createK8sApiReader(options: Omit<K8sOptions, "maxBytes">): K8sApiReader {
  let current: { connection: Promise<ApiConnection>; openedAt: number } | undefined;
  const connection = (): Promise<ApiConnection> => {
    if (current === undefined || Date.now() - current.openedAt >= CONNECTION_REFRESH_MS) {
      // The previous agent is left to finish its requests; it holds no connection once they are done.
      const opened = openK8sConnection(options);
      opened.catch(() => (current = undefined));
      current = { connection: opened, openedAt: Date.now() };
    }
    return current.connection;
  };
  return {
    async get(apiPath, what, maxBytes) {
      const api = await connection();
      return boundedGet(`${api.server.replace(/\/+$/, "")}${apiPath}`, { headers: { accept: "application/json", ...api.headers }, dispatcher: api.dispatcher, maxBytes, timeoutMs: options.timeoutMs, what });
    },
    async close() {
      const last = current;
      current = undefined;
      if (last !== undefined) await (await last.connection.catch(() => undefined))?.dispatcher?.close();
    },
  };
}

function pickSecretValue(uri: string, target: K8sSecretKeyPath, bytes: Buffer, maxBytes: number): Buffer {
  let secret: unknown;
  try {
    secret = parseJsonBytes(bytes, "the Kubernetes API answer", "POLICY_KEY_UNREADABLE");
  } catch (error) {
    throw new SignetError("POLICY_KEY_UNREADABLE", `${uri}: ${(error as Error).message}`, { cause: error });
  }
  const data = isRecord(secret) ? secret["data"] : undefined;
  if (!isRecord(data)) throw new SignetError("POLICY_KEY_UNREADABLE", `${uri}: the secret has no data`);
  const keys = Object.keys(data);
  const key = target.key ?? (keys.length === 1 ? keys[0]! : keys.includes("cosign.pub") ? "cosign.pub" : undefined);
  if (key === undefined) {
    throw new SignetError("POLICY_KEY_UNREADABLE", `${uri}: the secret holds ${keys.length} keys (${keys.slice(0, 10).join(", ")}); name one as k8s://${target.namespace}/${target.name}/<key>`);
  }
  const value = data[key];
  if (typeof value !== "string") throw new SignetError("POLICY_KEY_UNREADABLE", `${uri}: the secret has no key ${JSON.stringify(key)} (it has ${keys.slice(0, 10).join(", ")})`);
  const decoded = decodeBase64Strict(value);
  if (decoded === undefined) throw new SignetError("POLICY_KEY_UNREADABLE", `${uri}: the value of ${key} is not base64`);
  if (decoded.length > maxBytes) throw new SignetError("POLICY_KEY_UNREADABLE", `${uri}: the value of ${key} is larger than ${maxBytes} bytes`);
  return decoded;
}

async function inClusterConnection(options: K8sOptions): Promise<ApiConnection> {
  const host = options.env["KUBERNETES_SERVICE_HOST"];
  const port = options.env["KUBERNETES_SERVICE_PORT"] ?? "443";
  if (host === undefined || host === "") {
    throw new SignetError("POLICY_KEY_UNREADABLE", "k8s:// key locations need a cluster: KUBERNETES_SERVICE_HOST is not set and no kubeconfig was given", {
      hint: "Run inside a pod with a service account that may read the secret, or pass --kubeconfig FILE.",
    });
  }
  const dir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const token = (await readSmallFile(resolve(dir, "token"), "the service account token")).toString("utf8").trim();
  const ca = await readSmallFile(resolve(dir, "ca.crt"), "the cluster CA certificate");
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return { server: `https://${hostPart}:${port}`, headers: { authorization: `Bearer ${token}` }, dispatcher: new Agent({ connect: { ca: ca.toString("utf8") } }) };
}

/** The current context's cluster and user from a kubeconfig file. */
async function kubeconfigConnection(path: string): Promise<ApiConnection> {
  const fail = (problem: string): never => {
    throw new SignetError("POLICY_KEY_UNREADABLE", `kubeconfig ${path}: ${problem}`, { hint: "Check the kubeconfig (kubectl config view), or run in-cluster." });
  };
  let config: unknown;
  try {
    config = parseYaml((await readSmallFile(path, "the kubeconfig")).toString("utf8"));
  } catch (error) {
    if (SignetError.is(error)) throw error;
    return fail(`not valid YAML: ${(error as Error).message}`);
  }
  if (!isRecord(config)) return fail("not a kubeconfig");
  const named = (list: unknown, name: unknown, what: string): Record<string, unknown> => {
    const entry = Array.isArray(list) ? list.find((item) => isRecord(item) && item["name"] === name) : undefined;
    const value = isRecord(entry) ? entry[what] : undefined;
    return isRecord(value) ? value : fail(`no ${what} named ${JSON.stringify(name)}`);
  };
  const context = named(config["contexts"], config["current-context"], "context");
  const cluster = named(config["clusters"], context["cluster"], "cluster");
  const user = named(config["users"], context["user"], "user");
  const base = dirname(path);
  const server = cluster["server"];
  if (typeof server !== "string" || !/^https?:\/\//.test(server)) return fail("the cluster has no http(s) server URL");
  if (cluster["insecure-skip-tls-verify"] === true) return fail("insecure-skip-tls-verify is not supported: give the cluster's CA");
  if (user["exec"] !== undefined || user["auth-provider"] !== undefined) return fail("exec plugins and auth providers are not supported: use a token or a client certificate");

  const inlineOrFile = async (dataKey: string, fileKey: string, what: string): Promise<string | undefined> => {
    const data = cluster[dataKey] ?? user[dataKey];
    if (typeof data === "string") return Buffer.from(data, "base64").toString("utf8");
    const file = cluster[fileKey] ?? user[fileKey];
    if (typeof file === "string") return (await readSmallFile(resolve(base, file), what)).toString("utf8");
    return undefined;
  };
  const headers: Record<string, string> = {};
  let token = typeof user["token"] === "string" ? user["token"] : undefined;
  if (token === undefined && typeof user["tokenFile"] === "string") token = (await readSmallFile(resolve(base, user["tokenFile"]), "the token file")).toString("utf8").trim();
  if (token !== undefined) headers["authorization"] = `Bearer ${token}`;
  const ca = await inlineOrFile("certificate-authority-data", "certificate-authority", "the cluster CA certificate");
  const cert = await inlineOrFile("client-certificate-data", "client-certificate", "the client certificate");
  const key = await inlineOrFile("client-key-data", "client-key", "the client key");
  if (token === undefined && (cert === undefined || key === undefined)) return fail("the user has neither a token nor a client certificate and key");
  const needsAgent = server.startsWith("https://") && (ca !== undefined || cert !== undefined);
  const connect: Record<string, string> = {};
  if (ca !== undefined) connect["ca"] = ca;
  if (cert !== undefined && key !== undefined) {
    connect["cert"] = cert;
    connect["key"] = key;
  }
  return { server, headers, dispatcher: needsAgent ? new Agent({ connect }) : undefined };
}

function readSmallFile(path: string, what: string): Promise<Buffer> {
  return readFileLocation(path, { maxBytes: 1024 * 1024, what });
}

function invalid(uri: string, problem: string): SignetError {
  return new SignetError("POLICY_KEY_UNREADABLE", `invalid Kubernetes secret location ${JSON.stringify(uri.slice(0, 200))}: ${problem}`, {
    hint: "Write k8s://<namespace>/<secret>[/<key>], e.g. k8s://image-policy/cosign-key/cosign.pub.",
  });
}
