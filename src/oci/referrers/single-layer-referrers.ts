import { SignetError, toSignetError } from "../../errors/index.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import type { Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import type { Descriptor } from "../manifest/descriptor.js";
import { parseManifest } from "../manifest/parse.js";
import type { Repository } from "../repository.js";
import { filterReferrers, listReferrers, type ReferrersListing } from "./list-referrers.js";

/** One artifact found among an image's referrers: a manifest with one layer; nothing in it is trusted yet. */
export interface UntrustedReferrerLayer {
  /** The referrer manifest that holds it (fetched by digest and checked). */
  readonly manifestDigest: Digest;
  readonly artifactType: string;
  /** The layer's media type and bytes (digest checked, size bounded). */
  readonly mediaType: string;
  readonly untrustedBytes: Buffer;
  /** The referrer manifest's annotations: hints only. */
  readonly untrustedAnnotations: Readonly<Record<string, string>>;
  /** The layer's digest (its bytes were checked against it) and annotations (a cosign signature's live there). */
  readonly layerDigest: Digest;
  readonly untrustedLayerAnnotations: Readonly<Record<string, string>>;
}

export interface SingleLayerReferrerKind {
  /** For messages: "sigstore bundle", "Notation signature". */
  readonly what: string;
  /** The artifact type to ask the referrers API for. */
  readonly artifactType: string;
  /** Whether a listing entry may be one (entries whose type cannot be told are kept). */
  listed(artifactType: string | undefined): boolean;
  /** Whether the fetched manifest's artifact type (or config type) and layer type are one. */
  accepts(artifactType: string, layerMediaType: string): boolean;
  readonly maxCount: number;
  readonly maxLayerBytes: number;
}

export interface DiscoveredReferrerLayers {
  readonly listing: Omit<ReferrersListing, "descriptors">;
  readonly found: UntrustedReferrerLayer[];
  /** Referrers that are not of this kind for this image, with the reason. */
  readonly skipped: { readonly digest: Digest; readonly reason: string }[];
}

/**
 * Finds the single-layer artifacts of one kind attached to an image as OCI referrers (API, else the tag schema).
 * Each candidate manifest is fetched by digest and must name this image as its subject and hold one layer of
 * the kind; other referrers are skipped with the reason. Counts and sizes are bounded before anything is read.
 */
export async function discoverSingleLayerReferrers(repository: Repository, imageDigest: Digest, kind: SingleLayerReferrerKind, listed?: ReferrersListing): Promise<DiscoveredReferrerLayers> {
  // A listing of every referrer, made once by the caller for several kinds, or this kind's own.
  const { descriptors: all, ...listing } = listed ?? (await listReferrers(repository, imageDigest, { artifactType: kind.artifactType }));
  const descriptors = listed === undefined ? all : filterReferrers(all, kind.artifactType);
  const candidates = descriptors.filter((d) => kind.listed(d.artifactType));
  if (candidates.length > kind.maxCount) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `${listing.where} lists ${candidates.length} possible ${kind.what}s; at most ${kind.maxCount} are examined`, {
      details: { found: candidates.length, limit: kind.maxCount },
    });
  }
  const outcomes = await mapConcurrently(candidates, 8, async (descriptor) => {
    try {
      return await fetchLayer(repository, imageDigest, descriptor, kind);
    } catch (error) {
      const signetError = toSignetError(error);
      // A registry that cannot answer is not a verdict about this referrer: let it surface.
      if (signetError.category === "unavailable") throw signetError;
      return { digest: descriptor.digest, reason: `${signetError.message} [${signetError.code}]` };
    }
  });
  const found: UntrustedReferrerLayer[] = [];
  const skipped: DiscoveredReferrerLayers["skipped"] = [];
  for (const outcome of outcomes) {
    if ("reason" in outcome) skipped.push(outcome);
    else found.push(outcome);
  }
  return { listing, found, skipped };
}

async function fetchLayer(repository: Repository, imageDigest: Digest, descriptor: Descriptor, kind: SingleLayerReferrerKind): Promise<UntrustedReferrerLayer | { digest: Digest; reason: string }> {
  const skip = (reason: string) => ({ digest: descriptor.digest, reason });
  if (descriptor.size > LIMITS.manifestBytes) return skip(`the referrer manifest declares ${descriptor.size} bytes`);
  const manifestBytes = await repository.getManifest(descriptor.digest);
  const manifest = parseManifest(manifestBytes.bytes, manifestBytes.mediaType);
  if (manifest.kind !== "image") return skip(`the referrer is an index, not a ${kind.what} manifest`);
  // The listing is untrusted: only the manifest's own subject says what it refers to.
  if (manifest.subject?.digest !== imageDigest) return skip(`the referrer's subject is ${manifest.subject?.digest ?? "missing"}, not ${imageDigest}`);
  const artifactType = manifest.artifactType ?? manifest.config.mediaType;
  const [layer, ...rest] = manifest.layers;
  if (layer === undefined || rest.length > 0) return skip(`the referrer has ${manifest.layers.length} layers, not one ${kind.what}`);
  if (!kind.accepts(artifactType, layer.mediaType)) return skip(`the referrer is ${artifactType} with a ${layer.mediaType} layer, not a ${kind.what}`);
  if (layer.size > kind.maxLayerBytes) {
    throw new SignetError("SIZE_LIMIT_EXCEEDED", `the ${kind.what} ${layer.digest} declares ${layer.size} bytes; at most ${kind.maxLayerBytes} are accepted`, {
      details: { digest: layer.digest, size: layer.size, limit: kind.maxLayerBytes },
    });
  }
  const untrustedBytes = await repository.getBlob(layer.digest, kind.maxLayerBytes);
  return {
    manifestDigest: descriptor.digest,
    artifactType,
    mediaType: layer.mediaType,
    untrustedBytes,
    untrustedAnnotations: manifest.annotations ?? {},
    layerDigest: layer.digest,
    untrustedLayerAnnotations: layer.annotations ?? {},
  };
}

