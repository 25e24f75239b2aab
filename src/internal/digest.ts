import { createHash } from "node:crypto";
import { SignetError } from "../errors/index.js";

/** A validated content digest, e.g. "sha256:<64 lower-case hex>". */
export type Digest = string & { readonly __digest: unique symbol };

const HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const DIGEST_PATTERN = /^(sha256|sha384|sha512):([a-f0-9]+)$/;

/** Checks a digest before it can reach a URL or a path (no "sha256:../x", no upper case, no short hex). */
export function parseDigest(value: string): Digest {
  const match = DIGEST_PATTERN.exec(value);
  if (!match || match[2]!.length !== HEX_LENGTH[match[1]!]) {
    throw new SignetError("DIGEST_INVALID", `invalid digest ${JSON.stringify(truncate(value))}`, { details: { digest: truncate(value) } });
  }
  return value as Digest;
}

export function isDigest(value: string): value is Digest {
  const match = DIGEST_PATTERN.exec(value);
  return match !== null && match[2]!.length === HEX_LENGTH[match[1]!];
}

export function digestAlgorithm(digest: Digest): "sha256" | "sha384" | "sha512" {
  return digest.slice(0, digest.indexOf(":")) as "sha256" | "sha384" | "sha512";
}

export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(":") + 1);
}

export function sha256Digest(bytes: Uint8Array): Digest {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}` as Digest;
}

export function computeDigest(bytes: Uint8Array, algorithm: "sha256" | "sha384" | "sha512" = "sha256"): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}` as Digest;
}

/** Hashes what was received and throws DIGEST_MISMATCH unless it equals the expected digest. */
export function verifyDigest(bytes: Uint8Array, expected: Digest, what = "content"): void {
  const actual = computeDigest(bytes, digestAlgorithm(expected));
  if (actual !== expected) {
    throw new SignetError("DIGEST_MISMATCH", `${what} does not match its digest: expected ${expected}, got ${actual}`, {
      details: { expected, actual },
    });
  }
}

function truncate(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}
