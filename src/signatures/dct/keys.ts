/**
 * Notary's public keys and signature methods (notary tuf/data/keys.go, tuf/signed/verifiers.go). A key is
 * `{"keytype": T, "keyval": {"public": base64, "private": null}}`; its ID is the hex sha256 of that object's
 * canonical JSON with `private` null. Key types: `ecdsa` and `rsa` (PKIX DER), `ecdsa-x509` and `rsa-x509` (a PEM
 * certificate, the root keys), `ed25519` (32 raw bytes). The signature method picks the verifier, which then
 * insists on a matching key type: `ecdsa` (sha256; a DER signature when the bytes parse as one, else Notary's own
 * raw r||s of twice the curve size), `eddsa`, `rsapss` (sha256, salt 32) and `rsapkcs1v15` (sha256), RSA keys of
 * 2048 bits or more. Other methods verify nothing.
 */
import { constants, createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import { decodeBase64Strict } from "../../internal/base64.js";
import { isRecord } from "../../internal/strict-json.js";
import { childrenOf, contentOf, DerError, expectTag, readElement, TAG } from "../../internal/der.js";
import { decodePemBlocks, pemBlockBytes } from "../../keys/pem.js";
import { Certificate, CertificateError } from "../../trust/x509.js";
import { notaryCanonicalJson } from "./canonical-json.js";

export const NOTARY_KEY_TYPES = ["ecdsa", "ecdsa-x509", "rsa", "rsa-x509", "ed25519"] as const;
export type NotaryKeyType = (typeof NOTARY_KEY_TYPES)[number];

export interface NotaryPublicKey {
  /** The ID computed from the key's content (never the one the metadata claims). */
  readonly id: string;
  readonly keyType: string;
  readonly publicBytes: Buffer;
}

const MIN_RSA_BITS = 2048;

/** The key ID Notary computes: sha256 of {"keytype":T,"keyval":{"private":null,"public":B64}}. */
export function notaryKeyId(keyType: string, publicBytes: Buffer): string {
  const canonical = notaryCanonicalJson({ keytype: keyType, keyval: { private: null, public: publicBytes.toString("base64") } });
  return createHash("sha256").update(canonical).digest("hex");
}

/** Reads one key of a metadata `keys` map; METADATA_INVALID names `where` when it is not a key. */
export function parseNotaryKey(untrusted: unknown, where: string): NotaryPublicKey {
  const invalid = (why: string) => new SignetError("DCT_METADATA_INVALID", `${where}: ${why}`);
  if (!isRecord(untrusted)) throw invalid("a key must be an object");
  const { keytype, keyval } = untrusted;
  if (typeof keytype !== "string") throw invalid('a key needs a string "keytype"');
  if (!isRecord(keyval)) throw invalid('a key needs a "keyval" object');
  if (keyval["private"] !== undefined && keyval["private"] !== null) throw invalid("metadata must not carry a private key");
  const publicText = keyval["public"];
  if (typeof publicText !== "string") throw invalid('a key needs a base64 "keyval.public"');
  const publicBytes = decodeBase64Strict(publicText);
  if (publicBytes === undefined) throw invalid('"keyval.public" is not base64');
  return { id: notaryKeyId(keytype, publicBytes), keyType: keytype, publicBytes };
}

/** The leaf certificate of an x509 key (the first PEM block, as Notary's verifiers read it); undefined otherwise. */
export function certificateOfKey(key: NotaryPublicKey): Certificate | undefined {
  if (key.keyType !== "ecdsa-x509" && key.keyType !== "rsa-x509") return undefined;
  try {
    const [first] = decodePemBlocks(key.publicBytes.toString("latin1"));
    if (first === undefined || first.label !== "CERTIFICATE") return undefined;
    return Certificate.parse(pemBlockBytes(first));
  } catch (error) {
    if (error instanceof CertificateError || SignetError.is(error)) return undefined;
    throw error;
  }
}

/** Every certificate of an x509 key's PEM bundle (root keys: a leaf and its intermediates); undefined when one is not. */
export function certificateBundleOfKey(key: NotaryPublicKey): Certificate[] | undefined {
  try {
    const blocks = decodePemBlocks(key.publicBytes.toString("latin1"));
    if (blocks.length === 0 || blocks.some((block) => block.label !== "CERTIFICATE")) return undefined;
    return blocks.map((block) => Certificate.parse(pemBlockBytes(block)));
  } catch (error) {
    if (error instanceof CertificateError || SignetError.is(error)) return undefined;
    throw error;
  }
}

function publicKeyObject(key: NotaryPublicKey, family: "ec" | "rsa"): KeyObject | undefined {
  try {
    if (key.keyType === `${family === "ec" ? "ecdsa" : "rsa"}-x509`) {
      const object = certificateOfKey(key)?.publicKey;
      return object?.asymmetricKeyType === family ? object : undefined;
    }
    if (key.keyType === (family === "ec" ? "ecdsa" : "rsa")) {
      const object = createPublicKey({ key: key.publicBytes, format: "der", type: "spki" });
      return object.asymmetricKeyType === family ? object : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

const CURVE_BYTES: Readonly<Record<string, number>> = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };

/** Whether `signature` by `key` over `message` verifies with `method`, exactly as Notary's verifiers decide. */
export function verifyNotarySignature(key: NotaryPublicKey, method: string, signature: Buffer, message: Buffer): boolean {
  switch (method) {
    case "eddsa": {
      if (key.keyType !== "ed25519" || key.publicBytes.length !== 32 || signature.length !== 64) return false;
      const object = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: key.publicBytes.toString("base64url") }, format: "jwk" });
      return quietly(() => verify(null, message, object, signature));
    }
    case "ecdsa": {
      const object = publicKeyObject(key, "ec");
      const size = object === undefined ? undefined : CURVE_BYTES[object.asymmetricKeyDetails?.namedCurve ?? ""];
      if (object === undefined || size === undefined) return false;
      const p1363 = ecdsaSignatureAsP1363(signature, size);
      return p1363 !== undefined && quietly(() => verify("sha256", message, { key: object, dsaEncoding: "ieee-p1363" }, p1363));
    }
    case "rsapss":
    case "rsapkcs1v15": {
      const object = publicKeyObject(key, "rsa");
      if (object === undefined || (object.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS || signature.length < MIN_RSA_BITS / 8) return false;
      const padding = method === "rsapss" ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : { padding: constants.RSA_PKCS1_PADDING };
      return quietly(() => verify("sha256", message, { key: object, ...padding }, signature));
    }
    default:
      return false;
  }
}

/**
 * Notary tries the bytes as an ASN.1 SEQUENCE of two INTEGERs first (Go's asn1.Unmarshal, trailing bytes
 * ignored); only when they are not one does it read its own raw r||s, which must be exactly twice the curve size.
 */
function ecdsaSignatureAsP1363(signature: Buffer, size: number): Buffer | undefined {
  const der = ecdsaDerIntegers(signature);
  // Go reads a negative INTEGER too, and ecdsa.Verify then fails: no fallback to raw r||s.
  if (der === "negative") return undefined;
  if (der !== undefined) {
    const [r, s] = der.map((value) => stripLeadingZeros(value));
    if (r!.length > size || s!.length > size) return undefined;
    return Buffer.concat([Buffer.alloc(size - r!.length), r!, Buffer.alloc(size - s!.length), s!]);
  }
  return signature.length === 2 * size ? signature : undefined;
}

function ecdsaDerIntegers(signature: Buffer): [Buffer, Buffer] | "negative" | undefined {
  try {
    const sequence = expectTag(readElement(signature, 0), TAG.SEQUENCE, "signature");
    const items = childrenOf(signature, sequence);
    if (items.length !== 2) return undefined;
    const [r, s] = items.map((item) => contentOf(signature, expectTag(item, TAG.INTEGER, "integer")));
    // Go's asn1 refuses empty and non-minimal integers (the bytes are then read as raw r||s).
    for (const value of [r!, s!]) {
      if (value.length === 0 || (value.length > 1 && ((value[0] === 0 && (value[1]! & 0x80) === 0) || (value[0] === 0xff && (value[1]! & 0x80) !== 0)))) return undefined;
    }
    return (r![0]! & 0x80) !== 0 || (s![0]! & 0x80) !== 0 ? "negative" : [r!, s!];
  } catch (error) {
    if (error instanceof DerError) return undefined;
    throw error;
  }
}

function stripLeadingZeros(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  return value.subarray(start);
}

function quietly(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
