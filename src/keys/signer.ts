/**
 * One signing abstraction for every kind of key: an in-memory key (SigningKey is a Signer), a key in a PKCS#11
 * token, a key in a KMS. Signing code (images, blobs, attestations, bundles) takes a Signer and awaits `sign`;
 * it never needs the private key itself, which a token or a KMS never hands out.
 */
import type { KeyObject } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { keyAlgorithmOf, type KeyAlgorithm } from "./key-algorithm.js";

export interface Signer {
  readonly algorithm: KeyAlgorithm;
  /** The public half, fetched once when the signer was opened. */
  readonly publicKey: KeyObject;
  /**
   * Signs `message` as cosign does with this key (keys/sign-verify.ts signWithKey): ECDSA DER over SHA-256, RSA
   * PKCS#1 v1.5 or PSS over SHA-256, Ed25519 pure, SM2 with SM3; the bytes node:crypto.sign would give.
   */
  sign(message: Uint8Array): Promise<Buffer>;
  /** Where the key is, for messages ("cosign.key", "pkcs11:token=t;object=k"), never with a PIN or credentials. */
  readonly description: string;
}

/** A key held elsewhere (a KMS, a token) before its public half is fetched: the KMS contract's shape. */
export interface RemoteKey {
  readonly reference: string;
  readonly algorithm: KeyAlgorithm;
  publicKey(): Promise<KeyObject>;
  sign(message: Buffer): Promise<Buffer>;
}

/** Opens a remote key as a Signer: fetches its public key once and checks it is of the algorithm the key claims. */
export async function signerFromRemoteKey(remote: RemoteKey, description: string = remote.reference): Promise<Signer> {
  const publicKey = await remote.publicKey();
  const actual = keyAlgorithmOf(publicKey);
  if (actual !== remote.algorithm) {
    throw new SignetError("KEY_UNSUPPORTED", `${description}: the key says it is ${remote.algorithm} but its public key is ${actual}`);
  }
  return Object.freeze({
    algorithm: remote.algorithm,
    publicKey,
    description,
    sign: (message: Uint8Array) => remote.sign(Buffer.from(message.buffer, message.byteOffset, message.byteLength)),
  });
}
