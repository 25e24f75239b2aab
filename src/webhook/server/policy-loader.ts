import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { appendAll } from "../../internal/arrays.js";
import { SignetError } from "../../errors/index.js";
import { compilePolicy, createLocationReader, parsePolicy, type KeyReader } from "../../policy/index.js";
import { POLICY_MAX_BYTES } from "../../policy/config/index.js";
import type { NoMatchAction } from "../evaluate/types.js";
import { compileClusterImagePolicies, loadClusterImagePolicies, parseClusterImagePolicies } from "../policy/index.js";
import type { CompiledPolicySet, SecretReader } from "../policy/types.js";
import { createPolicyState, type PolicyState } from "./policy-state.js";

export interface PolicySources {
  /** ClusterImagePolicy files and folders. */
  readonly policyPaths: readonly string[];
  readonly policyJsonPath: string | undefined;
  readonly noMatchAction: NoMatchAction;
  /** The webhook's namespace: secretRefs without a namespace, and the only namespace keys may come from. */
  readonly systemNamespace: string;
  readonly kubeconfig: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly trustVersion: string;
  /** ClusterImagePolicy objects read from the Kubernetes API (--watch-cluster-image-policies), enforced with the files'. */
  readonly apiPolicies?: () => readonly unknown[];
}

/**
 * Reads and compiles every policy source into one PolicyState. All or nothing: a single invalid document
 * fails the load with its reason (at start-up the server does not start; on a reload the old state stays).
 */
export async function loadPolicyState(sources: PolicySources): Promise<PolicyState> {
  const readLocation = createLocationReader({ kubeconfig: sources.kubeconfig, env: sources.env, timeoutMs: sources.timeoutMs, what: "key file" });
  const warnings: string[] = [];
  const clusterImagePolicies = sources.policyPaths.length === 0 && sources.apiPolicies === undefined ? emptyPolicySet() : await loadClusterImagePolicySet(sources, readLocation, warnings);
  const policyJson = sources.policyJsonPath === undefined ? undefined : await loadPolicyJson(sources.policyJsonPath, readLocation);
  return createPolicyState({ clusterImagePolicies, policyJson, noMatchAction: sources.noMatchAction, trustVersion: sources.trustVersion, warnings });
}

async function loadClusterImagePolicySet(sources: PolicySources, readLocation: KeyReader, warnings: string[]): Promise<CompiledPolicySet> {
  const documents = sources.policyPaths.length === 0 ? [] : await loadClusterImagePolicies(sources.policyPaths, { systemNamespace: sources.systemNamespace, onWarning: (text) => warnings.push(text) });
  if (sources.apiPolicies !== undefined) {
    // Objects of the cluster go through the same parser as files: one definition of a valid policy.
    const fromFiles = new Set(documents.map((document) => document.policy.metadata.name));
    for (const object of sources.apiPolicies()) {
      const name = clusterObjectName(object);
      const loaded = parseClusterImagePolicies(JSON.stringify(object), { file: `the cluster's ClusterImagePolicy ${JSON.stringify(name)}`, systemNamespace: sources.systemNamespace });
      for (const document of loaded) {
        if (fromFiles.has(document.policy.metadata.name)) {
          throw new SignetError("CLUSTER_IMAGE_POLICY_INVALID", `ClusterImagePolicy ${JSON.stringify(document.policy.metadata.name)} is defined both in the cluster and in ${sources.policyPaths.join(", ")}`, {
            hint: "Give each policy one name: delete it from the cluster (kubectl delete cip NAME) or from the files.",
          });
        }
      }
      appendAll(documents, loaded);
    }
    if (documents.length === 0) return emptyPolicySet();
  }
  if (documents.length === 0) {
    throw new SignetError("CLUSTER_IMAGE_POLICY_INVALID", `no ClusterImagePolicy in ${sources.policyPaths.join(", ")}`, {
      hint: "Point --policy at ClusterImagePolicy YAML files or a folder of them (.yaml, .yml, .json).",
    });
  }
  // policy-controller reads a secretRef's Secret: one entry (the public key), or cosign's cosign.pub.
  const readSecret: SecretReader = async ({ name, namespace }) => ({ "cosign.pub": await readLocation(`k8s://${namespace}/${name}`) });
  const readSecretEntry = ({ name, namespace, key }: { name: string; namespace: string; key: string | undefined }) => readLocation(`k8s://${namespace}/${name}${key === undefined ? "" : `/${key}`}`);
  return compileClusterImagePolicies(documents, { readSecret, readSecretEntry, systemNamespace: sources.systemNamespace });
}

async function loadPolicyJson(path: string, readLocation: KeyReader): Promise<{ policy: Awaited<ReturnType<typeof compilePolicy>>; version: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SignetError(code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot read --policy-json ${path}: ${code ?? (error as Error).message}`);
  }
  if (bytes.length > POLICY_MAX_BYTES) throw new SignetError("POLICY_CONFIG_INVALID", `--policy-json ${path} is larger than ${POLICY_MAX_BYTES} bytes`);
  const hashes: string[] = [];
  // The version covers the keys the policy names as well as its text: a rotated key file changes it.
  const hashingReader: KeyReader = async (location) => {
    const content = await readLocation(location);
    hashes.push(`${location}=${createHash("sha256").update(content).digest("hex")}`);
    return content;
  };
  const policy = await compilePolicy(parsePolicy(bytes, { source: path }), { readKey: hashingReader });
  const version = createHash("sha256").update(bytes).update(JSON.stringify(hashes.sort())).digest("hex");
  return { policy, version };
}

function clusterObjectName(object: unknown): string {
  const metadata = typeof object === "object" && object !== null ? (object as Record<string, unknown>)["metadata"] : undefined;
  const name = typeof metadata === "object" && metadata !== null ? (metadata as Record<string, unknown>)["name"] : undefined;
  return typeof name === "string" ? name : "(unnamed)";
}

function emptyPolicySet(): CompiledPolicySet {
  return { version: createHash("sha256").update("no ClusterImagePolicy").digest("hex"), policies: [], problems: [] };
}
