import { constants, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { keyAlgorithmOf, type KeyAlgorithm } from "./key-algorithm.js";

import { signSm2, verifySm2 } from "./sm2.js";

/*
 * Which hash cosign uses with a key (checked in cosign's source and against the cosign 2.5 binary):
 *
 * - Signing, cosign <= 2.5: `cosign.LoadPrivateKey` loads ECDSA keys of every curve with SHA-256, RSA with
 *   PKCS#1 v1.5 + SHA-256, Ed25519 pure. A P-384 or P-521 `cosign sign-blob` signature verifies with SHA-256
 *   only. Since 2.6 cosign loads keys with `LoadDefaultSignerVerifier`, which picks the curve's hash (P-384:
 *   SHA-384, P-521: SHA-512), and Ed25519ph when the signature goes to a transparency log (pure Ed25519
 *   otherwise, "for backwards compatibility").
 * - Verifying, every cosign version: `signature.LoadVerifier(publicKey, hash)` with hash = the
 *   `--signature-digest-algorithm` flag, default SHA-256, whatever the curve; Ed25519 pure.
 *
 * So signet signs ECDSA with SHA-256 on every curve (what every cosign verifies by default) and verifies
 * SHA-256 first, then the curve's own hash so that P-384/P-521 signatures from cosign >= 2.6 verify too.
 * Accepting either hash gives a forger nothing: each is a full signature check over the exact data.
 * signet never uploads to a log, so Ed25519 is always pure.
 *
 * RSASSA-PSS keys sign PSS with SHA-256 and a 32-byte salt, and verify any salt length (Go's PSSSaltLengthAuto).
 * SM2 keys sign SM2-with-SM3 with the standard distinguishing ID 1234567812345678 (sm2.ts), as openssl and
 * swr-cosign's KMS do.
 */
const SIGNING_HASH = "sha256";
const EXTRA_VERIFY_HASH: Partial<Record<KeyAlgorithm, string>> = { "ecdsa-p384": "sha384", "ecdsa-p521": "sha512" };

/** Signs `data` the way cosign does with this key: ECDSA (DER signature) or RSA PKCS#1 v1.5 over SHA-256; Ed25519 pure. */
export function signWithKey(key: { readonly privateKey: KeyObject; readonly algorithm: KeyAlgorithm }, data: Uint8Array): Buffer {
  switch (key.algorithm) {
    case "ed25519":
      return sign(null, data, key.privateKey);
    case "rsa":
      return sign(SIGNING_HASH, data, { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING });
    case "rsa-pss":
      return sign(SIGNING_HASH, data, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    case "sm2":
      return signSm2(key.privateKey, data);
    default:
      return sign(SIGNING_HASH, data, { key: key.privateKey, dsaEncoding: "der" });
  }
}

/**
 * True when `signature` is a valid signature of `data` by `publicKey`, as cosign would check it (see above).
 * Never throws for a bad or malformed signature; throws KEY_UNSUPPORTED for a key cosign does not use.
 */
export function verifyWithKey(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const key = publicKey.type === "private" ? createPublicKey(publicKey) : publicKey;
  const algorithm = keyAlgorithmOf(key);
  if (algorithm === "ed25519") return verifyQuietly(null, data, key, signature);
  if (algorithm === "sm2") return verifySm2(key, data, signature);
  // Go's rsa.VerifyPSS with PSSSaltLengthAuto: any salt length the signer chose.
  if (algorithm === "rsa-pss") return verifyQuietly(SIGNING_HASH, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
  if (algorithm === "rsa") return verifyQuietly(SIGNING_HASH, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  if (verifyQuietly(SIGNING_HASH, data, { key, dsaEncoding: "der" }, signature)) return true;
  const extraHash = EXTRA_VERIFY_HASH[algorithm];
  return extraHash !== undefined && verifyQuietly(extraHash, data, { key, dsaEncoding: "der" }, signature);
}

function verifyQuietly(hash: string | null, data: Uint8Array, key: Parameters<typeof verify>[2], signature: Uint8Array): boolean {
  try {
    return verify(hash, data, key, signature);
  } catch {
    // OpenSSL throws for some malformed signatures (e.g. bad DER) instead of returning false.
    return false;
  }
}
