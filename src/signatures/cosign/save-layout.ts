/**
 * cosign's `save` / `load` layout: an OCI image layout whose index.json lists, without tags, the image (or index)
 * and its attachments, each named by a `kind` annotation (`dev.cosignproject.cosign/image`, `…/imageIndex`,
 * `…/sigs`, `…/atts`, `…/sbom`). Everything is copied by digest with the one copier (oci/copy.ts), so every byte
 * read is checked against its digest; the attachments are tied to the image by the `.sig`/`.att`/`.sbom` tags they
 * get when loaded (sha256-<hex of the image>), as cosign does.
 */
import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { copyManifestTree, type CopyStats } from "../../oci/copy.js";
import type { OciLayoutRepository } from "../../oci/layout/index.js";
import type { Descriptor } from "../../oci/manifest/descriptor.js";
import { isIndexMediaType } from "../../oci/manifest/media-types.js";
import type { Repository } from "../../oci/repository.js";
import { attachmentTag, type AttachmentKind } from "./tags.js";

export const SAVE_KIND_ANNOTATION = "kind";

export const SaveKind = {
  image: "dev.cosignproject.cosign/image",
  imageIndex: "dev.cosignproject.cosign/imageIndex",
  sig: "dev.cosignproject.cosign/sigs",
  att: "dev.cosignproject.cosign/atts",
  sbom: "dev.cosignproject.cosign/sbom",
} as const;

const ATTACHMENTS: readonly AttachmentKind[] = ["sig", "att", "sbom"];

export interface SaveResult {
  readonly digest: Digest;
  /** The attachments saved with it. */
  readonly attachments: AttachmentKind[];
  readonly stats: CopyStats;
}

/**
 * Writes the image `digest` of `source` and its attachments (read from `attachments`, the image's repository or
 * COSIGN_REPOSITORY) into `layout`, listed as cosign lists them. Entries of an earlier save are replaced.
 */
export async function saveImage(source: Repository, attachments: Repository, digest: Digest, layout: OciLayoutRepository): Promise<SaveResult> {
  const stats: CopyStats = { manifests: 0, blobsCopied: 0, blobsSkipped: 0 };
  await copyManifestTree(source, layout, digest, undefined, stats);
  const image = await layout.getManifest(digest);
  const entries: Descriptor[] = [
    { mediaType: image.mediaType, digest, size: image.bytes.length, annotations: { [SAVE_KIND_ANNOTATION]: isIndexMediaType(image.mediaType) ? SaveKind.imageIndex : SaveKind.image } },
  ];
  const saved: AttachmentKind[] = [];
  for (const kind of ATTACHMENTS) {
    const found = await attachments.tryGetManifest(attachmentTag(digest, kind));
    if (found === undefined) continue;
    await copyManifestTree(attachments, layout, found.digest, undefined, stats);
    entries.push({ mediaType: found.mediaType, digest: found.digest, size: found.bytes.length, annotations: { [SAVE_KIND_ANNOTATION]: SaveKind[kind] } });
    saved.push(kind);
  }
  await layout.updateIndex((index) => {
    index.manifests = entries;
  });
  return { digest, attachments: saved, stats };
}

export interface SavedLayout {
  /** The image (or index) the layout holds. */
  readonly image: Descriptor;
  /** Its attachments by kind. */
  readonly attachments: Partial<Record<AttachmentKind, Descriptor>>;
}

