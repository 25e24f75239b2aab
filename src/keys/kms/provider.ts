/**
 * What every KMS provider shares: the one interface they implement, the hash each key algorithm signs with, the
 * conversion of the KMS's public key into a KeyObject, a check of every signature the KMS returns, deadlines,
 * CA bundles, and errors that never carry a token.
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { SignetError, type ErrorCode } from "../../errors/index.js";
import { keyAlgorithmOf, type KeyAlgorithm } from "../key-algorithm.js";
import { verifyWithKey } from "../sign-verify.js";
import type { KmsReference } from "./reference.js";

export interface KmsKey {
  /** The URI as given (KMS references never carry credentials). */
  readonly reference: string;
  readonly algorithm: KeyAlgorithm;
  publicKey(): Promise<KeyObject>;
  /**
   * Signs the message bytes (hashing as the key's algorithm requires, SHA-256 for EC P-256 as cosign does);
   * returns the signature encoded exactly as node:crypto.sign would for that algorithm (DER for ECDSA).
   */
  sign(message: Buffer): Promise<Buffer>;
}

export interface KmsOpenOptions {
  /** Where credentials and endpoints are read from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Deadline of each request to the KMS; 30 s by default. */
  timeoutMs?: number;
}

/** The options with their defaults resolved (in one place). */
export interface KmsSettings {
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
}

export const DEFAULT_KMS_TIMEOUT_MS = 30_000;

/** One provider: opens the key a parsed reference names (fetching its public key once). */
export interface KmsProvider<R extends KmsReference = KmsReference> {
  open(reference: string, parsed: R, settings: KmsSettings): Promise<KmsKey>;
}

export function resolveKmsSettings(options: KmsOpenOptions = {}): KmsSettings {
  const timeoutMs = options.timeoutMs ?? DEFAULT_KMS_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new SignetError("USAGE", `the KMS timeout must be a positive number of milliseconds, not ${timeoutMs}`);
  return { env: options.env ?? process.env, timeoutMs };
}

/**
 * The hash a KMS applies (over the message, before signing) for each algorithm: SHA-256 for P-256 and RSA as
 * cosign signs, the curve's own hash for P-384 and P-521 (what AWS, GCP and Azure offer for them; signet and
 * cosign verify those too), none for Ed25519 and SM2, which sign the message itself.
 */
export function kmsDigestAlgorithm(algorithm: KeyAlgorithm): "sha256" | "sha384" | "sha512" | undefined {
  switch (algorithm) {
    case "ecdsa-p256":
    case "rsa":
    case "rsa-pss":
      return "sha256";
    case "ecdsa-p384":
      return "sha384";
    case "ecdsa-p521":
      return "sha512";
    case "ed25519":
    case "sm2":
      return undefined;
  }
}

export function digestOf(algorithm: "sha256" | "sha384" | "sha512", message: Buffer): Buffer {
  return createHash(algorithm).update(message).digest();
}

/** The KMS's public key (DER SPKI or PEM) as a KeyObject of an algorithm signet signs with, or KMS_KEY_UNSUPPORTED. */
export function toKmsPublicKey(key: Buffer | string, reference: string): { key: KeyObject; algorithm: KeyAlgorithm } {
  let publicKey: KeyObject;
  try {
    publicKey = typeof key === "string" ? createPublicKey(key) : createPublicKey({ key, format: "der", type: "spki" });
  } catch (error) {
    throw new SignetError("KMS_PROTOCOL", `the public key the KMS returned for ${reference} cannot be read`, { cause: error, details: { reference } });
  }
  try {
    return { key: publicKey, algorithm: keyAlgorithmOf(publicKey) };
  } catch (error) {
    if (SignetError.is(error) && error.code === "KEY_UNSUPPORTED") {
      throw new SignetError("KMS_KEY_UNSUPPORTED", `${reference}: ${error.message}`, { details: { reference, ...error.details } });
    }
    throw error;
  }
}

