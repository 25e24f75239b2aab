import type { KeyObject } from "node:crypto";
import { toSignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import type { ImageAccess, ResolvedImage } from "../../oci/image-access.js";
import { discoverCosignSignatures, withSkippedLayers, type SkippedSignatureLayer } from "./discover.js";
import { explainNoImageSignature, type ImageSignatureVerification, type VerifiedImageSignature } from "./image-signatures.js";
import type { SignerRequirement } from "./keyless.js";
import { verifyCosignSignatures, type UntrustedCosignSignature } from "./verify.js";
import { appendAll } from "../../internal/arrays.js";

/** Which storage formats to look in: both (legacy first), only bundles (`--new-bundle-format`), only `.sig`. */
export type SignatureFormats = "auto" | "bundle" | "legacy";

export interface VerifyImageSigstoreOptions {
  readonly signer: SignerRequirement;
  readonly requiredAnnotations?: Record<string, string>;
  readonly formats?: SignatureFormats;
}

export interface VerifiedSigstoreImage {
  readonly image: ResolvedImage;
  readonly digest: Digest;
  /** Where signatures were looked for: `repo:sha256-<hex>.sig`, the referrers API or tag. */
  readonly searched: string[];
  readonly signatures: VerifiedImageSignature[];
  readonly rejected: ImageSignatureVerification["rejected"];
  readonly ignored: ImageSignatureVerification["ignored"];
  /** `.sig` layers that could not be read (missing, oversized, corrupt) and were left out, with their reasons. */
  readonly skipped: SkippedSignatureLayer[];
}

/**
 * Finds and verifies an image's signatures in any format. The legacy `.sig` tag is read first (one request);
 * only when nothing there verifies are the referrers read for sigstore bundles, so an image signed the
 * classic way costs no more requests than before. A key-only check of `.sig` layers loads no sigstore library
 * (they cost ~0.4 s to load); everything else goes through the pure verifyImageSignatures.
 */
export async function verifyImageSigstore(access: ImageAccess, image: string, options: VerifyImageSigstoreOptions): Promise<VerifiedSigstoreImage> {
  const resolved = await access.resolve(image);
  const formats = options.formats ?? "auto";
  const searched: string[] = [];
  const base = { imageDigest: resolved.digest, identity: resolved.identity, signer: options.signer, ...(options.requiredAnnotations ? { requiredAnnotations: options.requiredAnnotations } : {}) };
  const total: ImageSignatureVerification = { verified: [], rejected: [], ignored: [] };
  const skipped: SkippedSignatureLayer[] = [];
  if (formats !== "bundle") {
    const legacy = await discoverCosignSignatures(resolved.repository, resolved.digest, { identity: resolved.identity });
    searched.push(`${resolved.repository.displayName}:${legacy.tag}`);
    appendAll(skipped, legacy.skipped);
    if (legacy.signatures.length > 0) {
      const signer = options.signer;
      const verification =
        signer.kind === "key" && signer.log === undefined
          ? verifyWithKeysOnly(legacy.signatures, resolved.digest, signer.publicKeys, options.requiredAnnotations)
          : (await import("./verify-sigstore-signatures.js")).verifyImageSignatures({ ...base, legacy: legacy.signatures });
      merge(total, verification);
    }
  }
  if (formats !== "legacy" && total.verified.length === 0) {
    const { discoverSigstoreBundles } = await import("../bundle-oci/discover-bundles.js");
    let discovered;
    try {
      discovered = await discoverSigstoreBundles(resolved.repository, resolved.digest);
    } catch (error) {
      const failure = toSignetError(error);
      // A malformed referrers list is a verdict on that list, not on the `.sig` signatures already judged;
      // a registry that cannot answer means no verdict at all.
      if (failure.category === "unavailable" || formats === "bundle") throw failure;
      searched.push(`the referrers of ${resolved.digest}`);
      total.rejected.push({ format: "sigstore-bundle", source: `referrers of ${resolved.digest}`, code: failure.code, reason: failure.message });
    }
    if (discovered !== undefined) {
      searched.push(discovered.listing.source === "referrers-api" ? `the referrers API (${discovered.listing.where})` : `the referrers tag ${discovered.listing.where}`);
      if (discovered.bundles.length > 0) {
        const { verifyImageSignatures } = await import("./verify-sigstore-signatures.js");
        merge(total, verifyImageSignatures({ ...base, bundles: discovered.bundles }));
      }
    }
  }
  if (total.verified.length === 0) throw withSkippedLayers(explainNoImageSignature(resolved.digest, total, searched), skipped);
  return { image: resolved, digest: resolved.digest, searched, signatures: total.verified, rejected: total.rejected, ignored: total.ignored, skipped };
}

function verifyWithKeysOnly(
  signatures: readonly UntrustedCosignSignature[],
  imageDigest: Digest,
  publicKeys: readonly KeyObject[],
  requiredAnnotations: Record<string, string> | undefined,
): ImageSignatureVerification {
  const result = verifyCosignSignatures({ imageDigest, untrustedSignatures: signatures, publicKeys, ...(requiredAnnotations ? { requiredAnnotations } : {}) });
  return {
    verified: result.verified.map((v) => ({ format: "cosign-legacy", source: v.layerDigest, payload: v.payload, signer: { kind: "key", tlog: "not-configured" } })),
    rejected: result.rejected.map((r) => ({ format: "cosign-legacy", source: r.layerDigest, code: r.code, reason: r.reason })),
    ignored: [],
  };
}

function merge(into: ImageSignatureVerification, from: ImageSignatureVerification): void {
  appendAll(into.verified, from.verified);
  appendAll(into.rejected, from.rejected);
  appendAll(into.ignored, from.ignored);
}
