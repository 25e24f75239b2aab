/**
 * Every size and count signet reads from the network (a registry, a lookaside server, Rekor, TUF, the Kubernetes
 * API, an OIDC endpoint, Redis), a layout or a signature is bounded by one of these, so the bounds are reviewed in
 * one place. The values follow cosign's where cosign has one. Files named on the command line have their own caps
 * where they are read.
 */
export const LIMITS = {
  /** Manifests and indexes (the distribution spec recommends registries accept at least 4 MiB). */
  manifestBytes: 4 * 1024 * 1024,
  /** A signature layer (simple-signing payload) or a config blob of a signature image. */
  signatureLayerBytes: 1024 * 1024,
  /** A --certificate file (sign, attest, attach signature) and a --certificate-chain file. */
  certificateFileBytes: 64 * 1024,
  certificateChainFileBytes: 256 * 1024,
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
  /** Descriptors in one referrers index (OCI 1.1 referrers API or tag schema). */
  referrers: 1000,
  /** Pages of a paginated referrers answer. */
  referrersPages: 20,
  /** `errors[]` entries read from a registry error body. */
  errorEntries: 10,
  /** Characters of one registry error message kept. */
  errorMessageLength: 500,
  /** A Link header (pagination). */
  linkHeaderLength: 8192,
  /** A WWW-Authenticate header, its challenges and their parameters. */
  wwwAuthenticateLength: 16 * 1024,
  wwwAuthenticateChallenges: 16,
  wwwAuthenticateParams: 32,
  /** Scopes a token challenge may ask for. */
  challengeScopes: 16,
  /** In one sigstore bundle: log entries, RFC 3161 timestamps, chain certificates, inclusion-proof hashes. */
  bundleTlogEntries: 32,
  bundleTimestamps: 32,
  bundleChainCertificates: 10,
  inclusionProofHashes: 64,
  /** Intermediate certificates taken from the signature (not the trust root) when building a chain. */
  untrustedIntermediates: 4,
  /** Signatures examined per DSSE envelope. */
  dsseSignatures: 16,
  /** Subjects examined per in-toto statement. */
  statementSubjects: 1024,
  /** OpenPGP packets in one signature, and the bytes of a GPG signature (registry, lookaside or file). */
  openpgpPackets: 64,
  gpgSignatureBytes: 4 * 1024 * 1024,
  /** One signature fetched from a lookaside (sigstore) server. */
  lookasideSignatureBytes: 4 * 1024 * 1024,
  /** One swr-cosign `{sha256}.asc` object (JSON of a base64 armored GPG signature and a base64 payload). */
  swrAscObjectBytes: 1024 * 1024,
  /** A Rekor checkpoint (signed note) and its signature lines. */
  checkpointBytes: 64 * 1024,
  checkpointSignatures: 100,
  /** A trusted_root.json (TUF target) and the authorities listed in it. */
  trustedRootBytes: 4 * 1024 * 1024,
  trustedRootEntries: 256,
  /** Kubernetes API answers: a Secret, a ServiceAccount. */
  kubernetesSecretBytes: 2 * 1024 * 1024,
  kubernetesServiceAccountBytes: 256 * 1024,
  /** An OIDC identity token (file or CI token endpoint). */
  identityTokenBytes: 64 * 1024,
  /** One verdict read back from Redis. */
  redisValueBytes: 256 * 1024,
  /**
   * Docker Content Trust (Notary v1): a timestamp (notary's MaxTimestampSize), a root fetched without a known
   * length, any other role (its length is also bounded by the one its parent lists), signatures per role, root
   * versions walked in one rotation, delegations per targets role.
   */
  notaryTimestampBytes: 1024 * 1024,
  notaryRootBytes: 4 * 1024 * 1024,
  notaryMetadataBytes: 32 * 1024 * 1024,
  notarySignatures: 64,
  notaryRootRotations: 64,
  notaryDelegations: 1000,
  /** One answer of a KMS (a public key, a signature, an error), read by signet or by a cloud SDK through signet's transport. */
  kmsResponseBytes: 1024 * 1024,
  /** Nesting of any JSON document read with the one reader (json-reader.ts). */
  jsonDepth: 128,
} as const;

/** Blobs copied by `signet copy` are held in memory; layers above this size are refused. */
export const COPY_BLOB_LIMIT_BYTES = 2 * 1024 * 1024 * 1024 - 1;
