import type { Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import { MediaType } from "../../oci/manifest/media-types.js";
import { discoverSingleLayerReferrers, type ReferrersListing, type SingleLayerReferrerKind } from "../../oci/referrers/index.js";
import type { Repository } from "../../oci/repository.js";
import { isSigstoreBundleMediaType, SIGSTORE_BUNDLE_ARTIFACT_TYPE } from "./media-types.js";

/** Bundles examined per image (as signatures: cosign's 100). */
export const MAX_BUNDLES = LIMITS.signaturesPerImage;
/** A bundle blob: a certificate chain, a few log entries and timestamps fit in far less. */
export const MAX_BUNDLE_BYTES = LIMITS.signatureLayerBytes;

/** One bundle found among an image's referrers; nothing in it is trusted yet. */
export interface UntrustedOciBundle {
  /** The referrer manifest that holds it (fetched by digest and checked). */
  readonly manifestDigest: Digest;
  /** The bundle layer's media type (its version). */
  readonly mediaType: string;
  readonly untrustedBundleBytes: Buffer;
  /** The referrer manifest's annotations (content kind, predicate type): hints only. */
  readonly untrustedAnnotations: Readonly<Record<string, string>>;
}

export interface DiscoveredBundles {
  readonly listing: Omit<ReferrersListing, "descriptors">;
  readonly bundles: UntrustedOciBundle[];
  /** Referrers that are not sigstore bundles for this image, with the reason. */
  readonly skipped: { readonly digest: Digest; readonly reason: string }[];
}

const BUNDLE_REFERRERS: SingleLayerReferrerKind = {
  what: "sigstore bundle",
  artifactType: SIGSTORE_BUNDLE_ARTIFACT_TYPE,
  listed: (artifactType) => artifactType === undefined || isSigstoreBundleMediaType(artifactType) || artifactType === MediaType.OciEmpty,
  accepts: (artifactType, layerMediaType) => isSigstoreBundleMediaType(layerMediaType) && (isSigstoreBundleMediaType(artifactType) || artifactType === MediaType.OciEmpty),
  maxCount: MAX_BUNDLES,
  maxLayerBytes: MAX_BUNDLE_BYTES,
};

/**
 * Finds the sigstore bundles attached to an image as OCI referrers (API, else the tag schema). Each candidate
 * manifest is fetched by digest and must name this image as its subject and hold one bundle layer; other
 * referrers (SBOMs, notation signatures) are skipped with the reason. Counts and sizes are bounded first.
 */
export async function discoverSigstoreBundles(repository: Repository, imageDigest: Digest, listed?: ReferrersListing): Promise<DiscoveredBundles> {
  const { listing, found, skipped } = await discoverSingleLayerReferrers(repository, imageDigest, BUNDLE_REFERRERS, listed);
  const bundles = found.map((layer) => ({ manifestDigest: layer.manifestDigest, mediaType: layer.mediaType, untrustedBundleBytes: layer.untrustedBytes, untrustedAnnotations: layer.untrustedAnnotations }));
  return { listing, bundles, skipped };
}
