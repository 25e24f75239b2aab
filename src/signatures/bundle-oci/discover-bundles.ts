import { SignetError, toSignetError } from "../../errors/index.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import type { Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import type { Descriptor } from "../../oci/manifest/descriptor.js";
import { parseManifest } from "../../oci/manifest/parse.js";
import { listReferrers, type ReferrersListing } from "../../oci/referrers/index.js";
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

/**
 * Finds the sigstore bundles attached to an image as OCI referrers (API, else the tag schema). Each candidate
 * manifest is fetched by digest and must name this image as its subject and hold one bundle layer; other
 * referrers (SBOMs, notation signatures) are skipped with the reason. Counts and sizes are bounded first.
 */
export async function discoverSigstoreBundles(repository: Repository, imageDigest: Digest): Promise<DiscoveredBundles> {
  const { descriptors, ...listing } = await listReferrers(repository, imageDigest, { artifactType: SIGSTORE_BUNDLE_ARTIFACT_TYPE });
  const candidates = descriptors.filter((d) => d.artifactType === undefined || isSigstoreBundleMediaType(d.artifactType) || d.artifactType === "application/vnd.oci.empty.v1+json");
  if (candidates.length > MAX_BUNDLES) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `${listing.where} lists ${candidates.length} possible bundles; at most ${MAX_BUNDLES} are examined`, {
      details: { bundles: candidates.length, limit: MAX_BUNDLES },
    });
  }
  const outcomes = await mapConcurrently(candidates, 8, async (descriptor) => {
    try {
      return await fetchBundle(repository, imageDigest, descriptor);
    } catch (error) {
      const signetError = toSignetError(error);
      // A registry that cannot answer is not a verdict about this referrer: let it surface.
      if (signetError.category === "unavailable") throw signetError;
      return { digest: descriptor.digest, reason: `${signetError.message} [${signetError.code}]` };
    }
  });
  const bundles: UntrustedOciBundle[] = [];
  const skipped: DiscoveredBundles["skipped"] = [];
  for (const outcome of outcomes) {
    if ("reason" in outcome) skipped.push(outcome);
    else bundles.push(outcome);
  }
  return { listing, bundles, skipped };
}

async function fetchBundle(repository: Repository, imageDigest: Digest, descriptor: Descriptor): Promise<UntrustedOciBundle | { digest: Digest; reason: string }> {
  const skip = (reason: string) => ({ digest: descriptor.digest, reason });
  if (descriptor.size > LIMITS.manifestBytes) return skip(`the referrer manifest declares ${descriptor.size} bytes`);
  const manifestBytes = await repository.getManifest(descriptor.digest);
  const manifest = parseManifest(manifestBytes.bytes, manifestBytes.mediaType);
  if (manifest.kind !== "image") return skip("the referrer is an index, not a bundle manifest");
  // The listing is untrusted: only the manifest's own subject says what it refers to.
  if (manifest.subject?.digest !== imageDigest) return skip(`the referrer's subject is ${manifest.subject?.digest ?? "missing"}, not ${imageDigest}`);
  const artifactType = manifest.artifactType ?? manifest.config.mediaType;
  const [layer, ...rest] = manifest.layers;
  if (layer === undefined || rest.length > 0) return skip(`the referrer has ${manifest.layers.length} layers, not one bundle`);
  if (!isSigstoreBundleMediaType(layer.mediaType) || !(isSigstoreBundleMediaType(artifactType) || artifactType === "application/vnd.oci.empty.v1+json")) {
    return skip(`the referrer is ${artifactType} with a ${layer.mediaType} layer, not a sigstore bundle`);
  }
  if (layer.size > MAX_BUNDLE_BYTES) {
    throw new SignetError("SIZE_LIMIT_EXCEEDED", `the bundle ${layer.digest} declares ${layer.size} bytes; at most ${MAX_BUNDLE_BYTES} are accepted`, {
      details: { digest: layer.digest, size: layer.size, limit: MAX_BUNDLE_BYTES },
    });
  }
  const untrustedBundleBytes = await repository.getBlob(layer.digest, MAX_BUNDLE_BYTES);
  return { manifestDigest: descriptor.digest, mediaType: layer.mediaType, untrustedBundleBytes, untrustedAnnotations: manifest.annotations ?? {} };
}
