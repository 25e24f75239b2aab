/**
 * The outcome of verifying an image's signatures in any format, and the error that explains an image with
 * none that verified. Kept apart from the verifiers so that the key-only path loads no sigstore libraries.
 */
import { SignetError, type ErrorCode } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import type { SimpleSigningPayload } from "../payload/simple-signing.js";
import type { SignerProof } from "./keyless.js";

export type SignatureFormat = "cosign-legacy" | "sigstore-bundle";

export interface VerifiedImageSignature {
  readonly format: SignatureFormat;
  /** The `.sig` layer digest, or the digest of the referrer manifest holding the bundle. */
  readonly source: Digest;
  /** The payload, in cosign's simple-signing shape (a bundle is mapped to it as sigstore-rs does). */
  readonly payload: SimpleSigningPayload;
  readonly signer: SignerProof;
}

export interface ImageSignatureRejection {
  readonly format: SignatureFormat;
  /** The layer or referrer digest, or the tag whose listing could not be read. */
  readonly source: string;
  readonly code: ErrorCode;
  readonly reason: string;
}

export interface ImageSignatureVerification {
  readonly verified: VerifiedImageSignature[];
  readonly rejected: ImageSignatureRejection[];
  /** Bundles among the referrers that are not image signatures (attestations of other types). */
  readonly ignored: { readonly source: Digest; readonly reason: string }[];
}

/** Most specific first: a signature that verified but says the wrong thing explains more than one that did not verify. */
const PRECEDENCE: readonly ErrorCode[] = [
  "SIG_ANNOTATION_MISMATCH",
  "SIG_DIGEST_MISMATCH",
  "ATTESTATION_SUBJECT_MISMATCH",
  "CERT_IDENTITY_MISMATCH",
  "TLOG_ENTRY_MISMATCH",
  "TLOG_PROOF_INVALID",
  "TLOG_ENTRY_MISSING",
  "SCT_INVALID",
  "CERT_CHAIN_INVALID",
  "TIMESTAMP_INVALID",
  "SIG_PAYLOAD_INVALID",
  "ATTESTATION_INVALID",
  "BUNDLE_INVALID",
  "SIG_INVALID",
];

/** The error that best explains why nothing verified. */
export function explainNoImageSignature(imageDigest: Digest, verification: ImageSignatureVerification, searched: readonly string[]): SignetError {
  const where = searched.join(" and ");
  if (verification.rejected.length === 0) {
    const ignored = verification.ignored.length > 0 ? ` (${verification.ignored.length} attestation(s) found, which are not signatures)` : "";
    return new SignetError("SIG_MISSING", `no signatures found for ${imageDigest} in ${where}${ignored}`, { details: { imageDigest, searched } });
  }
  const codes = new Set(verification.rejected.map((r) => r.code));
  const code = PRECEDENCE.find((c) => codes.has(c)) ?? verification.rejected[0]!.code;
  const example = verification.rejected.find((r) => r.code === code)!;
  const count = verification.rejected.length;
  return new SignetError(code, `none of the ${count} signature${count === 1 ? "" : "s"} for ${imageDigest} verified: ${example.reason}`, {
    details: { imageDigest, searched, rejected: verification.rejected },
  });
}
