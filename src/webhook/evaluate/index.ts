export { ATTESTATIONS_UNAVAILABLE, KEYLESS_UNAVAILABLE } from "./authorities.js";
export { evaluateImage } from "./evaluate-image.js";
export { pinnedImageText, resolveImageDigest } from "./pin.js";
export { evaluatePolicyJson, POLICY_JSON_NAME } from "./policy-json.js";
export type {
  AttestationVerificationRequest,
  AttestationVerifier,
  AuthorityVerdict,
  EvaluateImageDeps,
  ImageVerdict,
  KeylessVerificationRequest,
  KeylessVerificationResult,
  KeylessVerifier,
  NoMatchAction,
  PolicyVerdict,
} from "./types.js";
