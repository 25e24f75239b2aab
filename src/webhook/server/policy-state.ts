import { createHash } from "node:crypto";
import type { CompiledPolicy } from "../../policy/index.js";
import type { NoMatchAction } from "../evaluate/types.js";
import { findMatchingPolicies } from "../policy/index.js";
import type { CompiledPolicySet, ResourceContext } from "../policy/types.js";
import type { ContainerImage } from "../admission/types.js";

/** The policies in force: replaced whole when the files change, never mutated. */
export interface PolicyState {
  readonly clusterImagePolicies: CompiledPolicySet;
  /** A containers-policy.json, with the sha256 of its bytes and of the keys it loaded. */
  readonly policyJson: { readonly policy: CompiledPolicy; readonly version: string } | undefined;
  readonly noMatchAction: NoMatchAction;
  /** Changes when the trust roots (Fulcio, Rekor, CT) change; "none" until keyless verification is wired. */
  readonly trustVersion: string;
  /** One hash over all of the above (logs, /metrics, readiness). */
  readonly version: string;
  /** What loading reported without refusing (documents of other kinds skipped, empty Lists): logged. */
  readonly warnings?: readonly string[];
}

export function createPolicyState(parts: Omit<PolicyState, "version">): PolicyState {
  const version = sha256(JSON.stringify([parts.clusterImagePolicies.version, parts.policyJson?.version ?? null, parts.noMatchAction, parts.trustVersion]));
  return { ...parts, version };
}

/**
 * The version of what decides this image: only the policies whose globs match it (a change to a policy for
 * other images leaves its cached verdicts valid), the no-match action, the policy.json and the trust roots.
 * Returns also whether any matching policy selects resources (`spec.match`): the resource is then an input.
 */
export function imagePolicyVersion(state: PolicyState, image: string): { version: string; resourceDependent: boolean } {
  // Without a resource, policies with `spec.match` count as matching: the resource then becomes a key input.
  const matching = findMatchingPolicies(state.clusterImagePolicies, image);
  const versions = matching.map((policy) => `${policy.name}=${policy.version}`).sort();
  return {
    version: sha256(JSON.stringify([versions, state.policyJson?.version ?? null, state.noMatchAction, state.trustVersion])),
    resourceDependent: matching.some((policy) => policy.match.length > 0),
  };
}

/** The per-container inputs of an evaluation other than the image itself. */
export function evaluationInputs(image: ContainerImage, resource: ResourceContext | undefined, resourceDependent: boolean): Record<string, string> {
  const inputs: Record<string, string> = {};
  if (image.identity?.subject !== undefined) inputs["identity.subject"] = image.identity.subject;
  if (image.identity?.issuer !== undefined) inputs["identity.issuer"] = image.identity.issuer;
  if (resourceDependent && resource !== undefined) {
    inputs["resource"] = `${resource.group}/${resource.version}/${resource.resource}`;
    inputs["labels"] = JSON.stringify(Object.entries(resource.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return inputs;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
