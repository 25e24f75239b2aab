/**
 * Why an image has no acceptable attestation: kept apart from the verifiers so the explanation loads no
 * sigstore library. Verifying attestations of a type the image does not have is a failure (A.4).
 */
import { SignetError, type ErrorCode } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import type { AttestationVerification } from "./verify-attestations.js";

const PRECEDENCE: readonly ErrorCode[] = [
  "ATTESTATION_SUBJECT_MISMATCH",
  "SIG_DIGEST_MISMATCH",
  "CERT_IDENTITY_MISMATCH",
  "TLOG_ENTRY_MISMATCH",
  "TLOG_PROOF_INVALID",
  "TLOG_ENTRY_MISSING",
  "SCT_INVALID",
  "CERT_CHAIN_INVALID",
  "TIMESTAMP_INVALID",
  "ATTESTATION_INVALID",
  "SIG_PAYLOAD_INVALID",
  "BUNDLE_INVALID",
  "SIG_INVALID",
  "ATTESTATION_TYPE_MISMATCH",
];

export function explainNoAttestation(imageDigest: Digest, verification: AttestationVerification, searched: readonly string[], predicateType: string | undefined): SignetError {
  const where = searched.join(" and ");
  const rejected = verification.rejected;
  if (rejected.length === 0) {
    return new SignetError("ATTESTATION_MISSING", `no attestations found for ${imageDigest} in ${where}`, { details: { imageDigest, searched } });
  }
  const codes = new Set(rejected.map((r) => r.code));
  // Validly signed attestations of other types only: say which types there are.
  if (codes.size === 1 && codes.has("ATTESTATION_TYPE_MISMATCH")) {
    return new SignetError("ATTESTATION_TYPE_MISMATCH", `none of the ${rejected.length} attestation(s) for ${imageDigest} is of type ${predicateType ?? "(any)"}: ${rejected[0]!.reason}`, {
      details: { imageDigest, searched, rejected },
    });
  }
  const code = PRECEDENCE.find((c) => codes.has(c) && c !== "ATTESTATION_TYPE_MISMATCH") ?? rejected.find((r) => r.code !== "ATTESTATION_TYPE_MISMATCH")?.code ?? rejected[0]!.code;
  const example = rejected.find((r) => r.code === code)!;
  return new SignetError(code, `none of the ${rejected.length} attestation(s) for ${imageDigest} verified: ${example.reason}`, { details: { imageDigest, searched, rejected } });
}