/**
 * A KmsKey over a provider's raw signing call. Every signature is checked against the public key before it is
 * returned: a KMS that hashed differently, or a corrupted answer, fails here and not at verification time.
 */
export function createKmsKey(reference: string, publicKey: KeyObject, algorithm: KeyAlgorithm, signRaw: (message: Buffer) => Promise<Buffer>): KmsKey {
  return {
    reference,
    algorithm,
    publicKey: () => Promise.resolve(publicKey),
    async sign(message: Buffer): Promise<Buffer> {
      const signature = await signRaw(message);
      if (!verifyWithKey(publicKey, message, signature)) {
        throw new SignetError("KMS_PROTOCOL", `the signature the KMS returned for ${reference} does not verify with the key's public key`, { details: { reference, algorithm } });
      }
      return signature;
    },
  };
}

/** ECDSA r || s (JWS, IEEE P1363) as the DER SEQUENCE node:crypto writes. */
export function p1363ToDer(signature: Uint8Array): Buffer {
  if (signature.length === 0 || signature.length % 2 !== 0 || signature.length > 132) {
    throw new SignetError("KMS_PROTOCOL", `an ECDSA signature of ${signature.length} bytes is not r || s`);
  }
  const half = signature.length / 2;
  const integer = (bytes: Uint8Array): Buffer => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    let content = Buffer.from(bytes.subarray(start));
    if ((content[0] ?? 0) & 0x80) content = Buffer.concat([Buffer.from([0]), content]);
    return Buffer.concat([Buffer.from([0x02]), derLength(content.length), content]);
  };
  const body = Buffer.concat([integer(signature.subarray(0, half)), integer(signature.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

function derLength(length: number): Buffer {
  return length < 0x80 ? Buffer.from([length]) : Buffer.from([0x81, length]);
}

/** The CA bundle named by the first of `variables` that is set (PEM), or undefined for the system's roots. */
export async function readCaBundle(env: NodeJS.ProcessEnv, variables: readonly string[]): Promise<{ ca: Buffer; variable: string } | undefined> {
  for (const variable of variables) {
    const path = env[variable];
    if (path === undefined || path === "") continue;
    try {
      return { ca: await readFile(path), variable };
    } catch (error) {
      throw new SignetError("FILE_NOT_FOUND", `cannot read the CA bundle ${variable}=${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
  }
  return undefined;
}

/** An AbortSignal for one request's deadline. */
export function deadline(settings: KmsSettings): AbortSignal {
  return AbortSignal.timeout(settings.timeoutMs);
}

/** Whether an error is a deadline's abort (DOMException TimeoutError/AbortError, or an SDK's wrapping of it). */
export function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === "TimeoutError" || name === "AbortError" || (error as { code?: unknown } | null)?.code === "ETIMEDOUT";
}

/**
 * A SignetError for a KMS failure. The message is built from the status and the service's error name only
 * (never request headers, tokens or bodies we sent); the service's own message is kept, bounded, in details.
 */
export function kmsError(code: ErrorCode, reference: string, what: string, extra: Record<string, unknown> = {}, cause?: unknown): SignetError {
  return new SignetError(code, `${reference}: ${what}`, { details: { reference, ...extra }, ...(cause !== undefined ? { cause: redactCause(cause) } : {}) });
}

/** Keeps an SDK error's name and message (bounded) but none of its request or response objects, which may hold credentials. */
function redactCause(cause: unknown): Error {
  const source = cause as { name?: unknown; message?: unknown };
  const error = new Error(String(source?.message ?? cause).slice(0, 500));
  error.name = typeof source?.name === "string" ? source.name : "Error";
  return error;
}

/** The code for an HTTP status from a KMS. */
export function codeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return "KMS_UNAUTHORIZED";
  if (status === 404) return "KMS_KEY_NOT_FOUND";
  return "KMS_UNAVAILABLE";
}
