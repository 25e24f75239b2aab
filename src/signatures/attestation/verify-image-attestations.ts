import type { Digest } from "../../internal/digest.js";
import type { ImageAccess, ResolvedImage } from "../../oci/image-access.js";
import type { SignerRequirement } from "../cosign/keyless.js";
import type { SignatureFormats } from "../verifier/verify-digest.js";
import { explainNoAttestation } from "./attestation-results.js";
import { discoverLegacyAttestations } from "./discover-attestations.js";
import type { AttestationVerification, VerifiedAttestation } from "./verify-attestations.js";

export interface VerifyImageAttestationsOptions {
  readonly signer: SignerRequirement;
  /** The predicate type URI required; undefined accepts any. */
  readonly predicateType?: string;
  readonly formats?: SignatureFormats;
}

export interface VerifiedImageAttestations {
  readonly image: ResolvedImage;
  readonly digest: Digest;
  readonly searched: string[];
  readonly attestations: VerifiedAttestation[];
  readonly rejected: AttestationVerification["rejected"];
}

/**
 * Finds an image's attestations in the legacy `.att` tag and among its referrers (both looked at, in parallel),
 * and verifies them with the pure verifyAttestations. Throws when none is acceptable.
 */
export async function verifyImageAttestations(access: ImageAccess, image: string, options: VerifyImageAttestationsOptions): Promise<VerifiedImageAttestations> {
  const resolved = await access.resolve(image);
  const formats = options.formats ?? "auto";
  const [legacy, bundles] = await Promise.all([
    formats === "bundle" ? undefined : discoverLegacyAttestations(resolved.repository, resolved.digest),
    formats === "legacy" ? undefined : import("../bundle-oci/discover-bundles.js").then(({ discoverSigstoreBundles }) => discoverSigstoreBundles(resolved.repository, resolved.digest)),
  ]);
  const searched: string[] = [];
  if (legacy !== undefined) searched.push(`${resolved.repository.displayName}:${legacy.tag}`);
  if (bundles !== undefined) searched.push(bundles.listing.source === "referrers-api" ? `the referrers API (${bundles.listing.where})` : `the referrers tag ${bundles.listing.where}`);
  let verification: AttestationVerification = { verified: [], rejected: [] };
  if ((legacy?.layers.length ?? 0) + (bundles?.bundles.length ?? 0) > 0) {
    const { verifyAttestations } = await import("./verify-attestations.js");
    verification = verifyAttestations({
      imageDigest: resolved.digest,
      legacy: legacy?.layers ?? [],
      bundles: bundles?.bundles ?? [],
      signer: options.signer,
      ...(options.predicateType !== undefined ? { predicateType: options.predicateType } : {}),
    });
  }
  if (verification.verified.length === 0) throw explainNoAttestation(resolved.digest, verification, searched, options.predicateType);
  return { image: resolved, digest: resolved.digest, searched, attestations: verification.verified, rejected: verification.rejected };
}
