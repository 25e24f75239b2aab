import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { childrenOf, DerError, encodedOf, encodeElement, readRoot, TAG, contentOf } from "../internal/der.js";

const ZERO_VERSION = Buffer.from([TAG.INTEGER, 0x01, 0x00]);

/**
 * Parses PKCS#8 DER. Keys written by some sigstore tools (sigstore-rs, ring) are RFC 5958 "version 2" with the
 * public key appended as `[1]`; Go (and so cosign) reads them, OpenSSL 3.0 does not. Such a key is rewritten as
 * version 1 without the public key, and the public key it carried must match the one derived from the private key.
 * KEY_INVALID (naming `what`) when the bytes are no PKCS#8 key.
 */
export function createPrivateKeyFromPkcs8(der: Buffer, what: string): KeyObject {
  // A version 2 key's public key is checked whichever OpenSSL loads it: 3.0 refuses v2 (so it is rewritten as
  // v1), 3.5 reads it but does not check that the public key belongs to the private key.
  const version2 = splitVersion2(der);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  } catch (error) {
    if (!version2) throw new SignetError("KEY_INVALID", `${what} is not a valid PKCS#8 private key`, { cause: error });
    try {
      key = createPrivateKey({ key: version2.version1, format: "der", type: "pkcs8" });
    } catch (retryError) {
      throw new SignetError("KEY_INVALID", `${what} is not a valid PKCS#8 private key`, { cause: retryError });
    }
  }
  if (version2 !== undefined && key.asymmetricKeyType === "ed25519" && !version2.publicKey.equals(ed25519PublicBytes(key))) {
    throw new SignetError("KEY_INVALID", `${what} carries a public key that does not belong to its private key`);
  }
  return key;
}

/** Splits OneAsymmetricKey v2 into a v1 encoding and the public key bits; undefined if it is not that shape. */
function splitVersion2(der: Buffer): { version1: Buffer; publicKey: Buffer } | undefined {
  try {
    const outer = readRoot(der);
    if (outer.tag !== TAG.SEQUENCE) return undefined;
    const parts = childrenOf(der, outer);
    if (parts.length < 4 || parts.length > 5) return undefined;
    const version = parts[0]!;
    const algorithm = parts[1]!;
    const privateKey = parts[2]!;
    const attributes = parts.length === 5 ? parts[3] : undefined;
    const publicKey = parts[parts.length - 1]!;
    const versionContent = contentOf(der, version);
    const isVersion = version.tag === TAG.INTEGER && versionContent.length === 1 && versionContent[0]! <= 1;
    if (!isVersion || algorithm.tag !== TAG.SEQUENCE || privateKey.tag !== TAG.OCTET_STRING) return undefined;
    if (attributes && attributes.tag !== TAG.CONTEXT_CONSTRUCTED_0) return undefined;
    // [1] IMPLICIT BIT STRING: first content byte counts unused bits, which must be 0 for a key.
    const publicKeyContent = contentOf(der, publicKey);
    if (publicKey.tag !== TAG.CONTEXT_PRIMITIVE_1 || publicKeyContent[0] !== 0) return undefined;
    const body = [ZERO_VERSION, encodedOf(der, algorithm), encodedOf(der, privateKey), ...(attributes ? [encodedOf(der, attributes)] : [])];
    return { version1: encodeElement(TAG.SEQUENCE, Buffer.concat(body)), publicKey: publicKeyContent.subarray(1) };
  } catch (error) {
    if (error instanceof DerError) return undefined;
    throw error;
  }
}

function ed25519PublicBytes(privateKey: KeyObject): Buffer {
  // An Ed25519 SPKI is a fixed 12-byte prefix followed by the 32-byte key.
  return createPublicKey(privateKey).export({ type: "spki", format: "der" }).subarray(-32);
}
