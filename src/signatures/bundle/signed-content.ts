/**
 * What the bundle's signature covers, bound to the artifact the caller holds. For a message signature the
 * artifact is the signed bytes (or their digest); for a DSSE envelope the signed bytes are the PAE of the
 * envelope, and the artifact is bound separately (in-toto subject, or the payload itself).
 */
import { createHash, verify, type KeyObject } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import type { EntryDigest } from "../../transparency/entry-body.js";
import { canVerifyPrehashed, verifyPrehashed, type PrehashAlgorithm } from "./prehashed-verify.js";
import type { UntrustedContent } from "./parse-bundle.js";

/** The signed artifact: its bytes, or its digest. */
export interface ArtifactInput {
  readonly bytes?: Uint8Array;
  readonly digest?: { readonly algorithm: "sha256" | "sha384" | "sha512"; readonly hex: string };
}

export interface SignedContent {
  readonly signature: Buffer;
  /** For DSSE: the PAE bytes; for a message signature with bytes: the artifact. */
  readonly signedBytes?: Buffer;
  /** The digest of the signed bytes in `algorithm`, or undefined when it cannot be computed (digest given in another algorithm). */
  signedDigest(algorithm: PrehashAlgorithm): Buffer | undefined;
  /** Whether `key` made `signature` over the signed bytes. */
  verifySignature(key: KeyObject): boolean;
}

function digestOf(algorithm: string, bytes: Uint8Array): Buffer {
  return createHash(algorithm).update(bytes).digest();
}

/** The hash a signature over these bytes uses: the bundle's digest algorithm, else the key's natural one. */
function hashForKey(key: KeyObject, preferred: PrehashAlgorithm | undefined): string | null {
  if (key.asymmetricKeyType === "ed25519" || key.asymmetricKeyType === "ed448") return null;
  if (preferred !== undefined) return preferred;
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === "secp384r1" ? "sha384" : curve === "secp521r1" ? "sha512" : "sha256";
  }
  return "sha256";
}

function safeVerify(algorithm: string | null, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean {
  try {
    return verify(algorithm, data, key, signature);
  } catch {
    return false;
  }
}

export function toSignedContent(content: UntrustedContent, artifact: ArtifactInput): SignedContent {
  if (content.type === "dsseEnvelope") {
    const pae = preAuthEncoding(content.payloadType, content.payload);
    return {
      signature: content.signature,
      signedBytes: pae,
      signedDigest: (algorithm) => digestOf(algorithm, pae),
      verifySignature: (key) => safeVerify(hashForKey(key, undefined), pae, key, content.signature),
    };
  }
  const preferred = content.digest?.algorithm;
  if (artifact.bytes !== undefined) {
    const bytes = Buffer.from(artifact.bytes);
    return {
      signature: content.signature,
      signedBytes: bytes,
      signedDigest: (algorithm) => digestOf(algorithm, bytes),
      verifySignature: (key) => safeVerify(hashForKey(key, preferred), bytes, key, content.signature),
    };
  }
  if (artifact.digest !== undefined) {
    const given = artifact.digest;
    const digest = Buffer.from(given.hex, "hex");
    return {
      signature: content.signature,
      signedDigest: (algorithm) => (algorithm === given.algorithm ? digest : undefined),
      verifySignature: (key) => {
        if (!canVerifyPrehashed(key)) {
          throw new SignetError("SIG_INVALID", `a ${key.asymmetricKeyType ?? "this"} signature cannot be checked against a digest alone`, { hint: "Give the artifact file instead of its digest." });
        }
        return verifyPrehashed(key, given.algorithm, digest, content.signature);
      },
    };
  }
  throw new SignetError("USAGE", "verifying a message signature needs the artifact or its digest");
}

/** DSSE pre-authentication encoding: lengths are byte lengths, the type's in UTF-8 (security case A.11). */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

export function digestsEqual(content: SignedContent, claimed: EntryDigest): boolean {
  const actual = content.signedDigest(claimed.algorithm);
  return actual !== undefined && actual.equals(claimed.value);
}
