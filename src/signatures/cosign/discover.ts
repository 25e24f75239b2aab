import { SignetError } from "../../errors/index.js";
import { sha256Digest, type Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import type { Descriptor } from "../../oci/manifest/descriptor.js";
import type { Repository } from "../../oci/repository.js";
import { createSimpleSigningPayload } from "../payload/simple-signing.js";
import { CosignAnnotation, parseSignatureManifestLayers } from "./signature-manifest.js";
import { attachmentTag } from "./tags.js";
import type { UntrustedCosignSignature } from "./verify.js";

export interface DiscoveredSignatures {
  /** The `.sig` tag looked up, e.g. sha256-<hex>.sig */
  tag: string;
  /** Digest of the signature manifest, when there is one. */
  manifestDigest: Digest | undefined;
  signatures: UntrustedCosignSignature[];
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
 * Fetches the signatures cosign attached to an image digest: one manifest request and one blob request per
 * signature layer (fetched concurrently), except a layer that holds the standard payload (see DiscoverOptions):
 * a verify of an image signed the usual way costs one request. Counts and sizes are bounded before anything is
 * downloaded. Nothing here is trusted: the signature is checked over the payload bytes later, either way.
 */
export async function discoverCosignSignatures(repository: Repository, imageDigest: Digest, options: DiscoverOptions = {}): Promise<DiscoveredSignatures> {
  const tag = attachmentTag(imageDigest, "sig");
  const manifest = await repository.tryGetManifest(tag);
  if (manifest === undefined) return { tag, manifestDigest: undefined, signatures: [] };
  const layers = parseSignatureManifestLayers(manifest.bytes);
  if (layers.length > LIMITS.signaturesPerImage) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `${repository.displayName}:${tag} holds ${layers.length} signatures; at most ${LIMITS.signaturesPerImage} are examined`, {
      details: { signatures: layers.length, limit: LIMITS.signaturesPerImage },
    });
  }
  const standard = options.identity === undefined ? undefined : createSimpleSigningPayload({ dockerReference: options.identity, manifestDigest: imageDigest });
  const known = standard === undefined ? undefined : { bytes: standard, digest: sha256Digest(standard) };
  const signatures = await mapConcurrently(layers, 8, (layer) => fetchSignatureLayer(repository, layer, known));
  return { tag, manifestDigest: manifest.digest, signatures };
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
