import { SignetError } from "../../errors/index.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import type { Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import type { Repository } from "../../oci/repository.js";
import { CosignAnnotation, parseSignatureManifestLayers } from "../cosign/signature-manifest.js";
import { attachmentTag } from "../cosign/tags.js";
import type { UntrustedCosignSignature } from "../verifier/records.js";

/** The layer media type of cosign's legacy attestations (one DSSE envelope per layer of the `.att` tag). */
export const DSSE_LAYER_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json";
/** The layer annotation cosign writes with the predicate type (a hint; the signed statement decides). */
export const PREDICATE_TYPE_ANNOTATION = "predicateType";

/** Attestations examined per image: cosign's limit on layers of an attachment. */
export const MAX_ATTESTATIONS = LIMITS.signatureLayers;

export interface DiscoveredAttestations {
  readonly tag: string;
  readonly layers: UntrustedCosignSignature[];
}

/**
 * Fetches the layers of an image's legacy `.att` tag: one manifest request, then one blob request per layer
 * (concurrently), each size and the count bounded before anything is downloaded.
 */
export async function discoverLegacyAttestations(repository: Repository, imageDigest: Digest): Promise<DiscoveredAttestations> {
  const tag = attachmentTag(imageDigest, "att");
  const manifest = await repository.tryGetManifest(tag);
  if (manifest === undefined) return { tag, layers: [] };
  const descriptors = parseSignatureManifestLayers(manifest.bytes);
  if (descriptors.length > MAX_ATTESTATIONS) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `${repository.displayName}:${tag} holds ${descriptors.length} attestations; at most ${MAX_ATTESTATIONS} are examined`);
  }
  const layers = await mapConcurrently(descriptors, 8, async (layer): Promise<UntrustedCosignSignature> => {
    if (layer.size > LIMITS.signatureLayerBytes) {
      throw new SignetError("SIZE_LIMIT_EXCEEDED", `attestation layer ${layer.digest} declares ${layer.size} bytes; at most ${LIMITS.signatureLayerBytes} are accepted`, {
        details: { digest: layer.digest, size: layer.size, limit: LIMITS.signatureLayerBytes },
      });
    }
    const untrustedPayload = await repository.getBlob(layer.digest, LIMITS.signatureLayerBytes);
    const untrustedAnnotations = layer.annotations ?? {};
    return { layerDigest: layer.digest, mediaType: layer.mediaType, untrustedPayload, untrustedSignatureBase64: untrustedAnnotations[CosignAnnotation.signature], untrustedAnnotations };
  });
  return { tag, layers };
}
