import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import type { UntrustedSignaturePacket } from "./openpgp-signed-message.js";

/**
 * The cryptographic check of one OpenPGP data signature with Node's crypto. Which hashes and key types are
 * accepted is decided here, no looser than GnuPG 2.2: MD5 and RIPEMD-160 are refused (GnuPG refuses MD5),
 * DSA and ElGamal are refused, RSA keys need 2048 bits. SHA-1 data signatures are accepted because GnuPG
 * accepts them and real signatures use it (image-rs's test signature does).
 */

/** OpenPGP hash algorithm IDs (RFC 4880 §9.4) that verify, with Node's names. */
const HASHES: ReadonlyMap<number, string> = new Map([
  [2, "sha1"],
  [8, "sha256"],
  [9, "sha384"],
  [10, "sha512"],
  [11, "sha224"],
]);

export const MIN_RSA_BITS = 2047; // OpenPGP.js's bound: some of its old 2048-bit keys have 2047-bit moduli

/** A public key ready for Node's verify, with what the signature's algorithm must be. */
export interface NodePublicKey {
  readonly family: "rsa" | "ecdsa" | "eddsa";
  readonly key: KeyObject;
  /** Byte length of r and s (ECDSA, EdDSA). */
  readonly scalarBytes: number;
}

export class UnsupportedAlgorithmError extends Error {}

export function hashName(hashAlgorithm: number): string {
  const name = HASHES.get(hashAlgorithm);
  if (name === undefined) {
    const known: Record<number, string> = { 1: "MD5", 3: "RIPEMD-160", 12: "SHA3-256", 14: "SHA3-512" };
    throw new UnsupportedAlgorithmError(`hash algorithm ${known[hashAlgorithm] ?? hashAlgorithm} is not accepted`);
  }
  return name;
}

/** The bytes the signature covers, in order: the (canonicalised) data, then the packet's trailer. */
export function signedParts(signature: UntrustedSignaturePacket, data: Uint8Array): Uint8Array[] {
  if (signature.signatureType === 0x00) return [data, signature.hashTrailer];
  if (signature.signatureType === 0x01) return [canonicalText(data), signature.hashTrailer];
  throw new UnsupportedAlgorithmError(`signature type 0x${signature.signatureType.toString(16).padStart(2, "0")} is not a document signature`);
}

