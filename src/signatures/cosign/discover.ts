import { SignetError, type ErrorCode } from "../../errors/index.js";
import { sha256Digest, type Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import type { Descriptor } from "../../oci/manifest/descriptor.js";
import type { Repository } from "../../oci/repository.js";
import { createSimpleSigningPayload } from "../payload/simple-signing.js";
import { CosignAnnotation, parseSignatureManifestLayers } from "./signature-manifest.js";
import { attachmentTag } from "./tags.js";
import type { UntrustedCosignSignature } from "../verifier/records.js";

export interface DiscoveredSignatures {
  /** The `.sig` tag looked up, e.g. sha256-<hex>.sig */
  tag: string;
  /** Digest of the signature manifest, when there is one. */
  manifestDigest: Digest | undefined;
  signatures: UntrustedCosignSignature[];
  /** Layers that could not be read as signatures (missing, oversized, corrupt), each with its reason. */
  skipped: SkippedSignatureLayer[];
}

/** A `.sig` layer left out: the others are still examined, so one bad layer cannot hide a valid signature. */
export interface SkippedSignatureLayer {
  readonly layerDigest: Digest;
  readonly code: ErrorCode;
  readonly reason: string;
}

export interface DiscoverOptions {
  /**
   * The image's `docker-reference` as cosign writes it (ResolvedImage.identity). With it, the standard payload
   * for this image is rebuilt, byte for byte as cosign writes it; a layer whose digest and size are that
   * payload's is not fetched, since its bytes are known. Any other layer is fetched and digest-checked as usual.
   */
  identity?: string;
}

/**
 * What makes a layer bad rather than the registry unavailable: its blob is missing, declares or has more bytes
 * than a signature may, or does not match its digest. Anyone who can push to the `.sig` tag can add such a layer;
 * cosign examines the other signatures, and so does signet. Any other failure (timeouts, 5xx, credentials) still
 * ends the lookup: no verdict is better than one made without a layer that may be valid.
 */
const SKIPPABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(["REGISTRY_NOT_FOUND", "SIZE_LIMIT_EXCEEDED", "DIGEST_MISMATCH"]);

/**
 * Fetches the signatures cosign attached to an image digest: one manifest request and one blob request per
 * signature layer (fetched concurrently), except a layer that holds the standard payload (see DiscoverOptions):
 * a verify of an image signed the usual way costs one request. Counts and sizes are bounded before anything is
 * downloaded: too many layers fail the lookup; a single bad layer is skipped with its reason (see SKIPPABLE).
 * Nothing here is trusted: the signature is checked over the payload bytes later, either way.
 */
export async function discoverCosignSignatures(repository: Repository, imageDigest: Digest, options: DiscoverOptions = {}): Promise<DiscoveredSignatures> {
  const tag = attachmentTag(imageDigest, "sig");
  const manifest = await repository.tryGetManifest(tag);
  if (manifest === undefined) return { tag, manifestDigest: undefined, signatures: [], skipped: [] };
  const layers = parseSignatureManifestLayers(manifest.bytes);
  if (layers.length > LIMITS.signaturesPerImage) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `${repository.displayName}:${tag} holds ${layers.length} signatures; at most ${LIMITS.signaturesPerImage} are examined`, {
      details: { signatures: layers.length, limit: LIMITS.signaturesPerImage },
    });
  }
  const standard = options.identity === undefined ? undefined : createSimpleSigningPayload({ dockerReference: options.identity, manifestDigest: imageDigest });
  const known = standard === undefined ? undefined : { bytes: standard, digest: sha256Digest(standard) };
  const outcomes = await mapConcurrently(layers, 8, (layer) => fetchSignatureLayer(repository, layer, known).catch((error: unknown) => skipLayer(layer, error)));
  const signatures: UntrustedCosignSignature[] = [];
  const skipped: SkippedSignatureLayer[] = [];
  for (const outcome of outcomes) {
    if ("skipped" in outcome) skipped.push(outcome.skipped);
    else signatures.push(outcome);
  }
  return { tag, manifestDigest: manifest.digest, signatures, skipped };
}

function skipLayer(layer: Descriptor, error: unknown): { skipped: SkippedSignatureLayer } {
  if (!SignetError.is(error) || !SKIPPABLE.has(error.code)) throw error;
  return { skipped: { layerDigest: layer.digest, code: error.code, reason: error.message } };
}

async function fetchSignatureLayer(repository: Repository, layer: Descriptor, known: { bytes: Buffer; digest: Digest } | undefined): Promise<UntrustedCosignSignature> {
  if (layer.size > LIMITS.signatureLayerBytes) {
    throw new SignetError("SIZE_LIMIT_EXCEEDED", `signature layer ${layer.digest} declares ${layer.size} bytes; at most ${LIMITS.signatureLayerBytes} are accepted`, {
      details: { digest: layer.digest, size: layer.size, limit: LIMITS.signatureLayerBytes },
    });
  }
  // The bytes whose sha256 is the layer digest are the layer's content, whether fetched or already known.
  const untrustedPayload = known !== undefined && layer.digest === known.digest && layer.size === known.bytes.length ? known.bytes : await repository.getBlob(layer.digest, LIMITS.signatureLayerBytes);
  const untrustedAnnotations = layer.annotations ?? {};
  return {
    layerDigest: layer.digest,
    mediaType: layer.mediaType,
    untrustedPayload,
    untrustedSignatureBase64: untrustedAnnotations[CosignAnnotation.signature],
    untrustedAnnotations,
  };
}

/**
 * The error that says nothing verified, with the skipped layers added (message and details), so that a lookup that
 * found only bad layers says so instead of just "no signatures".
 */
export function withSkippedLayers(error: SignetError, skipped: readonly SkippedSignatureLayer[]): SignetError {
  if (skipped.length === 0) return error;
  const first = skipped[0]!;
  const message = `${error.message}; ${skipped.length} signature layer${skipped.length === 1 ? " was" : "s were"} skipped (${first.layerDigest}: ${first.reason}${skipped.length > 1 ? ", …" : ""})`;
  return new SignetError(error.code, message, { hint: error.hint, details: { ...error.details, skipped }, cause: error });
}
