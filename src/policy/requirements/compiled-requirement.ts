import { SignetError, toSignetError } from "../../errors/index.js";
import type { PolicyRequirementConfig } from "../config/index.js";
import type { Digest } from "../../internal/digest.js";
import type { RequirementOutcome } from "../decision.js";
import type { RequirementContext } from "../evaluation-context.js";
import type { KeyFailure } from "../key-material.js";

/** A requirement of the policy, ready to evaluate: its keys are loaded (or the reason they are not is kept). */
export interface CompiledRequirement {
  readonly config: PolicyRequirementConfig;
  /** The requirement in a few words, e.g. `signedBy GPGKeys, keyPath "/etc/pki/key.gpg"`. */
  readonly summary: string;
  evaluate(context: RequirementContext): Promise<RequirementOutcome>;
}

/** The outcome of a requirement that cannot be evaluated because its keys could not be loaded: fail closed. */
export function keyFailureOutcome(failure: KeyFailure): RequirementOutcome {
  return { allowed: false, reason: failure.reason, hint: failure.hint, code: failure.code, signatures: [] };
}

/**
 * Fetches what a signature requirement needs, in order: the image's digest, then its signatures. Either both,
 * or the outcome that says which could not be read (a failure is never a pass).
 */
export async function fetchDigestAndSignatures<T>(
  context: RequirementContext,
  fetchSignatures: () => Promise<T>,
  what: string,
): Promise<{ imageDigest: Digest; signatures: T } | { failure: RequirementOutcome }> {
  let imageDigest: Digest;
  try {
    imageDigest = await context.digest();
  } catch (error) {
    return { failure: fetchFailureOutcome(error, `the manifest digest of ${context.imageName}`) };
  }
  try {
    return { imageDigest, signatures: await fetchSignatures() };
  } catch (error) {
    return { failure: fetchFailureOutcome(error, `the ${what} of ${context.imageName}`) };
  }
}

/** The outcome when something the requirement needs (the digest, the signatures) could not be fetched. */
export function fetchFailureOutcome(error: unknown, what: string): RequirementOutcome {
  const signetError = SignetError.is(error) ? error : toSignetError(error);
  return { allowed: false, reason: `could not read ${what}: ${signetError.message}`, hint: signetError.hint, code: signetError.code, signatures: [] };
}
