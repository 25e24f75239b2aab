/**
 * Verifies a signature given only the digest of the signed bytes (`verify-bundle … sha256:<hex>`): node's
 * crypto always hashes the input itself, so ECDSA is checked here with the curve arithmetic (the public
 * values only: no secret ever touches this code, so constant time does not matter) and RSA PKCS#1 v1.5 by
 * comparing the DigestInfo the public key recovers. Ed25519 and RSA-PSS cannot be checked from a digest.
 */
import { constants, publicDecrypt, type KeyObject } from "node:crypto";
import { childrenOf, contentOf, readRoot, TAG } from "../../internal/der.js";

interface Curve {
  readonly p: bigint;
  readonly n: bigint;
  readonly gx: bigint;
  readonly gy: bigint;
  readonly bits: number;
}

const CURVES: Record<string, Curve> = {
  "P-256": {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
    gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
    bits: 256,
  },
  "P-384": {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
    gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
    bits: 384,
  },
  "P-521": {
    p: (1n << 521n) - 1n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    gx: 0x00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66n,
    gy: 0x011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650n,
    bits: 521,
  },
};

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1). */
const DIGEST_INFO_PREFIX: Record<string, string> = {
  sha256: "3031300d060960864801650304020105000420",
  sha384: "3041300d060960864801650304020205000430",
  sha512: "3051300d060960864801650304020305000440",
};

export type PrehashAlgorithm = "sha256" | "sha384" | "sha512";

/** Whether `signature` is `publicKey`'s signature over bytes whose `algorithm` digest is `digest`. */
export function verifyPrehashed(publicKey: KeyObject, algorithm: PrehashAlgorithm, digest: Uint8Array, signature: Uint8Array): boolean {
  switch (publicKey.asymmetricKeyType) {
    case "ec":
      return verifyEcdsaPrehashed(publicKey, digest, signature);
    case "rsa":
      return verifyRsaPkcs1Prehashed(publicKey, algorithm, digest, signature);
    default:
      return false;
  }
}

/** True when the key type can be checked against a digest alone. */
export function canVerifyPrehashed(publicKey: KeyObject): boolean {
  return publicKey.asymmetricKeyType === "ec" || publicKey.asymmetricKeyType === "rsa";
}

function verifyRsaPkcs1Prehashed(publicKey: KeyObject, algorithm: PrehashAlgorithm, digest: Uint8Array, signature: Uint8Array): boolean {
  try {
    const recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
    return recovered.equals(Buffer.concat([Buffer.from(DIGEST_INFO_PREFIX[algorithm]!, "hex"), digest]));
  } catch {
    return false;
  }
}

type Point = readonly [bigint, bigint, bigint] | null;

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function inverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

/** Jacobian doubling for a = -3 curves. */
function double(point: Point, p: bigint): Point {
  if (point === null) return null;
  const [x, y, z] = point;
  if (y === 0n) return null;
  const delta = mod(z * z, p);
  const gamma = mod(y * y, p);
  const beta = mod(x * gamma, p);
  const alpha = mod(3n * (x - delta) * (x + delta), p);
  const x3 = mod(alpha * alpha - 8n * beta, p);
  const z3 = mod((y + z) * (y + z) - gamma - delta, p);
  const y3 = mod(alpha * (4n * beta - x3) - 8n * gamma * gamma, p);
  return [x3, y3, z3];
}

function add(a: Point, b: Point, p: bigint): Point {
  if (a === null) return b;
  if (b === null) return a;
  const [x1, y1, z1] = a;
  const [x2, y2, z2] = b;
  const z1z1 = mod(z1 * z1, p);
  const z2z2 = mod(z2 * z2, p);
  const u1 = mod(x1 * z2z2, p);
  const u2 = mod(x2 * z1z1, p);
  const s1 = mod(y1 * z2 * z2z2, p);
  const s2 = mod(y2 * z1 * z1z1, p);
  if (u1 === u2) return s1 === s2 ? double(a, p) : null;
  const h = mod(u2 - u1, p);
  const i = mod(4n * h * h, p);
  const j = mod(h * i, p);
  const r = mod(2n * (s2 - s1), p);
  const v = mod(u1 * i, p);
  const x3 = mod(r * r - j - 2n * v, p);
  const y3 = mod(r * (v - x3) - 2n * s1 * j, p);
  const z3 = mod(((z1 + z2) * (z1 + z2) - z1z1 - z2z2) * h, p);
  return [x3, y3, z3];
}

/** u1·G + u2·Q by Shamir's trick. */
function doubleScalarMultiply(u1: bigint, g: Point, u2: bigint, q: Point, p: bigint): Point {
  const gq = add(g, q, p);
  let result: Point = null;
  const bits = Math.max(u1.toString(2).length, u2.toString(2).length);
  for (let bit = bits - 1; bit >= 0; bit--) {
    result = double(result, p);
    const b1 = (u1 >> BigInt(bit)) & 1n;
    const b2 = (u2 >> BigInt(bit)) & 1n;
    if (b1 === 1n && b2 === 1n) result = add(result, gq, p);
    else if (b1 === 1n) result = add(result, g, p);
    else if (b2 === 1n) result = add(result, q, p);
  }
  return result;
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
}

function verifyEcdsaPrehashed(publicKey: KeyObject, digest: Uint8Array, signature: Uint8Array): boolean {
  const jwk = publicKey.export({ format: "jwk" });
  const curve = jwk.crv === undefined ? undefined : CURVES[jwk.crv];
  if (curve === undefined || jwk.x === undefined || jwk.y === undefined) return false;
  let r: bigint;
  let s: bigint;
  try {
    const bytes = Buffer.from(signature);
    const sequence = readRoot(bytes);
    const parts = childrenOf(bytes, sequence);
    if (sequence.tag !== TAG.SEQUENCE || parts.length !== 2 || !parts.every((part) => part.tag === TAG.INTEGER)) return false;
    const [rBytes, sBytes] = parts.map((part) => contentOf(bytes, part)) as [Buffer, Buffer];
    // DER integers: positive here, minimal (no superfluous leading zero).
    if ([rBytes, sBytes].some((n) => n.length === 0 || n[0]! & 0x80 || (n.length > 1 && n[0] === 0 && !(n[1]! & 0x80)))) return false;
    r = toBigInt(rBytes);
    s = toBigInt(sBytes);
  } catch {
    return false;
  }
  const { n, p } = curve;
  if (r <= 0n || r >= n || s <= 0n || s >= n) return false;
  // FIPS 186-4 §6.4: the leftmost bits of the digest, as many as n has.
  let e = toBigInt(digest);
  const excess = digest.length * 8 - curve.bits;
  if (excess > 0) e >>= BigInt(excess);
  const w = inverse(s, n);
  const u1 = mod(e * w, n);
  const u2 = mod(r * w, n);
  const q: Point = [toBigInt(Buffer.from(jwk.x, "base64url")), toBigInt(Buffer.from(jwk.y, "base64url")), 1n];
  const point = doubleScalarMultiply(u1, [curve.gx, curve.gy, 1n], u2, q, p);
  if (point === null) return false;
  const [x, , z] = point;
  const zInverse = inverse(z, p);
  const affineX = mod(x * zInverse * zInverse, p);
  return mod(affineX, n) === r;
}
