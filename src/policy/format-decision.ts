import { formatSourceLocation } from "./config/index.js";
import type { PolicyDecision, RequirementVerdict, SignatureVerdict } from "./decision.js";

/**
 * The decision tree as text for a person: the verdict first, then the scope and why it matched, then each
 * requirement with each signature tried, each with its reason and, for failures, what to do.
 *
 *   DENIED docker://ghcr.io/org/app:1.0 (sha256:…)
 *     policy: /etc/containers/policy.json
 *     scope: docker "ghcr.io/org" at policy.json:9:13 — scope "ghcr.io/org" is a namespace containing …
 *     requirement 1: signedBy GPGKeys, keyPath "/k.gpg" (policy.json:10:17): REJECTED [SIG_INVALID]
 *       reason: …
 *       hint: …
 *       signature 1 file:///…/signature-1: rejected [SIG_INVALID]: …
 */
export function formatDecisionText(decision: PolicyDecision): string {
  const lines: string[] = [];
  const verdict = decision.outcome === "allowed" ? "ALLOWED" : decision.outcome === "denied" ? "DENIED" : "NOT ALLOWED (could not evaluate)";
  lines.push(`${verdict} ${decision.image}${decision.digest === undefined ? "" : ` (${decision.digest})`}`);
  lines.push(`  ${decision.reason}`);
  if (decision.hint !== undefined && !decision.allowed) lines.push(`  hint: ${decision.hint}`);
  lines.push(`  policy: ${decision.policySource}`);
  const scope = decision.scope;
  const scopeName = scope.scope === undefined ? "the global default" : `transport ${scope.transport} scope ${JSON.stringify(scope.scope)}`;
  lines.push(`  scope: ${scopeName} (${formatSourceLocation(scope.location)}), looked up as ${scope.identity}`);
  lines.push(`    why: ${scope.reason}`);
  for (const requirement of decision.requirements) lines.push(...formatRequirement(requirement, decision.requirements.length));
  return `${lines.join("\n")}\n`;
}

function formatRequirement(requirement: RequirementVerdict, count: number): string[] {
  const status = requirement.allowed ? "met" : `NOT MET${requirement.code === undefined ? "" : ` [${requirement.code}]`}`;
  const lines = [`  requirement ${requirement.index + 1} of ${count}: ${requirement.summary} (${formatSourceLocation(requirement.location)}): ${status}`];
  lines.push(`    reason: ${requirement.reason}`);
  if (!requirement.allowed && requirement.hint !== undefined) lines.push(`    hint: ${requirement.hint}`);
  requirement.signatures.forEach((signature, index) => lines.push(...formatSignature(signature, index)));
  return lines;
}

function formatSignature(signature: SignatureVerdict, index: number): string[] {
  const status = signature.allowed ? "accepted" : `rejected${signature.code === undefined ? "" : ` [${signature.code}]`}`;
  const lines = [`    signature ${index + 1} (${signature.source}): ${status}`, `      ${signature.reason}`];
  if (!signature.allowed && signature.hint !== undefined) lines.push(`      hint: ${signature.hint}`);
  return lines;
}
