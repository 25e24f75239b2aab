/**
 * Where the Kubernetes API server is and how to authenticate to it: the current context of a kubeconfig file, or
 * in-cluster (KUBERNETES_SERVICE_HOST and the pod's service account). Only what a minimal client needs is
 * supported: bearer tokens and client certificates; any other setup (exec plugins, auth providers) fails closed
 * with a message saying so. Shared by k8s:// key references (keys/), policy locations and the webhook's client.
 */
import { dirname, resolve } from "node:path";
import { Agent, type Dispatcher } from "undici";
import { parse as parseYaml } from "yaml";
import { SignetError, type ErrorCode } from "../../errors/index.js";
import { readFileLocation } from "../file-location.js";
import { isRecord } from "../strict-json.js";

/** Where the API server is and how to authenticate to it (a token header, or a client certificate in the dispatcher). */
export interface ApiConnection {
  readonly server: string;
  readonly headers: Record<string, string>;
  readonly dispatcher: Dispatcher | undefined;
}

export interface K8sConnectionOptions {
  /** A kubeconfig file; when absent the in-cluster service account is used. */
  readonly kubeconfig?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Where the service account token and CA live (tests point it elsewhere). */
  readonly serviceAccountDir?: string | undefined;
  /** The code of every failure (a missing cluster, a bad kubeconfig). Default POLICY_KEY_UNREADABLE. */
  readonly code?: ErrorCode;
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The API server of a kubeconfig file, else of the pod's service account (in-cluster). */
export function openK8sConnection(options: K8sConnectionOptions): Promise<ApiConnection> {
  return options.kubeconfig !== undefined ? kubeconfigConnection(options.kubeconfig, options.code ?? "POLICY_KEY_UNREADABLE") : inClusterConnection(options);
}

async function inClusterConnection(options: K8sConnectionOptions): Promise<ApiConnection> {
  const host = options.env["KUBERNETES_SERVICE_HOST"];
  const port = options.env["KUBERNETES_SERVICE_PORT"] ?? "443";
  if (host === undefined || host === "") {
    throw new SignetError(options.code ?? "POLICY_KEY_UNREADABLE", "k8s:// key locations need a cluster: KUBERNETES_SERVICE_HOST is not set and no kubeconfig was given", {
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
async function kubeconfigConnection(path: string, code: ErrorCode): Promise<ApiConnection> {
  const fail = (problem: string): never => {
    throw new SignetError(code, `kubeconfig ${path}: ${problem}`, { hint: "Check the kubeconfig (kubectl config view), or run in-cluster." });
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

