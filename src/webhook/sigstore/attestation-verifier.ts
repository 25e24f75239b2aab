/**
 * The webhook's AttestationVerifier: every attestation an authority names must be present, signed as the
 * authority requires (its key, or keyless by one of its identities against its trust material, logged in
 * Rekor), of the named predicate type, and about this digest. Attestations are read once per request (the
 * legacy `.att` tag, and sigstore bundles among the referrers unless `signatureFormat: legacy`). A `policy`
 * (cue/rego) over an attestation is not evaluated by signet: such an attestation fails closed.
 */
import { SignetError, toSignetError } from "../../errors/index.js";
import type { UntrustedOciBundle } from "../../signatures/bundle-oci/discover-bundles.js";
import type { SignerRequirement } from "../../signatures/cosign/keyless.js";
import type { UntrustedCosignSignature } from "../../signatures/verifier/records.js";
import type { AttestationVerificationRequest, AttestationVerifier, KeylessVerificationResult } from "../evaluate/types.js";
import type { CompiledAttestation } from "../policy/types.js";
import { describeSigner, keylessRequirement } from "./signer-identity.js";
import type { KeylessTrustProvider } from "./trust-provider.js";

export interface AttestationVerifierOptions {
  readonly trust: KeylessTrustProvider;
}

interface FoundAttestations {
  readonly legacy: readonly UntrustedCosignSignature[];
  readonly bundles: readonly UntrustedOciBundle[];
  readonly searched: readonly string[];
}

export function createAttestationVerifier(options: AttestationVerifierOptions): AttestationVerifier {
  return async (request) => {
    try {
      return await verifyAll(request, options);
    } catch (error) {
      const cause = toSignetError(error);
      return { verified: false, reason: cause.message, code: cause.code, signatures: [] };
    }
  };
}

async function verifyAll(request: AttestationVerificationRequest, options: AttestationVerifierOptions): Promise<KeylessVerificationResult> {
  const signer = await signerOf(request, options);
  const found = await discover(request);
  const lines: KeylessVerificationResult["signatures"] = [];
  const passed: string[] = [];
  for (const attestation of request.attestations) {
    const outcome = await verifyOne(attestation, request, signer, found, lines);
    if (!outcome.verified) return { ...outcome, signatures: lines };
    passed.push(outcome.reason);
  }
  return { verified: true, reason: passed.join("; "), signatures: lines };
}

async function signerOf(request: AttestationVerificationRequest, options: AttestationVerifierOptions): Promise<{ requirement: SignerRequirement }> {
  const authority = request.authority;
  switch (authority.type) {
    case "key":
      return { requirement: { kind: "key", publicKeys: authority.publicKeys } };
    case "keyless": {
      if (authority.identities.length === 0) throw new SignetError("POLICY_UNSUPPORTED", "the keyless authority names no identities: no signer can be accepted");
      const trust = await options.trust.trustFor(authority.trust);
      return { requirement: keylessRequirement(authority.identities, trust, undefined) };
    }
    default:
      throw new SignetError("POLICY_UNSUPPORTED", `attestations cannot be checked for a ${authority.type} authority`);
  }
}

async function discover(request: AttestationVerificationRequest): Promise<FoundAttestations> {
  const repository = request.signatureRepository;
  const legacyOnly = request.authority.signatureFormat === "legacy";
  const { discoverLegacyAttestations } = await import("../../signatures/attestation/discover-attestations.js");
  const [legacy, bundles] = await Promise.all([
    discoverLegacyAttestations(repository, request.digest),
    legacyOnly ? undefined : import("../../signatures/bundle-oci/discover-bundles.js").then(({ discoverSigstoreBundles }) => discoverSigstoreBundles(repository, request.digest)),
  ]);
  const searched = [`${repository.displayName}:${legacy.tag}`];
  if (bundles !== undefined) searched.push(bundles.listing.source === "referrers-api" ? `the referrers API (${bundles.listing.where})` : `the referrers tag ${bundles.listing.where}`);
  return { legacy: legacy.layers, bundles: bundles?.bundles ?? [], searched };
}

async function verifyOne(
  attestation: CompiledAttestation,
  request: AttestationVerificationRequest,
  signer: { requirement: SignerRequirement },
  found: FoundAttestations,
  lines: KeylessVerificationResult["signatures"],
): Promise<Omit<KeylessVerificationResult, "signatures">> {
  const name = JSON.stringify(attestation.name);
  if (attestation.policy !== undefined) {
    return { verified: false, reason: `attestation ${name}: its policy (${attestation.policy.type ?? "cue/rego"}) is not evaluated by signet, so it cannot pass`, code: "POLICY_UNSUPPORTED" };
  }
  const { resolvePredicateType } = await import("../../signatures/attestation/predicate-types.js");
  let predicateType: string;
  try {
    predicateType = resolvePredicateType(attestation.predicateType);
  } catch {
    return { verified: false, reason: `attestation ${name}: predicate type ${JSON.stringify(attestation.predicateType)} is neither a known name nor a URI`, code: "POLICY_UNSUPPORTED" };
  }
  const { verifyAttestations } = await import("../../signatures/attestation/verify-attestations.js");
  const { explainNoAttestation } = await import("../../signatures/attestation/attestation-results.js");
  const verification = verifyAttestations({ imageDigest: request.digest, legacy: found.legacy, bundles: found.bundles, signer: signer.requirement, predicateType });
  const verified = verification.verified[0];
  for (const rejection of verification.rejected) lines.push({ source: `attestation ${name}: ${rejection.format} ${rejection.source}`, allowed: false, reason: rejection.reason });
  if (verified !== undefined) {
    const reason = `attestation ${name} (${predicateType}) ${describeSigner(verified.signer)}`;
    lines.push({ source: `attestation ${name}: ${verified.format} ${verified.source}`, allowed: true, reason });
    return { verified: true, reason };
  }
  const failure = explainNoAttestation(request.digest, verification, found.searched, predicateType);
  return { verified: false, reason: `attestation ${name}: ${failure.message}`, code: failure.code };
}
