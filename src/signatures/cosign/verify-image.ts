import type { KeyObject } from "node:crypto";
import type { Digest } from "../../internal/digest.js";
import type { ImageAccess, ResolvedImage } from "../../oci/image-access.js";
import { discoverCosignSignatures, withSkippedLayers, type SkippedSignatureLayer } from "./discover.js";
import { explainNoVerifiedSignature, verifyCosignSignatures, type SignatureRejection, type VerifiedCosignSignature } from "./verify.js";

export interface VerifyImageOptions {
  publicKeys: readonly KeyObject[];
  requiredAnnotations?: Record<string, string>;
}

export interface VerifiedImage {
  image: ResolvedImage;
  digest: Digest;
  signatureTag: string;
  signatures: VerifiedCosignSignature[];
  /** Signatures that were found but did not verify, with their reasons. */
  rejected: SignatureRejection[];
  /** `.sig` layers that could not be read (missing, oversized, corrupt) and were left out, with their reasons. */
  skipped: SkippedSignatureLayer[];
}

/**
 * Finds and verifies an image's cosign signatures. I/O is limited to resolving the tag (if any), the
 * `.sig` manifest and its layers; the checks themselves are the pure `verifyCosignSignatures`.
 */
export async function verifyImage(access: ImageAccess, image: string, options: VerifyImageOptions): Promise<VerifiedImage> {
  const resolved = await access.resolve(image);
  const discovered = await discoverCosignSignatures(resolved.repository, resolved.digest, { identity: resolved.identity });
  const verification = verifyCosignSignatures({
    imageDigest: resolved.digest,
    untrustedSignatures: discovered.signatures,
    publicKeys: options.publicKeys,
    requiredAnnotations: options.requiredAnnotations,
  });
  if (verification.verified.length === 0) {
    throw withSkippedLayers(explainNoVerifiedSignature(resolved.digest, verification, `${resolved.repository.displayName}:${discovered.tag}`), discovered.skipped);
  }
  return { image: resolved, digest: resolved.digest, signatureTag: discovered.tag, signatures: verification.verified, rejected: verification.rejected, skipped: discovered.skipped };
}
