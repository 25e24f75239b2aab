/**
 * Reads the pull secrets a pod may use through the Kubernetes API: those the pod names and those of its
 * service account. Answers are cached briefly per object (the cache belongs to the reader, the reader to
 * the server). A secret or service account that does not exist (404) is skipped, as the kubelet does;
 * any other failure (API down, 403, a malformed secret) is an error: the caller fails closed.
 */
import { createHash } from "node:crypto";
import { SignetError, toSignetError } from "../../errors/index.js";
import { isRecord, parseJsonBytes } from "../../internal/strict-json.js";
import type { K8sApiReader } from "../../policy/locations/k8s-location.js";
import { LruCache } from "../../internal/lru-cache.js";
import { parsePullSecret, type PullSecretAuths } from "./docker-config-secret.js";
import { checkName, PULL_SECRETS_MAX, type PullSecretRefs } from "./pull-secret-refs.js";
import { LIMITS } from "../../internal/limits.js";

/** A Secret holds at most 1 MiB of data; its JSON answer a little more (base64). */
const SECRET_ANSWER_MAX_BYTES = LIMITS.kubernetesSecretBytes;
const SERVICE_ACCOUNT_ANSWER_MAX_BYTES = LIMITS.kubernetesServiceAccountBytes;

export interface ResolvedPullSecrets {
  /** The secrets that exist, pod's first, then the service account's. */
  readonly secrets: readonly PullSecretAuths[];
  /** Names that were skipped because they do not exist. */
  readonly missing: readonly string[];
  /** Changes when the credentials change; "" when there are none. */
  readonly fingerprint: string;
}

export interface PullSecretReaderOptions {
  readonly api: K8sApiReader;
  /** How long an answer is reused (default 30 s). */
  readonly ttlMs?: number;
  readonly maxEntries?: number;
}

export interface PullSecretReader {
  read(refs: PullSecretRefs): Promise<ResolvedPullSecrets>;
}

type Fetched<T> = { readonly found: true; readonly value: T } | { readonly found: false };

export function createPullSecretReader(options: PullSecretReaderOptions): PullSecretReader {
  const ttlMs = options.ttlMs ?? 30_000;
  const objects = new LruCache<Promise<Fetched<unknown>>>({ maxEntries: options.maxEntries ?? 5_000 });

  /** One GET per object and TTL, shared by concurrent callers; failures are not kept. */
  const fetchCached = <T>(key: string, fetch: () => Promise<Fetched<T>>): Promise<Fetched<T>> => {
    const cached = objects.get(key);
    if (cached !== undefined) return cached as Promise<Fetched<T>>;
    const promise = fetch();
    objects.set(key, promise, ttlMs);
    promise.catch(() => objects.delete(key));
    return promise;
  };

  const get = async (apiPath: string, what: string, maxBytes: number): Promise<Fetched<Buffer>> => {
    try {
      return { found: true, value: await options.api.get(apiPath, what, maxBytes) };
    } catch (error) {
      const cause = toSignetError(error);
      if (cause.details?.["status"] === 404) return { found: false };
      throw new SignetError("PULL_SECRET_UNREADABLE", `cannot read ${what}: ${cause.message}`, { cause, ...(cause.details !== undefined ? { details: cause.details } : {}) });
    }
  };

  const serviceAccountSecrets = (namespace: string, name: string): Promise<Fetched<string[]>> =>
    fetchCached(`sa\u0000${namespace}\u0000${name}`, async () => {
      const answer = await get(`/api/v1/namespaces/${namespace}/serviceaccounts/${name}`, `service account ${namespace}/${name}`, SERVICE_ACCOUNT_ANSWER_MAX_BYTES);
      if (!answer.found) return answer;
      const account = parseJsonBytes(answer.value, `service account ${namespace}/${name}`, "PULL_SECRET_UNREADABLE");
      const list = isRecord(account) ? account["imagePullSecrets"] : undefined;
      const names: string[] = [];
      if (Array.isArray(list)) {
        for (const entry of list.slice(0, PULL_SECRETS_MAX)) {
          const secretName = isRecord(entry) ? entry["name"] : undefined;
          if (typeof secretName === "string" && secretName !== "") names.push(checkName(secretName, `service account ${namespace}/${name} imagePullSecrets name`));
        }
      }
      return { found: true, value: names };
    });

  const secret = (namespace: string, name: string): Promise<Fetched<PullSecretAuths>> =>
    fetchCached(`secret\u0000${namespace}\u0000${name}`, async () => {
      const answer = await get(`/api/v1/namespaces/${namespace}/secrets/${name}`, `secret ${namespace}/${name}`, SECRET_ANSWER_MAX_BYTES);
      return answer.found ? { found: true, value: parsePullSecret(answer.value, `${namespace}/${name}`) } : answer;
    });

  return {
    async read(refs) {
      const account = await serviceAccountSecrets(refs.namespace, refs.serviceAccountName);
      const names = [...refs.podSecrets];
      if (account.found) for (const name of account.value) if (!names.includes(name)) names.push(name);
      const fetched = await Promise.all(names.map((name) => secret(refs.namespace, name)));
      const secrets: PullSecretAuths[] = [];
      const missing: string[] = account.found ? [] : [`serviceaccount/${refs.serviceAccountName}`];
      fetched.forEach((item, index) => (item.found ? secrets.push(item.value) : missing.push(names[index]!)));
      return { secrets, missing, fingerprint: fingerprintOf(secrets) };
    },
  };
}

function fingerprintOf(secrets: readonly PullSecretAuths[]): string {
  if (secrets.every((secret) => secret.size === 0)) return "";
  const canonical = JSON.stringify(secrets.map((secret) => [...secret.entries()]));
  return createHash("sha256").update(canonical).digest("hex");
}
