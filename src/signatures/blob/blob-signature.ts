import type { KeyObject } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import { verifyWithKey, type Signer } from "../../keys/index.js";
import { decodeBase64Strict } from "../../internal/base64.js";

/** A blob signature as cosign writes it: base64 of the signature over the file's bytes (DER for ECDSA). */
export async function signBlob(key: Signer, blob: Uint8Array): Promise<string> {
  return (await key.sign(blob)).toString("base64");
}

/**
 * Reads a signature as cosign's --signature accepts it: base64 text (whitespace ignored), or the raw
 * signature bytes that `openssl dgst -sign` writes.
 */
export function decodeBlobSignature(untrusted: Buffer): Buffer {
  const text = untrusted.toString("latin1").replace(/\s+/g, "");
  const decoded = text.length > 0 ? decodeBase64Strict(text, "std-exact") : undefined;
  if (decoded !== undefined) return decoded;
  if (untrusted.length === 0) throw new SignetError("SIG_INVALID", "the signature is empty");
  return untrusted;
}

/** Throws SIG_INVALID unless `signature` is a valid signature over `blob` by `publicKey`. Pure. */
export function verifyBlobSignature(publicKey: KeyObject, blob: Uint8Array, signature: Buffer): void {
  if (!verifyWithKey(publicKey, blob, signature)) {
    throw new SignetError("SIG_INVALID", "the signature does not verify with the given key: the file or the signature was changed, or another key signed it");
  }
}
