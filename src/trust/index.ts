export { verifyCertificateChainAt, type VerifiedChain, type VerifyChainOptions } from "./certificate-chain.js";
export { trustMaterialFromCertificateAuthorities, trustMaterialFromKeys, type CertificateAuthoritiesInput, type TrustKeysInput } from "./keys-trust-material.js";
export { verifyLogSignature } from "./log-signature.js";
export { keyIdOf, parseTrustedRoot, TRUSTED_ROOT_MEDIA_TYPES } from "./parse-trusted-root.js";
export { embeddedScts, SctError, verifyEmbeddedScts, type EmbeddedSct } from "./sct.js";
export { verifyRfc3161Timestamp, type VerifiedTsaTimestamp } from "./timestamp-authority.js";
export {
  BEGINNING_OF_TIME,
  END_OF_TIME,
  isWithinPeriod,
  type CertificateAuthority,
  type LogAuthority,
  type TrustMaterial,
  type ValidityPeriod,
} from "./trust-material.js";
export {
  cachedTrustedRootPath,
  createTrustedRootLoader,
  defaultTufCacheDir,
  embeddedTrustDir,
  loadTrustedRoot,
  type LoadTrustedRootOptions,
  type TrustedRootLoader,
} from "./trusted-root.js";
export { Certificate, CertificateError, type CertificateExtension } from "./x509.js";
