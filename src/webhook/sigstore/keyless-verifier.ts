/**
 * The webhook's KeylessVerifier: finds the image's signatures (the legacy `.sig` tag, then, unless the authority
 * says `signatureFormat: legacy`, sigstore bundles among the referrers), verifies each against the authority's
 * trust material (Fulcio chain at the Rekor time, SCT when the root has CT logs, Rekor entry required), and
 * accepts the image when a verified signer matches one of the authority's identities and the container's
 * identity annotations. Every other path is a denial with the reason.
 */
import { toSignetError, type SignetError } from "../../errors/index.js";
import { discoverCosignSignatures } from "../../signatures/cosign/discover.js";
import { explainNoImageSignature, type ImageSignatureVerification } from "../../signatures/cosign/image-signatures.js";
import type { KeylessVerificationRequest, KeylessVerificationResult, KeylessVerifier } from "../evaluate/types.js";
import { ANY_VERIFIED_IDENTITY, describeIdentities, describeSigner, matchSigner } from "./signer-identity.js";
import type { KeylessTrustProvider } from "./trust-provider.js";
import { appendAll } from "../../internal/arrays.js";

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
  const legacyOnly = request.authority.signatureFormat === "legacy";
  const { verifyImageSignatures } = await import("../../signatures/cosign/verify-sigstore-signatures.js");
  const base = {
    imageDigest: request.digest,
    identity: repository.displayName,
    signer: { kind: "identity", identity: ANY_VERIFIED_IDENTITY, trust, requireTlog: true } as const,
  };
  const searched: string[] = [];
  const total: ImageSignatureVerification = { verified: [], rejected: [], ignored: [] };
  const legacy = await discoverCosignSignatures(repository, request.digest);
  searched.push(`${repository.displayName}:${legacy.tag}`);
  if (legacy.signatures.length > 0) merge(total, verifyImageSignatures({ ...base, legacy: legacy.signatures }));
  const lines: KeylessVerificationResult["signatures"] = [];
  const accepted = judge(total, request, lines, `${repository.displayName}:${legacy.tag}`, trust.description);
  if (accepted === undefined && !legacyOnly) {
    const { discoverSigstoreBundles } = await import("../../signatures/bundle-oci/discover-bundles.js");
    const discovered = await discoverSigstoreBundles(repository, request.digest);
    const where = discovered.listing.source === "referrers-api" ? `the referrers API (${discovered.listing.where})` : `the referrers tag ${discovered.listing.where}`;
    searched.push(where);
    if (discovered.bundles.length > 0) {
      const bundles: ImageSignatureVerification = verifyImageSignatures({ ...base, bundles: discovered.bundles });
      merge(total, bundles);
      const found = judge(bundles, request, lines, `${repository.displayName} referrer`, trust.description);
      if (found !== undefined) return found;
    }
  }
  if (accepted !== undefined) return accepted;
  if (total.verified.length > 0) {
    // Signatures verified, but by signers the policy does not accept: say who signed.
    const who = lines.find((line) => !line.allowed && line.reason.startsWith("signed by"))?.reason ?? "no verified signer is accepted";
    return { verified: false, reason: `no signature by an accepted identity (${describeIdentities(request.identities)}): ${who}`, code: "CERT_IDENTITY_MISMATCH", signatures: lines };
  }
  const failure: SignetError = explainNoImageSignature(request.digest, total, searched);
  return { verified: false, reason: failure.message, code: failure.code, signatures: lines };
}

/** Records a line per signature; returns the verdict for the first accepted signer, if any. */
function judge(verification: ImageSignatureVerification, request: KeylessVerificationRequest, lines: KeylessVerificationResult["signatures"], where: string, trustedBy: string): KeylessVerificationResult | undefined {
  let accepted: KeylessVerificationResult | undefined;
  for (const signature of verification.verified) {
    const source = `${where} ${signature.format === "cosign-legacy" ? "layer" : "bundle"} ${signature.source}`;
    const match = matchSigner(signature.signer, request.identities, request.requiredIdentity);
    if (!match.accepted) {
      lines.push({ source, allowed: false, reason: match.reason });
      continue;
    }
    const reason = `${describeSigner(signature.signer, match.subject, match.issuer)}, verified against ${trustedBy}`;
    lines.push({ source, allowed: true, reason });
    accepted ??= { verified: true, reason, signatures: lines };
  }
  for (const rejection of verification.rejected) lines.push({ source: `${where} ${rejection.source}`, allowed: false, reason: rejection.reason });
  return accepted;
}

function merge(into: ImageSignatureVerification, from: ImageSignatureVerification): void {
  appendAll(into.verified, from.verified);
  appendAll(into.rejected, from.rejected);
  appendAll(into.ignored, from.ignored);
}
