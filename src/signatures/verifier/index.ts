export {
  identityRequirement,
  keyRequirement,
  type SignatureFormat,
  type SignatureRejection,
  type SignatureRequirement,
  type SignatureVerification,
  type SignedClaimsRule,
  type UntrustedCosignSignature,
  type UntrustedSignatureRecord,
  type VerifiedSignature,
  type VerifiedSigner,
  type NotationSigner,
} from "./records.js";
export { checkSignedDigest, verifySignatureRecord, type RecordVerdict } from "./verify-record.js";
export { explainNoSignature, mergeVerification, verifySignatureRecords, type RecordsVerification, type VerifyRecordsInput } from "./verify-records.js";
export { createRecordDiscovery, type FoundRecords, type RecordDiscovery } from "./discover-records.js";
export { requireVerified, verifyDigestSignatures, type DigestVerification, type SignatureFormats, type VerifyDigestInput } from "./verify-digest.js";
export { verifyImage, type DigestResult, type ImageVerificationResult, type VerifyImageOptions } from "./verify-image.js";
