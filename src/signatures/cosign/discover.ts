import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import type { Descriptor } from "../../oci/manifest/descriptor.js";
import type { Repository } from "../../oci/repository.js";
import { CosignAnnotation, parseSignatureManifestLayers } from "./signature-manifest.js";
import { attachmentTag } from "./tags.js";
import type { UntrustedCosignSignature } from "../verifier/records.js";

export interface DiscoveredSignatures {
  /** The `.sig` tag looked up, e.g. sha256-<hex>.sig */
  tag: string;
  /** Digest of the signature manifest, when there is one. */
  manifestDigest: Digest | undefined;
  signatures: UntrustedCosignSignature[];
}

/**
 * Fetches the signatures cosign attached to an image digest: one manifest request and one blob request per
 * signature layer (fetched concurrently). Counts and sizes are bounded before anything is downloaded.
 */
export async function discoverCosignSignatures(repository: Repository, imageDigest: Digest): Promise<DiscoveredSignatures> {
  const tag = attachmentTag(imageDigest, "sig");
  const manifest = await repository.tryGetManifest(tag);
  if (manifest === undefined) return { tag, manifestDigest: undefined, signatures: [] };
  const layers = parseSignatureManifestLayers(manifest.bytes);
  if (layers.length > LIMITS.signaturesPerImage) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `${repository.displayName}:${tag} holds ${layers.length} signatures; at most ${LIMITS.signaturesPerImage} are examined`, {
      details: { signatures: layers.length, limit: LIMITS.signaturesPerImage },
    });
  }
  const signatures = await mapConcurrently(layers, 8, (layer) => fetchSignatureLayer(repository, layer));
  return { tag, manifestDigest: manifest.digest, signatures };
}

async function fetchSignatureLayer(repository: Repository, layer: Descriptor): Promise<UntrustedCosignSignature> {
  if (layer.size > LIMITS.signatureLayerBytes) {
    throw new SignetError("SIZE_LIMIT_EXCEEDED", `signature layer ${layer.digest} declares ${layer.size} bytes; at most ${LIMITS.signatureLayerBytes} are accepted`, {
      details: { digest: layer.digest, size: layer.size, limit: LIMITS.signatureLayerBytes },
    });
  }
  const untrustedPayload = await repository.getBlob(layer.digest, LIMITS.signatureLayerBytes);
  const untrustedAnnotations = layer.annotations ?? {};
  return {
    layerDigest: layer.digest,
    mediaType: layer.mediaType,
    untrustedPayload,
    untrustedSignatureBase64: untrustedAnnotations[CosignAnnotation.signature],
    untrustedAnnotations,
  };
}
