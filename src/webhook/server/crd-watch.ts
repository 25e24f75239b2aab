import { POLICY_DOCUMENTS_MAX } from "../policy/index.js";
import type { KubeClient } from "../kube/kube-client.js";
import { startListWatch, type ListWatch } from "../kube/list-watch.js";
import type { WebhookLogger } from "./logger.js";

/** The version read: the API server converts objects stored as v1alpha1 (the CRDs' schemas are the same). */
export const CLUSTER_IMAGE_POLICY_PATH = "/apis/policy.sigstore.dev/v1beta1/clusterimagepolicies";

export interface ClusterImagePolicyWatchOptions {
  readonly client: KubeClient;
  readonly logger: WebhookLogger;
  /** Called after every change once the first list is complete (the server then reloads its policies). */
  readonly onChange: () => void;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly watchTimeoutSeconds?: number;
}

export interface ClusterImagePolicyWatch {
  /** Resolves once every ClusterImagePolicy of the cluster has been read. */
  readonly synced: Promise<void>;
  /** The ClusterImagePolicy objects now in the cluster, as the API server returned them. */
  objects(): readonly unknown[];
  close(): void;
}

/**
 * ClusterImagePolicy objects applied with kubectl (`policy.sigstore.dev`, as policy-controller defines them),
 * kept current by list and watch. Failures are logged once per state change: the first failure, then when the
 * watch works again (the backoff reaches 30 s, so a long outage adds a line at most every 30 s at debug).
 */
export function watchClusterImagePolicies(options: ClusterImagePolicyWatchOptions): ClusterImagePolicyWatch {
  const { logger } = options;
  let healthy = true;
  let synced = false;
  const watch: ListWatch = startListWatch({
    client: options.client,
    path: CLUSTER_IMAGE_POLICY_PATH,
    apiVersion: "policy.sigstore.dev/v1beta1",
    kind: "ClusterImagePolicy",
    maxObjects: POLICY_DOCUMENTS_MAX,
    // etcd stores no object above 1.5 MiB (its default request limit): nothing larger is a real policy.
    maxObjectBytes: 1536 * 1024,
    pageSize: 100,
    ...(options.backoff !== undefined ? { backoff: options.backoff } : {}),
    ...(options.watchTimeoutSeconds !== undefined ? { watchTimeoutSeconds: options.watchTimeoutSeconds } : {}),
    onChange(objects) {
      if (!healthy) logger.info({ resourceVersion: watch.resourceVersion }, "ClusterImagePolicy watch working again");
      healthy = true;
      logger.debug({ count: objects.length, resourceVersion: watch.resourceVersion }, "ClusterImagePolicies changed");
      if (synced) options.onChange();
    },
    onError(error, retryInMs) {
      const fields = { code: error.code, error: error.message, status: error.details["status"], retryInMs };
      if (error.details["status"] === 410 && retryInMs === 0) logger.info(fields, "ClusterImagePolicy watch expired; listing again");
      else if (healthy) logger.warn(fields, "ClusterImagePolicy list/watch failed; the policies in force stay until it works again");
      else logger.debug(fields, "ClusterImagePolicy list/watch still failing");
      if (retryInMs !== 0) healthy = false;
    },
  });
  const ready = watch.synced.then(() => {
    synced = true;
    logger.info({ count: watch.objects().length, resourceVersion: watch.resourceVersion }, "ClusterImagePolicies read from the cluster");
  });
  ready.catch(() => undefined);
  return { synced: ready, objects: () => watch.objects(), close: () => watch.close() };
}