/** Reads what a `cosign save` layout holds: exactly one image or index, at most one attachment of each kind. */
export async function readSavedLayout(layout: OciLayoutRepository): Promise<SavedLayout> {
  const index = await layout.readIndex();
  const byKind = (kind: string): Descriptor[] => index.manifests.filter((entry) => entry.annotations?.[SAVE_KIND_ANNOTATION] === kind);
  const images = [...byKind(SaveKind.image), ...byKind(SaveKind.imageIndex)];
  if (images.length !== 1) {
    throw new SignetError("LAYOUT_INVALID", `${layout.displayName} is not a layout written by \`cosign save\`: it lists ${images.length} manifests of kind ${SaveKind.image} or ${SaveKind.imageIndex}, not one`, {
      hint: "Save the image with `signet save --dir DIR IMAGE` or `cosign save`; an OCI layout of another tool is read as oci:DIR.",
    });
  }
  const attachments: Partial<Record<AttachmentKind, Descriptor>> = {};
  for (const kind of ATTACHMENTS) {
    const found = byKind(SaveKind[kind]);
    if (found.length > 1) throw new SignetError("LAYOUT_INVALID", `${layout.displayName} lists ${found.length} manifests of kind ${SaveKind[kind]}, at most one is allowed`);
    if (found[0] !== undefined) attachments[kind] = found[0];
  }
  return { image: images[0]!, attachments };
}

export interface LoadResult {
  readonly digest: Digest;
  readonly attachments: AttachmentKind[];
  readonly stats: CopyStats;
}

/**
 * Pushes a saved layout: the image to `destination` (tagged `tag` when given), each attachment to `attachments`
 * (the destination, or COSIGN_REPOSITORY) under its `sha256-<hex>.sig/.att/.sbom` tag.
 */
export async function loadImage(layout: OciLayoutRepository, destination: Repository, attachments: Repository, tag: string | undefined): Promise<LoadResult> {
  const saved = await readSavedLayout(layout);
  const stats: CopyStats = { manifests: 0, blobsCopied: 0, blobsSkipped: 0 };
  const loaded: AttachmentKind[] = [];
  for (const kind of ATTACHMENTS) {
    const descriptor = saved.attachments[kind];
    if (descriptor === undefined) continue;
    await copyManifestTree(layout, attachments, descriptor.digest, attachmentTag(saved.image.digest, kind), stats);
    loaded.push(kind);
  }
  // The image last: once it is visible under its tag, its signatures are already there.
  await copyManifestTree(layout, destination, saved.image.digest, tag, stats);
  return { digest: saved.image.digest, attachments: loaded, stats };
}

/**
 * The attachments of a saved layout as a read-only Repository: its `sha256-<hex>.sig/.att/.sbom` tags are the
 * manifests of those kinds (the layout lists them without tags). Everything is read from the layout, checked
 * against its digest; nothing can be written.
 */
export async function savedLayoutAttachments(layout: OciLayoutRepository): Promise<{ image: Descriptor; attachments: Repository }> {
  const saved = await readSavedLayout(layout);
  const tags = new Map<string, Digest>();
  for (const kind of ATTACHMENTS) {
    const descriptor = saved.attachments[kind];
    if (descriptor !== undefined) tags.set(attachmentTag(saved.image.digest, kind), descriptor.digest);
  }
  const readOnly = (): never => {
    throw new SignetError("USAGE", `${layout.displayName} is a saved image: it is read, not written`);
  };
  const byTag = (reference: string): string | undefined => (reference.startsWith("sha256:") ? reference : tags.get(reference));
  const attachments: Repository = {
    displayName: layout.displayName,
    resolveTag: async (tag) => {
      const digest = tags.get(tag);
      return digest === undefined ? undefined : layout.tryGetManifest(digest).then((m) => (m === undefined ? undefined : { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length }));
    },
    getManifest: async (reference) => {
      const found = await attachments.tryGetManifest(reference);
      if (found === undefined) throw new SignetError("REGISTRY_NOT_FOUND", `${reference} is not in ${layout.displayName}`);
      return found;
    },
    tryGetManifest: async (reference) => {
      const digest = byTag(reference);
      return digest === undefined ? undefined : layout.tryGetManifest(digest);
    },
    putManifest: readOnly,
    hasBlob: (digest) => layout.hasBlob(digest),
    getBlob: (digest, maxBytes) => layout.getBlob(digest, maxBytes),
    putBlob: readOnly,
    listTags: () => Promise.resolve([...tags.keys()].sort()),
  };
  return { image: saved.image, attachments };
}
