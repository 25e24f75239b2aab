/**
 * `k8s://<namespace>/<secret>[/<key>]` in a policy: a key kept in a Kubernetes Secret (cosign's key reference,
 * parsed by the one grammar in keys/key-reference.ts and read by keys/k8s-secret.ts through the one client), with
 * the policy's rule for which entry: the named one, else the only one, else cosign.pub.
 */
import { SignetError } from "../../errors/index.js";
import { openK8sConnection, type ApiConnection } from "../../internal/kube/connection.js";
import { parseKeyReference } from "../../keys/key-reference.js";
import { readSecretData, secretValue } from "../../keys/k8s-secret.js";
import { boundedGet } from "./bounded-get.js";

export { openK8sConnection, type ApiConnection } from "../../internal/kube/connection.js";

export interface K8sSecretKeyPath {
  readonly namespace: string;
  readonly name: string;
  /** The data key; when absent, the secret's only key, or "cosign.pub". */
  readonly key: string | undefined;
}

export const K8S_SCHEME = "k8s://";

/** The k8s:// form of the one key reference grammar (keys/key-reference.ts); POLICY_KEY_UNREADABLE when invalid. */
export function parseK8sUri(uri: string): K8sSecretKeyPath {
  if (!uri.startsWith(K8S_SCHEME)) throw invalid(uri, `it does not start with ${K8S_SCHEME}`);
  try {
    const reference = parseKeyReference(uri);
    if (reference.kind !== "k8s") throw invalid(uri, `it does not start with ${K8S_SCHEME}`);
    return { namespace: reference.namespace, name: reference.name, key: reference.key };
  } catch (error) {
    if (SignetError.is(error) && error.code === "KEY_REF_INVALID") throw invalid(uri, error.message.replace(/^invalid k8s:\/\/ key reference "[^"]*": /, ""));
    throw error;
  }
}

/** A Secret's data by name, decoded. */
export type SecretSource = (secret: { readonly namespace: string; readonly name: string }) => Promise<ReadonlyMap<string, Buffer>>;

export interface K8sOptions {
  /** A kubeconfig file; when absent the in-cluster service account is used. */
  readonly kubeconfig?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where the service account token and CA live (tests point it elsewhere). */
  readonly serviceAccountDir?: string;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** Where Secrets come from instead of a GET each time (the webhook's watched copies, webhook/server/key-cache.ts). */
  readonly readSecret?: SecretSource;
}


/** Reads one value of a Secret, base64-decoded. Fails closed (POLICY_KEY_UNREADABLE) on anything unexpected. */
export async function readK8sSecretKey(uri: string, options: K8sOptions): Promise<Buffer> {
  const target = parseK8sUri(uri);
  const secret =
    options.readSecret !== undefined
      ? { data: await options.readSecret({ namespace: target.namespace, name: target.name }), resourceVersion: undefined }
      : await readSecretData(target, { kubeconfig: options.kubeconfig, env: options.env, serviceAccountDir: options.serviceAccountDir, timeoutMs: options.timeoutMs, code: "POLICY_KEY_UNREADABLE" });
  const keys = [...secret.data.keys()];
  const key = target.key ?? (keys.length === 1 ? keys[0]! : keys.includes("cosign.pub") ? "cosign.pub" : undefined);
  if (key === undefined) {
    throw new SignetError("POLICY_KEY_UNREADABLE", `${uri}: the secret holds ${keys.length} keys (${keys.slice(0, 10).join(", ")}); name one as k8s://${target.namespace}/${target.name}/<key>`);
  }
  const value = secretValue(secret, key, uri, "POLICY_KEY_UNREADABLE");
  if (value.length > options.maxBytes) throw new SignetError("POLICY_KEY_UNREADABLE", `${uri}: the value of ${key} is larger than ${options.maxBytes} bytes`);
  return value;
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

function invalid(uri: string, problem: string): SignetError {
  return new SignetError("POLICY_KEY_UNREADABLE", `invalid Kubernetes secret location ${JSON.stringify(uri.slice(0, 200))}: ${problem}`, {
    hint: "Write k8s://<namespace>/<secret>[/<key>], e.g. k8s://image-policy/cosign-key/cosign.pub.",
  });
}
