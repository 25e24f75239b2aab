/**
 * Verifies an image's Notation signatures against a trust policy: the statement for the image's repository,
 * every signature found among its referrers checked until one verifies (notation's rule: one is enough), the
 * user metadata required by `--user-metadata` present in the verified payload. The result names, for a failure,
 * each signature's first enforced failure.
 */
import { SignetError } from "../../errors/index.js";
import type { Descriptor } from "../../oci/manifest/descriptor.js";
import type { Repository } from "../../oci/repository.js";
import { discoverNotationSignatures } from "./oci-signatures.js";
import { parseNotationEnvelope } from "./parse-envelope.js";
import { applicableStatement, type TrustPolicyDocument, type TrustPolicyStatement } from "./trust-policy.js";
import { checkChainRevocation, type RevocationCheckOptions } from "./revocation.js";
import { notationFailure, verifyNotationSignature, withRevocation, type NotationTrustStores, type NotationVerification, type VerifyNotationOptions } from "./verify-notation.js";

export interface NotationImageVerification {
  readonly statement: TrustPolicyStatement;
  /** The signature that verified (or every one tried, when none did). */
  readonly verified: NotationVerification | undefined;
  readonly signatureDigest: string | undefined;
  /** Each signature tried, with why it was not accepted. */
  readonly tried: readonly { readonly digest: string; readonly result: NotationVerification; readonly error?: SignetError }[];
  readonly skipped: readonly { readonly digest: string; readonly reason: string }[];
}

/**
 * One signature: the pure checks first (revocation skipped), then, when they hold and the statement checks
 * revocation, the chain's OCSP/CRL status fetched and judged.
 */
export async function verifyNotationEnvelope(mediaType: string, bytes: Buffer, options: VerifyNotationOptions & { readonly revocationOptions?: RevocationCheckOptions }): Promise<NotationVerification> {
  const parse = () => parseNotationEnvelope(mediaType, bytes);
  const { statement } = options;
  if (statement.actions.revocation === "skip") return verifyNotationSignature(parse, options);
  const first = verifyNotationSignature(parse, { ...options, statement: { ...statement, actions: { ...statement.actions, revocation: "skip" } } });
  if (!first.verified || first.chain === undefined) return first;
  const revocation = await checkChainRevocation(first.chain, { now: options.now, ...options.revocationOptions });
  return withRevocation(first, statement, revocation);
}

export interface VerifyNotationImageOptions {
  readonly policy: TrustPolicyDocument;
  /** The trust policy scope: `registry/repository`. */
  readonly scope: string;
  readonly trustStores: NotationTrustStores;
  readonly userMetadata?: Readonly<Record<string, string>>;
  readonly now?: Date;
  /** notation's --max-signatures (default 100). */
  readonly maxSignatures?: number;
  readonly revocationOptions?: RevocationCheckOptions;
}

function metadataProblem(result: NotationVerification, wanted: Readonly<Record<string, string>>): string | undefined {
  const annotations = result.target?.annotations ?? {};
  for (const [key, value] of Object.entries(wanted)) {
    if (annotations[key] !== value) return `the signature's user metadata does not have ${key}=${value}`;
  }
  return undefined;
}

export async function verifyNotationImage(repository: Repository, subject: Descriptor, options: VerifyNotationImageOptions): Promise<NotationImageVerification> {
  const statement = applicableStatement(options.policy, options.scope);
  if (statement.level === "skip") return { statement, verified: undefined, signatureDigest: undefined, tried: [], skipped: [] };
  const { found, skipped } = await discoverNotationSignatures(repository, subject.digest);
  if (found.length === 0) {
    throw new SignetError("SIG_MISSING", `no Notation signature is associated with ${repository.displayName}@${subject.digest}`, {
      hint: "Sign the image with `signet notation sign` (or notation sign), or check that you verify the digest that was signed.",
      details: { skipped },
    });
  }
  const tried: { digest: string; result: NotationVerification; error?: SignetError }[] = [];
  for (const signature of found.slice(0, options.maxSignatures ?? 100)) {
    const result = await verifyNotationEnvelope(signature.mediaType, signature.untrustedBytes, {
      statement,
      trustStores: options.trustStores,
      subject,
      now: options.now ?? new Date(),
      ...(options.revocationOptions !== undefined ? { revocationOptions: options.revocationOptions } : {}),
    });
    const problem = result.verified && options.userMetadata !== undefined ? metadataProblem(result, options.userMetadata) : undefined;
    if (problem !== undefined) {
      tried.push({ digest: signature.manifestDigest, result, error: new SignetError("NOTATION_USER_METADATA_MISMATCH", problem) });
      continue;
    }
    tried.push({ digest: signature.manifestDigest, result });
    if (result.verified) return { statement, verified: result, signatureDigest: signature.manifestDigest, tried, skipped };
  }
  return { statement, verified: undefined, signatureDigest: undefined, tried, skipped };
}

/** The error for an image none of whose signatures verified: every signature's reason, the most telling code. */
export function notationImageFailure(display: string, verification: NotationImageVerification): SignetError {
  const failures = verification.tried.map(({ digest, result, error }) => ({ digest, error: error ?? notationFailure(result) }));
  const first = failures[0]?.error;
  const reasons = failures.map(({ digest, error }) => `${digest}: ${error.message}`).join("; ");
  return new SignetError(first?.code ?? "SIG_MISSING", `signature verification failed for all the signatures associated with ${display}: ${reasons}`, {
    details: { statement: verification.statement.name, signatures: failures.map(({ digest, error }) => ({ digest, ...error.toJSON() })) },
  });
}
