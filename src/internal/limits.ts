/**
 * Every size and count signet reads from a registry, a layout or a signature is bounded by one of these.
 * The values follow cosign's where cosign has one.
 */
export const LIMITS = {
  /** Manifests and indexes (the distribution spec recommends registries accept at least 4 MiB). */
  manifestBytes: 4 * 1024 * 1024,
  /** A signature layer (simple-signing payload) or a config blob of a signature image. */
  signatureLayerBytes: 1024 * 1024,
  configBytes: 4 * 1024 * 1024,
  /** Layers in one signature manifest (cosign: 1,000 layers). */
  signatureLayers: 1000,
  /** Signatures examined per image (cosign: 100). */
  signaturesPerImage: 100,
  /** Manifests in one index. */
  indexManifests: 10_000,
  /** Error bodies, token responses, tag-list pages. */
  errorBodyBytes: 64 * 1024,
  tokenResponseBytes: 1024 * 1024,
  tagListPageBytes: 4 * 1024 * 1024,
  tagListPages: 1000,
  redirects: 5,
} as const;

/** Blobs copied by `signet copy` are held in memory; layers above this size are refused. */
export const COPY_BLOB_LIMIT_BYTES = 2 * 1024 * 1024 * 1024 - 1;
