import { setTimeout as sleep } from "node:timers/promises";
import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { sha256Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import type { Descriptor } from "../../oci/manifest/descriptor.js";
import { MediaType } from "../../oci/manifest/media-types.js";
import type { Repository } from "../../oci/repository.js";
import { buildSignatureImage, parseSignatureManifestLayers } from "./signature-manifest.js";
import { attachmentTag, type AttachmentKind } from "./tags.js";

export interface SignatureLayerInput {
  payload: Buffer;
  annotations: Record<string, string>;
  mediaType?: string;
}

export interface AttachOptions {
  /**
   * Says whether an existing layer with the same payload already is this signer's signature (for a key:
   * it verifies with the signer's public key). Re-signing the same payload is then a no-op, as in cosign.
   */
  isSameSigner?: (existing: Descriptor, payload: Buffer) => boolean;
  /** Attempts before giving up when other signers keep replacing the tag. */
  maxAttempts?: number;
  /** Which attachment to append to: signatures (default), attestations or SBOMs. */
  kind?: AttachmentKind;
}

export interface AttachResult {
  tag: string;
  /** False when an equivalent signature was already attached. */
  added: boolean;
  manifestDigest: Digest;
  signatureCount: number;
}

/** A repository that can serialise read-modify-write of a tag (an OCI layout, with a lock file). */
export interface TagLocking {
  withTagLock<T>(tag: string, action: () => Promise<T>): Promise<T>;
}

function hasTagLocking(repository: Repository): repository is Repository & TagLocking {
  return typeof (repository as Partial<TagLocking>).withTagLock === "function";
}

/**
 * Appends a signature layer to the image's `.sig` manifest without losing signatures that concurrent
 * signers attach. A layout serialises writers with a lock. A registry has no compare-and-swap for tags, so
 * each signer writes the merged manifest, waits a few times its own read-to-write window (long enough for a
 * signer that read the old manifest to have written), re-reads, and merges again if its layer was dropped.
 */
export async function attachSignatureLayer(
  repository: Repository,
  imageDigest: Digest,
  input: SignatureLayerInput,
  options: AttachOptions = {},
): Promise<AttachResult> {
  const tag = attachmentTag(imageDigest, options.kind ?? "sig");
  const maxLayers = (options.kind ?? "sig") === "sig" ? LIMITS.signaturesPerImage : LIMITS.signatureLayers;
  const layer: Descriptor = {
    mediaType: input.mediaType ?? MediaType.CosignSimpleSigning,
    size: input.payload.length,
    digest: sha256Digest(input.payload),
    annotations: input.annotations,
  };
  await repository.putBlob(input.payload, layer.digest);

  const writeOnce = async (): Promise<{ result: AttachResult; windowMs: number }> => {
    const started = performance.now();
    const current = await repository.tryGetManifest(tag);
    const existing = current ? parseSignatureManifestLayers(current.bytes) : [];
    const duplicate = existing.find((e) => isSameLayer(e, layer) || (e.digest === layer.digest && options.isSameSigner?.(e, input.payload) === true));
    if (duplicate && current) {
      return { result: { tag, added: false, manifestDigest: current.digest, signatureCount: existing.length }, windowMs: 0 };
    }
    if (existing.length + 1 > maxLayers) {
      throw new SignetError("COUNT_LIMIT_EXCEEDED", `${repository.displayName}:${tag} already holds ${existing.length} layers; at most ${maxLayers} are kept`);
    }
    const image = buildSignatureImage([...existing, layer]);
    await repository.putBlob(image.configBytes, image.configDigest);
    const manifestDigest = await repository.putManifest(image.manifestBytes, MediaType.OciManifest, tag);
    return { result: { tag, added: true, manifestDigest, signatureCount: image.layers.length }, windowMs: performance.now() - started };
  };

  if (hasTagLocking(repository)) {
    return repository.withTagLock(tag, async () => (await writeOnce()).result);
  }

  const maxAttempts = options.maxAttempts ?? 8;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const { result, windowMs } = await writeOnce();
    if (!result.added) return result;
    await sleep(settleDelayMs(windowMs, attempt));
    const after = await repository.tryGetManifest(tag);
    if (after && parseSignatureManifestLayers(after.bytes).some((e) => isSameLayer(e, layer))) {
      return { ...result, manifestDigest: after.digest };
    }
  }
  throw new SignetError("SIG_CONFLICT", `other signers kept replacing ${repository.displayName}:${tag}; the signature was not attached after ${maxAttempts} attempts`);
}

/** A few times the observed window, with jitter so that competing signers do not stay in lock step. */
function settleDelayMs(windowMs: number, attempt: number): number {
  const base = Math.min(2000, Math.max(40, windowMs * 3) * attempt);
  return base + Math.random() * base;
}

function isSameLayer(a: Descriptor, b: Descriptor): boolean {
  if (a.digest !== b.digest || a.mediaType !== b.mediaType) return false;
  const aa = a.annotations ?? {};
  const bb = b.annotations ?? {};
  const keys = Object.keys(aa);
  return keys.length === Object.keys(bb).length && keys.every((k) => aa[k] === bb[k]);
}
