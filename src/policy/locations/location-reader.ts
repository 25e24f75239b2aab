import type { Dispatcher } from "undici";
import { SignetError } from "../../errors/index.js";
import { readKeyReferenceBytes, loadPublicKey } from "../../keys/key-files.js";
import { describeKeyReference, parseKeyReference } from "../../keys/key-reference.js";
import { publicKeyToPem } from "../../keys/public-key.js";
import type { KeyReader } from "../evaluation-context.js";
import { readFileLocation } from "./file-location.js";
import { K8S_SCHEME, readK8sSecretKey, type SecretSource } from "./k8s-location.js";
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
  /** Where k8s:// Secrets come from instead of a GET each time (the webhook's watched copies). */
  readSecret?: SecretSource;
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
 * A reader for key (and policy) locations as a policy may write them, in the one key reference grammar
 * (keys/key-reference.ts): a file path (or file:// URL), env://VAR, k8s://namespace/secret[/key],
 * kbs:///repo/type/tag, or a KMS URI (read as the PEM of its public key). pkcs11: is refused: a policy must not
 * make the verifier load a native module. Unknown schemes are KEY_REF_UNSUPPORTED naming the scheme.
 */
export function createLocationReader(options: LocationReaderOptions = {}): KeyReader {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const env = options.env ?? process.env;
  const what = options.what ?? "key file";
  return async (location: string) => {
    const reference = parseKeyReference(location);
    if (reference.kind === "env") {
      const { bytes } = await readKeyReferenceBytes(reference, "public", { env });
      return bytes;
    }
    if (reference.kind === "pkcs11") {
      throw new SignetError("KEY_REF_UNSUPPORTED", `${describeKeyReference(location)}: a policy cannot name a PKCS#11 key (it would load a native module); export the public key (signet public-key --key pkcs11:...) and name the file`, {
        details: { scheme: "pkcs11" },
      });
    }
    if (reference.kind === "kms") return Buffer.from(publicKeyToPem(await loadPublicKey(location, { env, timeoutMs })), "utf8");
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
      return readK8sSecretKey(location, { kubeconfig: options.kubeconfig, env, serviceAccountDir: options.serviceAccountDir, maxBytes, timeoutMs, ...(options.readSecret !== undefined ? { readSecret: options.readSecret } : {}) });
    }
    if (reference.kind !== "file") throw new SignetError("KEY_REF_INVALID", `${location}: not a ${reference.kind} location`);
    return readFileLocation(reference.path, { maxBytes, what });
  };
}
