/**
 * Notation as a requirement of the one image verifier (signatures/verifier): a trust policy, its trust stores and
 * the scope the image is verified under. `signet notation verify`, `policy verify` (policy.json's
 * `notationSigned`) and the webhook's `notation` authority all verify a Notation signature record through
 * `verifyNotationRecord`, so a verdict does not depend on who asked.
 */
import { SignetError } from "../../errors/index.js";
import type { Certificate } from "../../trust/x509.js";
import type { CertificateRevocation } from "./revocation.js";
import { parseNotationEnvelope } from "./parse-envelope.js";
import { applicableStatement, type TrustPolicyDocument, type TrustPolicyStatement } from "./trust-policy.js";
import { notationFailure, verifyNotationSignature, withRevocation, type NotationTrustStores, type NotationVerification, type SubjectDescriptor } from "./verify-notation.js";

/** Fetches the OCSP/CRL status of a chain (revocation.ts checkChainRevocation): injected, so verification stays pure. */
export type RevocationChecker = (chain: readonly Certificate[]) => Promise<readonly CertificateRevocation[]>;

export interface NotationRequirement {
  readonly kind: "notation";
  readonly policy: TrustPolicyDocument;
  /** The trust policy scope the image is verified under: `registry/repository` (default: the image's repository). */
  readonly scope?: string;
  readonly trustStores: NotationTrustStores;
  /** Each must be in the verified signature's user metadata (notation verify --user-metadata). */
  readonly userMetadata?: Readonly<Record<string, string>>;
  /** Without it, a chain that names a CRL or OCSP responder has an unknown revocation status. */
  readonly checkRevocation?: RevocationChecker;
  /** Verification time (default: now). */
  readonly now?: Date;
}

/**
 * The statement that applies to the requirement's scope. A `skip` statement verifies nothing: `signet notation
 * verify` reports it as notation does, but a policy or admission decision never accepts an image through it
 * (callers refuse it; an image that may run unsigned is said so with insecureAcceptAnything or a static pass).
 */
export function notationStatement(requirement: NotationRequirement, repository?: string): TrustPolicyStatement {
  const scope = requirement.scope ?? repository;
  if (scope === undefined) throw new SignetError("USAGE", "a Notation trust policy statement is chosen by the image's registry/repository, and none was given");
  return applicableStatement(requirement.policy, scope);
}

/** The outcome of one envelope: notation's full verification (every check's outcome) and, if it failed, why. */
export interface NotationRecordResult {
  readonly verification: NotationVerification;
  /** Set when the signature is not accepted: the first enforced failure, or missing user metadata. */
  readonly failure?: SignetError;
}

/**
 * One signature, in the specification's order: the pure checks first (revocation skipped), then, when they hold
 * and the statement checks revocation, the chain's status from the injected checker, judged.
 */
export async function verifyNotationEnvelopeBytes(
  envelopeMediaType: string,
  untrustedEnvelope: Buffer,
  subject: SubjectDescriptor,
  statement: TrustPolicyStatement,
  requirement: Pick<NotationRequirement, "trustStores" | "checkRevocation" | "now" | "userMetadata">,
): Promise<NotationRecordResult> {
  const parse = () => parseNotationEnvelope(envelopeMediaType, untrustedEnvelope);
  const now = requirement.now ?? new Date();
  const options = { statement, trustStores: requirement.trustStores, subject, now };
  let verification: NotationVerification;
  if (statement.actions.revocation === "skip") {
    verification = verifyNotationSignature(parse, options);
  } else {
    const first = verifyNotationSignature(parse, { ...options, statement: { ...statement, actions: { ...statement.actions, revocation: "skip" } } });
    if (!first.verified || first.chain === undefined) {
      verification = first;
    } else {
      const revocation = requirement.checkRevocation === undefined ? [] : await requirement.checkRevocation(first.chain);
      verification = withRevocation(first, statement, revocation);
    }
  }
  if (!verification.verified) return { verification, failure: notationFailure(verification) };
  const problem = metadataProblem(verification, requirement.userMetadata ?? {});
  if (problem !== undefined) return { verification, failure: new SignetError("NOTATION_USER_METADATA_MISMATCH", problem, { hint: "Verify with the user metadata the image was signed with, or sign it with `--user-metadata KEY=VALUE`." }) };
  return { verification };
}

function metadataProblem(result: NotationVerification, wanted: Readonly<Record<string, string>>): string | undefined {
  const annotations = result.target?.annotations ?? {};
  for (const [key, value] of Object.entries(wanted)) {
    if (annotations[key] !== value) return `the signature's user metadata does not have ${key}=${value}`;
  }
  return undefined;
}
