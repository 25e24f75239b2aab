// The public API of signet. Named exports only; test/unit/index.test.ts pins this list.
export {
  createImageVerifier,
  sign,
  verify,
  type ApiAccessOptions,
  type ImageVerifier,
  type ImageVerifierOptions,
  type KeylessIdentity,
  type SignOptions,
  type VerifyOptions,
} from "./api.js";
export { SignetError, ERROR_CATALOG, type ErrorCode, type ErrorCategory } from "./errors/index.js";
export { ImageAccess, type ImageAccessOptions, type ResolvedImage } from "./oci/image-access.js";
export { parseImageReference, parseImageLocation, formatImageReference, type ImageReference, type ImageLocation } from "./oci/reference/index.js";
export {
  generateSigningKey,
  encryptPrivateKey,
  decryptPrivateKey,
  loadPublicKey,
  loadPrivateKey,
  loadSigner,
  parseKeyReference,
  publicKeyToPem,
  signWithKey,
  verifyWithKey,
  type SigningKey,
  type Signer,
  type KeyReference,
  type KeyAlgorithm,
} from "./keys/index.js";
export { createSimpleSigningPayload, parseSimpleSigningPayload, type SimpleSigningPayload } from "./signatures/payload/simple-signing.js";
export {
  verifyImage,
  verifySignatureRecords,
  type ImageVerificationResult,
  type SignatureRejection,
  type SignatureRequirement,
  type SignatureVerification,
  type UntrustedCosignSignature,
  type UntrustedSignatureRecord,
  type VerifiedSignature,
} from "./signatures/verifier/index.js";
export { signImage, type SignImageResult } from "./signatures/cosign/sign-image.js";
export { signBlob, verifyBlobSignature, decodeBlobSignature } from "./signatures/blob/blob-signature.js";
export { parsePolicy, compilePolicy, evaluatePolicy, createPolicyFetchers, createLocationReader, formatDecisionText, lintPolicy, type PolicyDecision, type CompiledPolicy, type PolicySemantics } from "./policy/index.js";
export { loadTrustedRoot, trustMaterialFromKeys } from "./trust/index.js";
export { verifySigstoreBundle } from "./signatures/bundle/index.js";
