import { formatSourceLocation } from "./config/index.js";
import type { PolicyDecision, RequirementVerdict, SignatureVerdict } from "./decision.js";
import { appendAll } from "../internal/arrays.js";

/**
 * The decision tree as text for a person: the verdict and its reason first, then the scope and why it matched,
 * then each requirement with each signature tried, each with its reason and, for failures, what to do:
 *
 *   DENIED docker://ghcr.io/org/app:1.0 (sha256:…)
 *     docker://ghcr.io/org/app:1.0 is denied by requirement 1 (signedBy) of scope "ghcr.io/org" …
 *     hint: The image is signed, but by a key that is not in keyPath "/k.gpg": …
 *     policy: /etc/containers/policy.json
 *     scope: transport docker scope "ghcr.io/org" (policy.json:9:7), looked up as ghcr.io/org/app:1.0
 *       why: scope "ghcr.io/org" is a namespace containing ghcr.io/org/app (no more specific scope is configured)
 *     requirement 1 of 1: signedBy GPGKeys, keyPath "/k.gpg", … (policy.json:10:9): NOT MET [SIG_INVALID]
 *       reason: …
 *       signature 1 (https://sigs.example/org/app@sha256=…/signature-1): rejected [SIG_INVALID]
 *         invalid GPG signature (unknown-key): …
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
  for (const requirement of decision.requirements) appendAll(lines, formatRequirement(requirement, decision.requirements.length));
  return `${lines.join("\n")}\n`;
}

function formatRequirement(requirement: RequirementVerdict, count: number): string[] {
  const status = requirement.allowed ? "met" : `NOT MET${requirement.code === undefined ? "" : ` [${requirement.code}]`}`;
  const lines = [`  requirement ${requirement.index + 1} of ${count}: ${requirement.summary} (${formatSourceLocation(requirement.location)}): ${status}`];
  lines.push(`    reason: ${requirement.reason}`);
  if (!requirement.allowed && requirement.hint !== undefined) lines.push(`    hint: ${requirement.hint}`);
  requirement.signatures.forEach((signature, index) => appendAll(lines, formatSignature(signature, index, requirement.hint)));
  return lines;
}

function formatSignature(signature: SignatureVerdict, index: number, requirementHint: string | undefined): string[] {
  const status = signature.allowed ? "accepted" : `rejected${signature.code === undefined ? "" : ` [${signature.code}]`}`;
  const lines = [`    signature ${index + 1} (${signature.source}): ${status}`, `      ${signature.reason}`];
  // The requirement's hint is the one of its most telling signature; repeat only hints that differ.
  if (!signature.allowed && signature.hint !== undefined && signature.hint !== requirementHint) lines.push(`      hint: ${signature.hint}`);
  return lines;
}
