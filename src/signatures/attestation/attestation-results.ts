/**
 * Why an image has no acceptable attestation: kept apart from the verifiers so the explanation loads no
 * sigstore library. Verifying attestations of a type the image does not have is a failure (A.4).
 */
import { SignetError, mostTelling } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import type { AttestationVerification } from "./verify-attestations.js";

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
  // The catalog's one ranking (errors/catalog.ts EXPLANATION_RANK); attestations of other types explain nothing here.
  const example = mostTelling(rejected.filter((r) => r.code !== "ATTESTATION_TYPE_MISMATCH"))!;
  return new SignetError(example.code, `none of the ${rejected.length} attestation(s) for ${imageDigest} verified: ${example.reason}`, { details: { imageDigest, searched, rejected } });
}
