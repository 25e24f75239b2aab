/** How sigstore bundles are stored as OCI referrers (cosign specs/BUNDLE_SPEC.md). */
export const SIGSTORE_BUNDLE_ARTIFACT_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

export const BundleAnnotation = {
  /** "message-signature" or "dsse-envelope". */
  content: "dev.sigstore.bundle.content",
  /** The in-toto predicate type of a DSSE bundle. */
  predicateType: "dev.sigstore.bundle.predicateType",
  created: "org.opencontainers.image.created",
} as const;

export type BundleContent = "message-signature" | "dsse-envelope";

/** Every bundle media type: v0.3's `application/vnd.dev.sigstore.bundle.v0.3+json` and the older `…bundle+json;version=0.x`. */
export function isSigstoreBundleMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && mediaType.startsWith("application/vnd.dev.sigstore.bundle");
}
