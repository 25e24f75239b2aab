export { ATOMIC_SIGNATURE_TYPE, createAtomicPayload, parseAtomicPayload, type AtomicPayload } from "./payload.js";
export {
  GpgKeyring,
  MAX_GPG_SIGNATURE_BYTES,
  loadGpgPrivateKey,
  parseGpgKeyring,
  parseGpgPrivateKey,
  signAtomicPayload,
  verifyGpgSignature,
  type GpgRejectionReason,
  type GpgSigningKey,
  type GpgVerification,
  type GpgVerifyOptions,
} from "./gpg.js";
export {
  LOOKASIDE_SIGNATURE_MAX_BYTES,
  lookasideSignatureUrl,
  readLookasideSignatures,
  writeLookasideSignature,
  type ReadLookasideOptions,
  type WriteLookasideOptions,
} from "./lookaside.js";
export { signImageWithGpg, signImagesWithGpg, type GpgSignImageOptions, type GpgSignImageResult } from "./sign-image.js";
