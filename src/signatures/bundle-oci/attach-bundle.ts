import type { Descriptor } from "../../oci/manifest/descriptor.js";
import { pushReferrer, type PushedReferrer } from "../../oci/referrers/index.js";
import type { Repository } from "../../oci/repository.js";
import { BundleAnnotation, SIGSTORE_BUNDLE_ARTIFACT_TYPE, type BundleContent } from "./media-types.js";

export interface AttachBundleOptions {
  readonly content: BundleContent;
  /** For a DSSE bundle: the statement's predicate type. */
  readonly predicateType?: string;
  /** org.opencontainers.image.created; default now. */
  readonly created?: Date;
}

/**
 * Attaches a v0.3 sigstore bundle to an image as cosign does: an artifact manifest of type
 * `application/vnd.dev.sigstore.bundle.v0.3+json` whose one layer is the bundle JSON and whose subject is the image.
 */
export async function attachSigstoreBundle(repository: Repository, subject: Descriptor, bundleJson: Buffer, options: AttachBundleOptions): Promise<PushedReferrer> {
  const annotations: Record<string, string> = {
    [BundleAnnotation.content]: options.content,
    [BundleAnnotation.created]: (options.created ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
  if (options.predicateType !== undefined) annotations[BundleAnnotation.predicateType] = options.predicateType;
  return pushReferrer(repository, {
    artifactType: SIGSTORE_BUNDLE_ARTIFACT_TYPE,
    subject,
    layers: [{ bytes: bundleJson, mediaType: SIGSTORE_BUNDLE_ARTIFACT_TYPE }],
    annotations,
  });
}
