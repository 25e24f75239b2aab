/**
 * SM2 signatures with SM3 and the standard distinguishing ID `1234567812345678` (GB/T 32918, GM/T 0009), as
 * `openssl pkeyutl -rawin -digest sm3 -pkeyopt distid:1234567812345678` and swr-cosign's KMS keys make them.
 * Node's crypto reads SM2 keys but signs with an empty ID, so the arithmetic is sm-crypto's (pure JavaScript);
 * the keys stay Node KeyObjects, taken apart here to the raw scalar and point sm-crypto needs.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { createRequire } from "node:module";
import type * as SmCryptoModule from "sm-crypto";
import { SignetError } from "../errors/index.js";
import { childrenOf, contentOf, DerError, expectTag, readRoot, TAG } from "../internal/der.js";

// sm-crypto (CommonJS, 15 files) is loaded the first time an SM2 key signs or verifies, not at every start-up:
// a verify with another key type never pays for it.
type SmCrypto = typeof SmCryptoModule;
let smCrypto: SmCrypto | undefined;
function sm2Module(): SmCrypto["sm2"] {
  smCrypto ??= createRequire(import.meta.url)("sm-crypto") as SmCrypto;
  return smCrypto.sm2;
}

/** The SM2 curve's OID (1.2.156.10197.1.301) as DER content bytes. */
const SM2_CURVE_OID = Buffer.from("2a811ccf5501822d", "hex");
export const SM2_DEFAULT_ID = "1234567812345678";

function spkiOf(key: KeyObject): Buffer {
  return (key.type === "private" ? createPublicKey(key) : key).export({ type: "spki", format: "der" });
}

/** Whether `key` is on the SM2 curve (Node reports no asymmetricKeyType for such keys). */
export function isSm2Key(key: KeyObject): boolean {
  if (key.asymmetricKeyType !== undefined) return false;
  try {
    const spki = spkiOf(key);
    const [algorithm] = childrenOf(spki, readRoot(spki));
    const [, curve] = childrenOf(spki, expectTag(algorithm, TAG.SEQUENCE, "algorithm"));
    return curve?.tag === TAG.OID && contentOf(spki, curve).equals(SM2_CURVE_OID);
  } catch (error) {
    if (error instanceof DerError) return false;
    throw error;
  }
}

function readKey<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof DerError) throw new SignetError("KEY_INVALID", `the SM2 key could not be read: ${error.message}`);
    throw error;
  }
}

/** The uncompressed public point, hex ("04" || x || y), as sm-crypto takes it. */
function publicPointHex(key: KeyObject): string {
  return readKey(() => {
    const spki = spkiOf(key);
    const [, bits] = childrenOf(spki, readRoot(spki));
    return contentOf(spki, expectTag(bits, TAG.BIT_STRING, "subjectPublicKey")).subarray(1).toString("hex");
  });
}

/** The private scalar, hex, from the PKCS#8 ECPrivateKey. */
function privateScalarHex(key: KeyObject): string {
  return readKey(() => {
    const pkcs8 = key.export({ type: "pkcs8", format: "der" });
    const [, , octets] = childrenOf(pkcs8, readRoot(pkcs8));
    const ecPrivateKey = contentOf(pkcs8, expectTag(octets, TAG.OCTET_STRING, "privateKey"));
    const [, scalar] = childrenOf(ecPrivateKey, readRoot(ecPrivateKey));
    return contentOf(ecPrivateKey, expectTag(scalar, TAG.OCTET_STRING, "ECPrivateKey.privateKey")).toString("hex").padStart(64, "0");
  });
}

/** A DER-encoded SM2 signature over `data` (SM3 of Z || data, Z from the distinguishing ID). */
export function signSm2(privateKey: KeyObject, data: Uint8Array, id = SM2_DEFAULT_ID): Buffer {
  const signature = sm2Module().doSignature(Array.from(data), privateScalarHex(privateKey), { hash: true, der: true, userId: id, publicKey: publicPointHex(privateKey) });
  return Buffer.from(signature, "hex");
}

/** Whether `signature` (DER) is an SM2 signature of `data` by `publicKey`; never throws for a bad signature. */
export function verifySm2(publicKey: KeyObject, data: Uint8Array, signature: Uint8Array, id = SM2_DEFAULT_ID): boolean {
  try {
    return sm2Module().doVerifySignature(Array.from(data), Buffer.from(signature).toString("hex"), publicPointHex(publicKey), { hash: true, der: true, userId: id });
  } catch {
    return false;
  }
}
