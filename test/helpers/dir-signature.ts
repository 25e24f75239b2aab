import { readFileSync } from "node:fs";
import { sha256Digest } from "../../src/internal/digest.js";
import type { UntrustedCosignSignature } from "../../src/signatures/verifier/records.js";
import { CosignAnnotation } from "../../src/signatures/cosign/signature-manifest.js";

const SIGSTORE_PREFIX = Buffer.from("\x00sigstore-json\n", "latin1");

/**
 * Reads a cosign signature as containers/image's `dir:` transport stores it ("\0sigstore-json\n" + JSON of
 * mimeType, base64 payload and layer annotations): exactly one layer of a `.sig` manifest.
 */
export function readDirSigstoreSignature(path: string): UntrustedCosignSignature {
  const bytes = readFileSync(path);
  if (!bytes.subarray(0, SIGSTORE_PREFIX.length).equals(SIGSTORE_PREFIX)) throw new Error(`${path} is not a sigstore-json signature`);
  const value = JSON.parse(bytes.subarray(SIGSTORE_PREFIX.length).toString("utf8")) as { mimeType: string; payload: string; annotations: Record<string, string> };
  const payload = Buffer.from(value.payload, "base64");
  return {
    layerDigest: sha256Digest(payload),
    mediaType: value.mimeType,
    untrustedPayload: payload,
    untrustedSignatureBase64: value.annotations[CosignAnnotation.signature],
    untrustedAnnotations: value.annotations,
  };
}
