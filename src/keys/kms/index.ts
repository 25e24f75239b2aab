import type { KeyObject } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import type { KeyAlgorithm } from "../key-algorithm.js";

export interface KmsKey {
  readonly reference: string; // the URI as given, never with credentials
  readonly algorithm: KeyAlgorithm;
  publicKey(): Promise<KeyObject>;
  /** Signs the message bytes (hashing as the key's algorithm requires, SHA-256 for cosign's EC P-256); returns the signature encoded exactly as node:crypto.sign would for that algorithm (DER for ECDSA). */
  sign(message: Buffer): Promise<Buffer>;
}
export interface KmsOpenOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

const SCHEMES = ["awskms://", "gcpkms://", "azurekms://", "hashivault://"];

export function isKmsReference(reference: string): boolean {
  return SCHEMES.some((scheme) => reference.toLowerCase().startsWith(scheme));
}

export function openKmsKey(reference: string, options?: KmsOpenOptions): Promise<KmsKey> {
  void options;
  const scheme = reference.slice(0, Math.max(0, reference.indexOf("://")));
  return Promise.reject(new SignetError("KEY_REF_UNSUPPORTED", `KMS provider not built: ${scheme}:// keys cannot be used by this build`, { details: { scheme } }));
}
