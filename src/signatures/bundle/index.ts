export { bindArtifact, IN_TOTO_PAYLOAD_TYPE } from "./artifact-binding.js";
export { certificateIdentityOf, type CertificateIdentity, type FulcioExtensions, type SubjectAlternativeName } from "./certificate-identity.js";
export { COSIGN_LEGACY_MEDIA_TYPE, parseRekorBundle, parseRfc3161Annotation, verifyCosignKeylessLayer, type UntrustedCosignLayer, type VerifyCosignLayerOptions } from "./cosign-keyless-layer.js";
export { compileIdentityPolicy, matchIdentity, signerSubjectOf, type CompiledIdentityPolicy } from "./identity-match.js";
export { BUNDLE_MEDIA_TYPES, parseBundle, type BundleVersion, type UntrustedBundle } from "./parse-bundle.js";
export type { IdentityPolicy, KeyPolicy, SignerPolicy } from "./policy.js";
export { preAuthEncoding, type ArtifactInput } from "./signed-content.js";
export type { VerifiedBundle, VerifiedSigner, VerifiedTimestamp, VerifiedTlogEntry } from "./verified-bundle.js";
export { verifyParsedBundle, verifySigstoreBundle, type VerifyBundleOptions } from "./verify-bundle.js";
