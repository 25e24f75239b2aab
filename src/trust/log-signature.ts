/**
 * Verifies a signature made by a log (Rekor SET, checkpoint) or CT log key, with the hash its key type implies.
 */
import { verify, type KeyObject } from "node:crypto";

export function verifyLogSignature(data: Uint8Array, publicKey: KeyObject, signature: Uint8Array): boolean {
  try {
    return verify(hashFor(publicKey), data, publicKey, signature);
  } catch {
    return false;
  }
}

function hashFor(publicKey: KeyObject): string | null {
  switch (publicKey.asymmetricKeyType) {
    case "ed25519":
    case "ed448":
      return null;
    case "ec":
      switch (publicKey.asymmetricKeyDetails?.namedCurve) {
        case "secp384r1":
          return "sha384";
        case "secp521r1":
          return "sha512";
        default:
          return "sha256";
      }
    default:
      return "sha256";
  }
}
