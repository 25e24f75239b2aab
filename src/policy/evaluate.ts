/**
 * evaluatePolicy: is this image allowed by the policy, and why. The scope is looked up as containers/image does,
 * then every requirement of the scope is evaluated (all must hold; for signature requirements one accepted
 * signature is enough). The result is a decision tree, never a bare boolean; nothing here does I/O except
 * through the fetchers it is given.
 */
import { resolve } from "node:path";
import { SignetError, toSignetError } from "../errors/index.js";
import type { Digest } from "../internal/digest.js";
import { formatImageLocation, type ImageLocation } from "../oci/reference/index.js";
import type { CompiledPolicy, CompiledScope } from "./compile.js";
import { formatSourceLocation, type PolicySemantics } from "./config/index.js";
import { isVerdictCode, type PolicyDecision, type RequirementVerdict, type ScopeVerdict } from "./decision.js";
import { createRequirementContext, type PolicyFetchers, type RequirementContext } from "./evaluation-context.js";
import type { CompiledRequirement } from "./requirements/index.js";
import { dockerPolicyIdentity, lookupScope, pathPolicyIdentity, type PolicyImageIdentity, type ScopeMatch } from "./scopes.js";

export interface EvaluatePolicyOptions {
  fetchers: PolicyFetchers;
  /** The time keys and signatures are checked at (default: now). */
  now?: Date;
}

/**
 * Evaluates the policy for one image. Throws only for an image location the policy cannot name (REF_INVALID,
 * e.g. a reference with both a tag and a digest); everything else, fetch failures included, is in the decision.
 */
export async function evaluatePolicy(image: ImageLocation, policy: CompiledPolicy, options: EvaluatePolicyOptions): Promise<PolicyDecision> {
  const imageName = formatImageLocation(image);
  if (policy.parsed.semantics === "image-rs" && image.transport !== "docker") {
    // image-rs's Image::transport_name is always "docker": the guest pulls from registries only.
    throw new SignetError("REF_INVALID", `${imageName}: image-rs evaluates only images in registries (its transport is always docker)`, {
      hint: "Name the image by its registry reference, e.g. registry.example/app:1.0.",
    });
  }
  const identity = await policyIdentityOf(image, options.fetchers);
  const match = lookupScope(policy, identity);
  const scope = scopeVerdict(match, identity);
  const context = createRequirementContext(image, imageName, options.fetchers, options.now ?? new Date());

  const requirements: RequirementVerdict[] = [];
  for (const [index, requirement] of match.entry.requirements.entries()) {
    requirements.push({ ...describe(requirement, index), ...(await evaluateRequirement(requirement, context)) });
  }
  const digest = await context.digestIfRequested();
  return decide({ imageName, transport: image.transport, digest, policySource: policy.source, scope, requirements, semantics: policy.parsed.semantics });
}

/** How the image is named for scope lookup: docker references as containers/image's docker transport, layouts by resolved path. */
export async function policyIdentityOf(image: ImageLocation, fetchers: Pick<PolicyFetchers, "resolveLayoutPath">): Promise<PolicyImageIdentity> {
  if (image.transport === "docker") return dockerPolicyIdentity("docker", image.reference);
  const resolved = fetchers.resolveLayoutPath !== undefined ? await fetchers.resolveLayoutPath(image.path) : resolve(image.path);
  return pathPolicyIdentity("oci", resolved);
}

async function evaluateRequirement(requirement: CompiledRequirement, context: RequirementContext) {
  try {
    return await requirement.evaluate(context);
  } catch (error) {
    // A bug or an unexpected failure must deny, never allow; the decision says it could not evaluate.
    const signetError = toSignetError(error);
    return { allowed: false, reason: `could not evaluate: ${signetError.message}`, hint: signetError.hint, code: signetError.code, signatures: [] };
  }
}

function describe(requirement: CompiledRequirement, index: number): Pick<RequirementVerdict, "index" | "type" | "summary" | "location"> {
  return { index, type: requirement.config.type, summary: requirement.summary, location: requirement.config.location };
}

function scopeVerdict(match: ScopeMatch<CompiledScope>, identity: PolicyImageIdentity): ScopeVerdict {
  return { transport: match.transport, scope: match.scope, kind: match.kind, reason: match.reason, location: match.entry.list.location, identity: identity.identity };
}

interface DecisionParts {
  imageName: string;
  transport: string;
  digest: Digest | undefined;
  policySource: string;
  scope: ScopeVerdict;
  requirements: RequirementVerdict[];
  semantics: PolicySemantics;
}

function decide(parts: DecisionParts): PolicyDecision {
  const { requirements, scope } = parts;
  const where = scope.scope === undefined ? `the global default (${formatSourceLocation(scope.location)})` : `scope ${JSON.stringify(scope.scope)} of transport ${scope.transport}`;
  const failed = requirements.filter((r) => !r.allowed);
  const base = { image: parts.imageName, transport: parts.transport, digest: parts.digest, policySource: parts.policySource, scope, requirements };
  if (requirements.length === 0 && parts.semantics === "image-rs") {
    // image-rs's check_image_signature: "if no policy covers the image, the image is considered to be allowed".
    return { ...base, allowed: true, outcome: "allowed", reason: `${parts.imageName} is allowed: ${where} has no requirements, and image-rs allows an image no requirement covers` };
  }
  if (requirements.length > 0 && failed.length === 0) {
    const count = requirements.length;
    return {
      ...base,
      allowed: true,
      outcome: "allowed",
      reason: `${parts.imageName} is allowed: ${count === 1 ? "the requirement" : `all ${count} requirements`} of ${where} ${count === 1 ? "is" : "are"} met`,
    };
  }
  // A requirement that rejected the image is a verdict; only when every failure is "could not evaluate" is the outcome an error.
  const verdict = failed.find((r) => isVerdictCode(r.code));
  const first = verdict ?? failed[0];
  if (first === undefined) {
    return { ...base, allowed: false, outcome: "error", reason: `${parts.imageName}: ${where} has no requirements`, code: "POLICY_CONFIG_INVALID" };
  }
  const label = `requirement ${first.index + 1} (${first.type})`;
  if (verdict !== undefined) {
    return { ...base, allowed: false, outcome: "denied", reason: `${parts.imageName} is denied by ${label} of ${where}: ${first.reason}`, hint: first.hint, code: "POLICY_DENIED" };
  }
  return {
    ...base,
    allowed: false,
    outcome: "error",
    reason: `${parts.imageName} is not allowed: ${label} of ${where} could not be evaluated: ${first.reason}`,
    hint: first.hint,
    code: first.code,
  };
}
