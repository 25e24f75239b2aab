/**
 * Which policies apply to an image: its name matches one of the policy's globs and, when the policy has
 * `spec.match`, the resource it belongs to matches one of those selectors (policy-controller's semantics).
 */
import { imageMatchCandidates } from "./glob.js";
import type { CompiledImagePolicy, CompiledMatchResource, CompiledPolicySet, LabelSelector, ResourceContext } from "./types.js";

/**
 * Every policy that applies to the image. Without a resource context, policies with `spec.match` apply too:
 * not knowing the resource must never mean checking less.
 */
export function findMatchingPolicies(set: CompiledPolicySet, image: string, resource?: ResourceContext): CompiledImagePolicy[] {
  const candidates = imageMatchCandidates(image);
  if (candidates.length === 0) return [];
  return set.policies.filter((policy) => policyAppliesToResource(policy, resource) && policy.images.some((glob) => glob.matchesAnyOf(candidates)));
}

export function policyAppliesToResource(policy: CompiledImagePolicy, resource: ResourceContext | undefined): boolean {
  if (policy.match.length === 0 || resource === undefined) return true;
  return policy.match.some((match) => matchesResource(match, resource));
}

function matchesResource(match: CompiledMatchResource, resource: ResourceContext): boolean {
  if (match.resource !== resource.resource) return false;
  if (match.version !== resource.version && match.version !== "*") return false;
  if (match.group !== resource.group) return false;
  return match.selector === undefined || matchesLabelSelector(match.selector, resource.labels);
}

/** Kubernetes label selector semantics: every matchLabels pair and every expression must hold. */
export function matchesLabelSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const has = (key: string) => Object.hasOwn(labels, key);
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!has(key) || labels[key] !== value) return false;
  }
  for (const expression of selector.matchExpressions ?? []) {
    const values = expression.values ?? [];
    const present = has(expression.key);
    switch (expression.operator) {
      case "In":
        if (!present || !values.includes(labels[expression.key]!)) return false;
        break;
      case "NotIn":
        if (present && values.includes(labels[expression.key]!)) return false;
        break;
      case "Exists":
        if (!present) return false;
        break;
      case "DoesNotExist":
        if (present) return false;
        break;
      default:
        return false; // an unknown operator matches nothing (validation refuses it anyway)
    }
  }
  return true;
}
