/**
 * The webhook's KeylessVerifier: the one image verifier (signatures/verifier) with the authority's identities as
 * the requirement: the legacy `.sig` tag, then, unless the authority says `signatureFormat: legacy`, sigstore
 * bundles among the referrers; each signature verified against the authority's trust material (Fulcio chain at
 * the Rekor time, SCT when the root has CT logs, Rekor entry required) and accepted when its certificate matches
 * one of the authority's identities and the container's identity annotations. Every other path is a denial with
 * the ranked reason.
 */
import { toSignetError } from "../../errors/index.js";
import { createRecordDiscovery, explainNoSignature, verifyDigestSignatures } from "../../signatures/verifier/index.js";
import { sourceIn } from "../evaluate/authorities.js";
import type { KeylessVerificationRequest, KeylessVerificationResult, KeylessVerifier } from "../evaluate/types.js";
import { describeSigner, keylessRequirement } from "./signer-identity.js";
import type { KeylessTrustProvider } from "./trust-provider.js";

export interface KeylessVerifierOptions {
  readonly trust: KeylessTrustProvider;
}

export function createKeylessVerifier(options: KeylessVerifierOptions): KeylessVerifier {
  return async (request) => {
    try {
      return await verifyKeyless(request, options);
    } catch (error) {
      const cause = toSignetError(error);
      return { verified: false, reason: cause.message, code: cause.code, signatures: [] };
    }
  };
}

async function verifyKeyless(request: KeylessVerificationRequest, options: KeylessVerifierOptions): Promise<KeylessVerificationResult> {
  if (request.identities.length === 0) {
    return { verified: false, reason: "the keyless authority names no identities: no signer can be accepted", code: "POLICY_UNSUPPORTED", signatures: [] };
  }
  const trust = await options.trust.trustFor(request.trust);
  const repository = request.signatureRepository;
  const verification = await verifyDigestSignatures({
    discovery: request.discovery ?? createRecordDiscovery(repository, request.digest),
    requirement: keylessRequirement(request.identities, trust, request.requiredIdentity),
    claims: { repository: repository.displayName },
    formats: request.authority.signatureFormat === "legacy" ? "legacy" : "auto",
  });
  const lines: KeylessVerificationResult["signatures"] = [
    ...verification.verified.map((s) => ({ source: sourceIn(repository, s), allowed: true, reason: `${s.signer.kind === "gpg" || s.signer.kind === "notation" ? "" : describeSigner(s.signer)}, verified against ${trust.description}` })),
    ...verification.rejected.map((r) => ({ source: sourceIn(repository, r), allowed: false, reason: r.reason })),
  ];
  const accepted = verification.verified[0];
  if (accepted !== undefined) return { verified: true, reason: lines[0]!.reason, signatures: lines };
  const failure = explainNoSignature(request.digest, verification, verification.searched);
  return { verified: false, reason: failure.message, code: failure.code, signatures: lines };
}