/** Checks the signature against one key. False when it does not verify; throws for algorithms that are not accepted. */
export function verifySignatureValues(signature: UntrustedSignaturePacket, data: Uint8Array, publicKey: NodePublicKey): boolean {
  const algorithm = hashName(signature.hashAlgorithm);
  if (familyOf(signature.publicKeyAlgorithm) !== publicKey.family) return false;
  const parts = signedParts(signature, data);
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  const digest = hash.digest();
  // Cheap reject first, as GnuPG does: the packet carries the digest's first two bytes.
  if (signature.leftHashBytes.length !== 2 || digest[0] !== signature.leftHashBytes[0] || digest[1] !== signature.leftHashBytes[1]) return false;

  switch (publicKey.family) {
    case "rsa": {
      const modulusBytes = Math.ceil((publicKey.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
      const value = signature.signatureValues[0]!;
      if (value.length > modulusBytes) return false;
      return verify(algorithm, Buffer.concat(parts), publicKey.key, leftPad(value, modulusBytes));
    }
    case "ecdsa": {
      const rs = rsBytes(signature, publicKey.scalarBytes);
      return rs !== undefined && verify(algorithm, Buffer.concat(parts), { key: publicKey.key, dsaEncoding: "ieee-p1363" }, rs);
    }
    case "eddsa": {
      // OpenPGP EdDSA signs the digest, not the data.
      const rs = signature.publicKeyAlgorithm === 27 ? signature.signatureValues[0] : rsBytes(signature, 32);
      return rs !== undefined && rs.length === 64 && verify(null, digest, publicKey.key, rs);
    }
  }
}

/**
 * Converts an OpenPGP public key's parameters (as OpenPGP.js parsed them) to a Node key, refusing what is
 * weak or unsupported. `algorithm` is the OpenPGP public-key algorithm ID.
 */
export function toNodePublicKey(algorithm: number, params: Record<string, unknown>): NodePublicKey {
  switch (algorithm) {
    case 1:
    case 3: {
      const n = stripLeadingZeros(bytes(params["n"]));
      const e = stripLeadingZeros(bytes(params["e"]));
      const bits = n.length === 0 ? 0 : (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
      if (bits < MIN_RSA_BITS) throw new UnsupportedAlgorithmError(`RSA key of ${bits} bits is too small (at least 2048 needed)`);
      const key = createPublicKey({ key: { kty: "RSA", n: base64url(n), e: base64url(e) }, format: "jwk" });
      return { family: "rsa", key, scalarBytes: 0 };
    }
    case 19: {
      const curve = curveOf(params["oid"]);
      const q = bytes(params["Q"]);
      const size = { nistP256: 32, nistP384: 48, nistP521: 66 }[curve as "nistP256"];
      const crv = { nistP256: "P-256", nistP384: "P-384", nistP521: "P-521" }[curve as "nistP256"];
      if (size === undefined || crv === undefined) throw new UnsupportedAlgorithmError(`ECDSA curve ${curve} is not supported`);
      if (q.length !== 1 + 2 * size || q[0] !== 0x04) throw new UnsupportedAlgorithmError("ECDSA public point is not in uncompressed form");
      const key = createPublicKey({
        key: { kty: "EC", crv, x: base64url(q.subarray(1, 1 + size)), y: base64url(q.subarray(1 + size)) },
        format: "jwk",
      });
      return { family: "ecdsa", key, scalarBytes: size };
    }
    case 22: {
      const curve = curveOf(params["oid"]);
      const q = bytes(params["Q"]);
      if (curve !== "ed25519Legacy") throw new UnsupportedAlgorithmError(`EdDSA curve ${curve} is not supported`);
      if (q.length !== 33 || q[0] !== 0x40) throw new UnsupportedAlgorithmError("EdDSA public key is not in native form");
      return { family: "eddsa", key: ed25519Key(q.subarray(1)), scalarBytes: 32 };
    }
    case 27: {
      const a = bytes(params["A"]);
      if (a.length !== 32) throw new UnsupportedAlgorithmError("Ed25519 public key has the wrong length");
      return { family: "eddsa", key: ed25519Key(a), scalarBytes: 32 };
    }
    case 17:
      throw new UnsupportedAlgorithmError("DSA keys are not accepted");
    default:
      throw new UnsupportedAlgorithmError(`public-key algorithm ${algorithm} cannot verify signatures here`);
  }
}

function familyOf(publicKeyAlgorithm: number): NodePublicKey["family"] | undefined {
  if (publicKeyAlgorithm === 1 || publicKeyAlgorithm === 3) return "rsa";
  if (publicKeyAlgorithm === 19) return "ecdsa";
  if (publicKeyAlgorithm === 22 || publicKeyAlgorithm === 27) return "eddsa";
  return undefined;
}

function rsBytes(signature: UntrustedSignaturePacket, size: number): Buffer | undefined {
  const [r, s] = signature.signatureValues;
  if (r === undefined || s === undefined) return undefined;
  const rr = stripLeadingZeros(r);
  const ss = stripLeadingZeros(s);
  if (rr.length > size || ss.length > size) return undefined;
  return Buffer.concat([leftPad(rr, size), leftPad(ss, size)]);
}

/** RFC 4880 §5.2.4: a text signature covers the text with every line ending as CR LF. */
function canonicalText(data: Uint8Array): Buffer {
  return Buffer.from(Buffer.from(data).toString("latin1").replace(/\r\n|\r|\n/g, "\r\n"), "latin1");
}

function ed25519Key(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: base64url(raw) }, format: "jwk" });
}

function curveOf(oid: unknown): string {
  const named = oid as { getName?: () => string } | undefined;
  try {
    return typeof named?.getName === "function" ? named.getName() : "unknown";
  } catch {
    return "unknown";
  }
}

function bytes(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new UnsupportedAlgorithmError("the key's parameters are missing");
  return value;
}

function stripLeadingZeros(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  return value.subarray(i);
}

function leftPad(value: Uint8Array, size: number): Buffer {
  const out = Buffer.alloc(size);
  out.set(value, size - value.length);
  return out;
}

function base64url(value: Uint8Array): string {
  return Buffer.from(value).toString("base64url");
}
