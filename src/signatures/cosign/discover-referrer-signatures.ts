/**
 * The signatures cosign 2.5 stores as OCI 1.1 referrers (`sign --registry-referrers-mode=oci-1-1` with
 * COSIGN_EXPERIMENTAL=1): one referrer manifest per signing, whose config (and artifact type) is
 * `application/vnd.dev.cosign.artifact.sig.v1+json`, holding one simple-signing layer with the same annotations a
 * `.sig` layer has (signature, certificate, chain, Rekor bundle), and the image as its subject. Each is handed on
 * as the `.sig` layer it amounts to, for the one verifier. Discovery only (I/O): nothing here is trusted.
 */
import type { Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import { MediaType } from "../../oci/manifest/media-types.js";
import { discoverSingleLayerReferrers, type ReferrersListing, type SingleLayerReferrerKind } from "../../oci/referrers/index.js";
import type { Repository } from "../../oci/repository.js";
import type { UntrustedCosignSignature } from "../verifier/records.js";
import { CosignAnnotation } from "./signature-manifest.js";

/** The artifact type (and config media type) of cosign's referrer signatures. */
export const COSIGN_SIGNATURE_ARTIFACT_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json";

const COSIGN_SIGNATURE_REFERRERS: SingleLayerReferrerKind = {
  what: "cosign signature",
  artifactType: COSIGN_SIGNATURE_ARTIFACT_TYPE,
  listed: (artifactType) => artifactType === undefined || artifactType === COSIGN_SIGNATURE_ARTIFACT_TYPE,
  accepts: (artifactType, layerMediaType) => artifactType === COSIGN_SIGNATURE_ARTIFACT_TYPE && layerMediaType === MediaType.CosignSimpleSigning,
  maxCount: LIMITS.signaturesPerImage,
  maxLayerBytes: LIMITS.signatureLayerBytes,
};

export interface DiscoveredReferrerSignatures {
  readonly listing: Omit<ReferrersListing, "descriptors">;
  readonly signatures: { readonly manifestDigest: Digest; readonly layer: UntrustedCosignSignature }[];
}

export async function discoverCosignReferrerSignatures(repository: Repository, imageDigest: Digest, listed?: ReferrersListing): Promise<DiscoveredReferrerSignatures> {
  const { listing, found } = await discoverSingleLayerReferrers(repository, imageDigest, COSIGN_SIGNATURE_REFERRERS, listed);
  return {
    listing,
    signatures: found.map((referrer) => ({
      manifestDigest: referrer.manifestDigest,
      layer: {
        layerDigest: referrer.layerDigest,
        mediaType: referrer.mediaType,
        untrustedPayload: referrer.untrustedBytes,
        untrustedSignatureBase64: referrer.untrustedLayerAnnotations[CosignAnnotation.signature],
        untrustedAnnotations: referrer.untrustedLayerAnnotations,
      },
    })),
  };
}
