/**
 * GPG ("simple signing") for container images, as containers/image does it with gpgme, in OpenPGP.js and
 * Node's crypto: never by running gpg.
 */
export { GpgKeyring, parseGpgKeyring } from "./gpg-keyring.js";
export { MAX_GPG_SIGNATURE_BYTES, verifyGpgDetachedSignature, verifyGpgSignature, type GpgRejectionReason, type GpgVerification, type GpgVerifyOptions } from "./gpg-verify.js";
export { loadGpgPrivateKey, parseGpgPrivateKey, signAtomicPayload, signDetachedArmored, type GpgSigningKey } from "./gpg-sign.js";
