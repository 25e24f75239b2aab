/**
 * cosign 2.5's OCI 1.1 referrer signatures (`sign --registry-referrers-mode=oci-1-1` without
 * `--new-bundle-format`, COSIGN_EXPERIMENTAL=1): each signature made by the one signer (sign-image.ts, with
 * `upload: false`) is stored as its own referrer manifest of the image, as cosign writes it: the `.sig` image's
 * config (media type `application/vnd.dev.cosign.artifact.sig.v1+json`), one simple-signing layer with the `.sig`
 * layer's annotations, the image as subject, no artifactType field (listings take the config's media type), and
 * no `.sig` tag. discover-referrer-signatures.ts reads them back.
 */
import { SignetError } from "../../errors/index.js";
import { sha256Digest, type Digest } from "../../internal/digest.js";
import { MediaType } from "../../oci/manifest/media-types.js";
import { pushReferrer, type PushedReferrer } from "../../oci/referrers/index.js";
import type { Repository } from "../../oci/repository.js";
import { COSIGN_SIGNATURE_ARTIFACT_TYPE } from "./discover-referrer-signatures.js";
import type { SignedManifest } from "./sign-image.js";
import { buildSignatureImage, CosignAnnotation } from "./signature-manifest.js";

export interface SignatureReferrer {
  readonly digest: Digest;
  readonly referrer: PushedReferrer;
}

/** Stores each signature (made with `upload: false`) as a referrer of the manifest it signs, in `repository`. */
export async function pushSignatureReferrers(repository: Repository, signed: readonly SignedManifest[]): Promise<SignatureReferrer[]> {
  const pushed: SignatureReferrer[] = [];
  for (const one of signed) {
    const subject = await repository.tryGetManifest(one.digest);
    if (subject === undefined) throw new SignetError("REGISTRY_NOT_FOUND", `${repository.displayName}@${one.digest} does not exist`, { details: { digest: one.digest } });
    const annotations = { [CosignAnnotation.signature]: one.signature.toString("base64"), ...one.layerAnnotations };
    const layer = { mediaType: MediaType.CosignSimpleSigning, size: one.payload.length, digest: sha256Digest(one.payload), annotations };
    const image = buildSignatureImage([layer]);
    const referrer = await pushReferrer(repository, {
      config: { mediaType: COSIGN_SIGNATURE_ARTIFACT_TYPE, bytes: image.configBytes },
      subject: { mediaType: subject.mediaType, digest: one.digest, size: subject.bytes.length },
      layers: [{ bytes: one.payload, mediaType: MediaType.CosignSimpleSigning, annotations }],
    });
    pushed.push({ digest: one.digest, referrer });
  }
  return pushed;
}
