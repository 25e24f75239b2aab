import type { KeyObject } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { isSm2Key } from "./sm2.js";

/** The key types cosign signs and verifies with, and SM2 (swr-cosign's KMS keys). */
export type KeyAlgorithm = "ecdsa-p256" | "ecdsa-p384" | "ecdsa-p521" | "ed25519" | "rsa" | "rsa-pss" | "sm2";

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ["ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "ed25519", "rsa", "rsa-pss", "sm2"];

/** Smaller RSA moduli are breakable or nearly so; cosign (sigstore's ValidatePubKey) refuses them too. */
export const RSA_MIN_BITS = 2048;
/** Bounds the work one verification can cost; Go's crypto/rsa refuses larger keys as well. */
export const RSA_MAX_BITS = 16384;

const CURVES: Readonly<Record<string, KeyAlgorithm>> = {
  prime256v1: "ecdsa-p256",
  secp384r1: "ecdsa-p384",
  secp521r1: "ecdsa-p521",
};

export function isKeyAlgorithm(value: string): value is KeyAlgorithm {
  return (KEY_ALGORITHMS as readonly string[]).includes(value);
}

/**
 * The algorithm of a public or private key, or KEY_UNSUPPORTED for anything cosign does not sign with
 * (secp256k1, Ed448, X25519, DSA, RSA-PSS-only keys, RSA under 2048 bits…).
 */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === undefined && isSm2Key(key)) return "sm2";
  if (type === "ed25519") return "ed25519";
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? "unknown";
    const algorithm = CURVES[curve];
    if (!algorithm) {
      throw new SignetError("KEY_UNSUPPORTED", `ECDSA curve ${curve} is not supported`, { details: { curve } });
    }
    return algorithm;
  }
  if (type === "rsa" || type === "rsa-pss") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
      throw new SignetError("KEY_UNSUPPORTED", `RSA key of ${bits} bits is not supported (${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits are)`, {
        details: { bits },
      });
    }
    // An RSASSA-PSS key (its SPKI says id-RSASSA-PSS) may only make PSS signatures.
    return type === "rsa" ? "rsa" : "rsa-pss";
  }
  throw new SignetError("KEY_UNSUPPORTED", `${type ?? "unknown"} keys are not supported`, { details: { keyType: type } });
}
