import { fileURLToPath } from "node:url";
import type { Dispatcher } from "undici";
import type { KeyReader } from "../evaluation-context.js";
import { readFileLocation } from "./file-location.js";
import { K8S_SCHEME, readK8sSecretKey } from "./k8s-location.js";
import { KBS_SCHEME, readKbsResource } from "./kbs-location.js";

export interface LocationReaderOptions {
  /** Base URL of the Key Broker Service for kbs:/// locations. */
  kbsUrl?: string;
  /** A directory with copies of KBS resources (`<dir>/<repository>/<type>/<tag>`), read instead of a KBS. */
  kbsMirror?: string;
  /** A token the KBS accepts for the resources (Authorization: Bearer). */
  kbsResourceToken?: string;
  /** Dispatcher for KBS requests (e.g. with a private CA). */
  kbsDispatcher?: Dispatcher;
  /** kubeconfig for k8s:// locations; in-cluster configuration when absent. */
  kubeconfig?: string;
  env?: NodeJS.ProcessEnv;
  /** Service account directory for in-cluster access (tests). */
  serviceAccountDir?: string;
  /** Largest accepted content (keys: 4 MiB by default). */
  maxBytes?: number;
  timeoutMs?: number;
  /** Names the content in messages: "key file", "policy". */
  what?: string;
}

/** Keyrings with many keys are larger than PEM keys, but still small. */
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A reader for key (and policy) locations as a policy may write them: a file path (or file:// URL),
 * kbs:///repo/type/tag, or k8s://namespace/secret[/key].
 */
export function createLocationReader(options: LocationReaderOptions = {}): KeyReader {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const env = options.env ?? process.env;
  const what = options.what ?? "key file";
  return (location: string) => {
    if (location.startsWith(KBS_SCHEME)) {
      return readKbsResource(location, {
        kbsUrl: options.kbsUrl ?? env["SIGNET_KBS_URL"],
        mirror: options.kbsMirror ?? env["SIGNET_KBS_MIRROR"],
        ...(options.kbsResourceToken === undefined ? {} : { resourceToken: options.kbsResourceToken }),
        dispatcher: options.kbsDispatcher,
        maxBytes,
        timeoutMs,
      });
    }
    if (location.startsWith(K8S_SCHEME)) {
      return readK8sSecretKey(location, { kubeconfig: options.kubeconfig, env, serviceAccountDir: options.serviceAccountDir, maxBytes, timeoutMs });
    }
    const path = location.startsWith("file://") ? fileURLToPath(location) : location;
    return readFileLocation(path, { maxBytes, what });
  };
}
