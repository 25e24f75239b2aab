/**
 * The keys ClusterImagePolicies name outside their text, resolved once and kept across policy reloads:
 *
 * - A Secret (`key.secretRef`) is read by list-watch (kube/list-watch.ts, narrowed to the one Secret by a field
 *   selector): the first read lists it, then the watch keeps the copy current, and any change (a rotated key,
 *   a deleted Secret) calls `onChange`, which reloads the policies; reloads read the copy, not the API.
 *   Where the watch is refused (RBAC without list/watch), each read is a GET, as before.
 * - A KMS key (`key.kms`): its public key is fetched once per URI and kept; a failure is not kept, so the next
 *   reload (soon, while an authority is unavailable) tries again.
 */
import type { KeyObject } from "node:crypto";
import { SignetError, toSignetError } from "../../errors/index.js";
import { loadPublicKey } from "../../keys/index.js";
import { readSecretData, toSecretData } from "../../keys/k8s-secret.js";
import type { KubeClient } from "../kube/kube-client.js";
import { startListWatch, type ListWatch } from "../kube/list-watch.js";
import type { SecretReader } from "../policy/types.js";
import type { WebhookLogger } from "./logger.js";

export interface WebhookKeyCacheOptions {
  /** The API client; opened only when a policy names a Secret. */
  readonly client: () => KubeClient;
  readonly logger: WebhookLogger;
  /** A watched Secret changed after it was first read. */
  readonly onChange: () => void;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly watchTimeoutSeconds?: number;
}

export interface WebhookKeyCache {
  readonly readSecret: SecretReader;
  kmsPublicKey(reference: string): Promise<KeyObject>;
  close(): void;
}

/** Secrets watched at most: each is one open watch; a policy set naming more reads the rest with GETs. */
const MAX_WATCHED_SECRETS = 256;

interface WatchedSecret {
  readonly watch: ListWatch;
  /** False once the watch was refused before its first list: reads are GETs then. */
  usable: Promise<boolean>;
}

export function createWebhookKeyCache(options: WebhookKeyCacheOptions): WebhookKeyCache {
  const secrets = new Map<string, WatchedSecret>();
  const kms = new Map<string, Promise<KeyObject>>();
  let closed = false;

  const watchSecret = (namespace: string, name: string): WatchedSecret => {
    let synced = false;
    let refusedLogged = false;
    let refuse!: (error: SignetError) => void;
    const refused = new Promise<never>((_, reject) => (refuse = reject));
    refused.catch(() => undefined);
    const watch = startListWatch({
      client: options.client(),
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
      fieldSelector: `metadata.name=${name}`,
      apiVersion: "v1",
      kind: "Secret",
      maxObjects: 1,
      maxObjectBytes: 1536 * 1024,
      pageSize: 1,
      ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
      ...(options.watchTimeoutSeconds !== undefined ? { watchTimeoutSeconds: options.watchTimeoutSeconds } : {}),
      onChange() {
        if (!synced) return;
        options.logger.info({ secret: `${namespace}/${name}`, resourceVersion: watch.resourceVersion }, "key Secret changed; reloading the policies");
        options.onChange();
      },
      onError(error, retryInMs) {
        // Before the first list: this read falls back to a GET, and the next policy load tries to watch again.
        if (!synced) return refuse(error);
        if (refusedLogged) return;
        refusedLogged = true;
        options.logger.warn({ secret: `${namespace}/${name}`, code: error.code, error: error.message, retryInMs }, "key Secret watch failed; the copy read last stays in use until it works again");
      },
    });
    const entry: WatchedSecret = {
      watch,
      usable: raceTimeout(Promise.race([watch.synced, refused]), options.timeoutMs).then(
        () => {
          synced = true;
          return true;
        },
        (error: unknown) => {
          options.logger.warn({ secret: `${namespace}/${name}`, error: toSignetError(error).message }, "key Secret cannot be watched (does the webhook's Role allow list and watch on secrets?); reading it with a GET");
          watch.close();
          if (secrets.get(`${namespace}/${name}`) === entry) secrets.delete(`${namespace}/${name}`);
          return false;
        },
      ),
    };
    return entry;
  };

  const readSecret: SecretReader = async ({ name, namespace }) => {
    if (closed) throw new SignetError("POLICY_KEY_UNREADABLE", "the webhook is shutting down");
    const id = `${namespace}/${name}`;
    let entry = secrets.get(id);
    if (entry === undefined && secrets.size < MAX_WATCHED_SECRETS) {
      entry = watchSecret(namespace, name);
      secrets.set(id, entry);
    }
    if (entry !== undefined && (await entry.usable)) {
      const [object] = entry.watch.objects();
      if (object === undefined) throw new SignetError("POLICY_KEY_UNREADABLE", `Kubernetes secret ${id} does not exist`, { details: { namespace, name } });
      return Object.fromEntries(toSecretData(object, `Kubernetes secret ${id}`, "POLICY_KEY_UNREADABLE").data);
    }
    const read = await readSecretData({ namespace, name }, { client: options.client(), code: "POLICY_KEY_UNREADABLE" });
    return Object.fromEntries(read.data);
  };

  return {
    readSecret,
    kmsPublicKey(reference) {
      let key = kms.get(reference);
      if (key === undefined) {
        key = loadPublicKey(reference, { env: options.env, timeoutMs: options.timeoutMs });
        kms.set(reference, key);
        key.catch(() => kms.delete(reference));
      }
      return key;
    },
    close() {
      closed = true;
      for (const entry of secrets.values()) entry.watch.close();
      secrets.clear();
    },
  };
}

function raceTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SignetError("TIMEOUT", `no answer in ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
