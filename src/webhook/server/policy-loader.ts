import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { SignetError } from "../../errors/index.js";
import { compilePolicy, createLocationReader, parsePolicy, type KeyReader } from "../../policy/index.js";
import { POLICY_MAX_BYTES } from "../../policy/config/index.js";
import type { NoMatchAction } from "../evaluate/types.js";
import { compileClusterImagePolicies, loadClusterImagePolicies } from "../policy/index.js";
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
}

/**
 * Reads and compiles every policy source into one PolicyState. All or nothing: a single invalid document
 * fails the load with its reason (at start-up the server does not start; on a reload the old state stays).
 */
export async function loadPolicyState(sources: PolicySources): Promise<PolicyState> {
  const readLocation = createLocationReader({ kubeconfig: sources.kubeconfig, env: sources.env, timeoutMs: sources.timeoutMs, what: "key file" });
  const warnings: string[] = [];
  const clusterImagePolicies = sources.policyPaths.length === 0 ? emptyPolicySet() : await loadClusterImagePolicySet(sources, readLocation, warnings);
  const policyJson = sources.policyJsonPath === undefined ? undefined : await loadPolicyJson(sources.policyJsonPath, readLocation);
  return createPolicyState({ clusterImagePolicies, policyJson, noMatchAction: sources.noMatchAction, trustVersion: sources.trustVersion, warnings });
}

async function loadClusterImagePolicySet(sources: PolicySources, readLocation: KeyReader, warnings: string[]): Promise<CompiledPolicySet> {
  const documents = await loadClusterImagePolicies(sources.policyPaths, { systemNamespace: sources.systemNamespace, onWarning: (text) => warnings.push(text) });
  if (documents.length === 0) {
    throw new SignetError("CLUSTER_IMAGE_POLICY_INVALID", `no ClusterImagePolicy in ${sources.policyPaths.join(", ")}`, {
      hint: "Point --policy at ClusterImagePolicy YAML files or a folder of them (.yaml, .yml, .json).",
    });
  }
  // policy-controller reads a secretRef's Secret: one entry (the public key), or cosign's cosign.pub.
  const readSecret: SecretReader = async ({ name, namespace }) => ({ "cosign.pub": await readLocation(`k8s://${namespace}/${name}`) });
  return compileClusterImagePolicies(documents, { readSecret, systemNamespace: sources.systemNamespace });
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

function emptyPolicySet(): CompiledPolicySet {
  return { version: createHash("sha256").update("no ClusterImagePolicy").digest("hex"), policies: [], problems: [] };
}
