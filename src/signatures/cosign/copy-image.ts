import type { Digest } from "../../internal/digest.js";
import { copyManifestTree, copyReferrers, type CopiedReferrer } from "../../oci/copy.js";
import type { ImageAccess } from "../../oci/image-access.js";
import { parseManifest } from "../../oci/manifest/parse.js";
import { formatImageLocation, parseImageLocation, type ImageLocation } from "../../oci/reference/index.js";
import type { Repository } from "../../oci/repository.js";
import { LIMITS } from "../../internal/limits.js";
import { attachSignatureLayer } from "./attach.js";
import { parseSignatureManifestLayers } from "./signature-manifest.js";
import { attachmentTag, type AttachmentKind } from "./tags.js";
import { appendAll } from "../../internal/arrays.js";

export interface CopyImageOptions {
  kinds: AttachmentKind[];
  /** Copy the OCI referrers too (bundles, attestations, Notation signatures, SBOMs). Default true. */
  referrers?: boolean;
  /** false: copy only the attachments (cosign's `copy --only`), not the image. Default true. */
  copyImage?: boolean;
}

export interface CopyImageResult {
  source: string;
  destination: string;
  digest: Digest;
  manifests: number;
  blobsCopied: number;
  blobsSkipped: number;
  attachments: { digest: Digest; tag: string; layers: number }[];
  /** The referrers copied, each listed at the destination by its referrers API or the tag schema's index. */
  referrers: CopiedReferrer[];
}

/**
 * Copies an image and what is attached to it: cosign's tag schemes (`.sig`, `.att`, `.sbom`) and the OCI
 * referrers of the image and of each of its platforms. Signature layers are merged into the destination's `.sig`
 * one by one through the same append path as signing, so nothing already there is lost; referrers are added to
 * the destination's referrers list the same way.
 */
export async function copyImageWithSignatures(access: ImageAccess, source: string, destination: string, options: CopyImageOptions): Promise<CopyImageResult> {
  const resolved = await access.resolve(source);
  const destinationLocation = withSourceTag(parseImageLocation(destination), destination, resolved.resolvedTag);
  const target = await access.repositoryFor(destinationLocation, { create: true });
  const tag = tagOf(destinationLocation);
  const stats = options.copyImage === false ? { manifests: 0, blobsCopied: 0, blobsSkipped: 0 } : await copyManifestTree(resolved.repository, target, resolved.digest, tag);

  const digests: Digest[] = [resolved.digest];
  const manifest = await resolved.repository.getManifest(resolved.digest);
  const parsed = parseManifest(manifest.bytes, manifest.mediaType);
  if (parsed.kind === "index") appendAll(digests, parsed.manifests.map((m) => m.digest));

  const attachments: CopyImageResult["attachments"] = [];
  for (const digest of digests) {
    for (const kind of options.kinds) {
      const copied = await copyAttachment(resolved.repository, target, digest, kind);
      if (copied !== undefined) attachments.push({ digest, tag: attachmentTag(digest, kind), layers: copied });
    }
  }
  const referrers: CopiedReferrer[] = [];
  if (options.referrers !== false) {
    for (const digest of digests) appendAll(referrers, await copyReferrers(resolved.repository, target, digest, stats));
  }
  return { source, destination: formatImageLocation(destinationLocation), digest: resolved.digest, ...stats, attachments, referrers };
}

async function copyAttachment(source: Repository, target: Repository, digest: Digest, kind: AttachmentKind): Promise<number | undefined> {
  const tag = attachmentTag(digest, kind);
  const manifest = await source.tryGetManifest(tag);
  if (manifest === undefined) return undefined;
  const layers = parseSignatureManifestLayers(manifest.bytes);
  for (const layer of layers) {
    const payload = await source.getBlob(layer.digest, LIMITS.signatureLayerBytes);
    await attachSignatureLayer(target, digest, { payload, annotations: layer.annotations ?? {}, mediaType: layer.mediaType }, { kind });
  }
  return layers.length;
}

function tagOf(location: ImageLocation): string | undefined {
  return location.transport === "oci" ? location.tag : location.reference.tag;
}

/** A destination written without a tag takes the source's tag (as `cosign copy` and `skopeo copy` do). */
function withSourceTag(location: ImageLocation, text: string, sourceTag: string | undefined): ImageLocation {
  if (sourceTag === undefined || hasExplicitTagOrDigest(text)) return location;
  if (location.transport === "oci") return { ...location, tag: sourceTag };
  return { ...location, reference: { ...location.reference, tag: sourceTag } };
}

function hasExplicitTagOrDigest(text: string): boolean {
  const lastSegment = text.replace(/^(docker|oci):(\/\/)?/, "").split("/").pop() ?? "";
  return lastSegment.includes(":") || lastSegment.includes("@");
}
