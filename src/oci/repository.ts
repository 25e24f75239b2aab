import type { Digest } from "../internal/digest.js";
import type { Descriptor } from "./manifest/descriptor.js";

/** Manifest bytes exactly as stored, with the digest they were checked against. */
export interface ManifestBytes {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: Digest;
}

/**
 * One repository of images, wherever it lives: a repository in a registry (`oci/registry`) or an OCI image
 * layout on disk (`oci/layout`). Signing, verifying and copying are written against this interface, so they
 * work the same on both. Every read checks digests and sizes; nothing unverified is returned.
 */
export interface Repository {
  /** How to name this repository to a person, e.g. "127.0.0.1:5000/app" or "oci:./layout". */
  readonly displayName: string;

  /**
   * Resolves a tag to the descriptor of its manifest, or undefined when the tag does not exist. The digest is of
   * the manifest bytes received, never a header's claim.
   */
  resolveTag(tag: string): Promise<Descriptor | undefined>;

  /** Fetches a manifest by digest (checked) or by tag (hashed; the digest returned is of the bytes received). */
  getManifest(reference: Digest | string): Promise<ManifestBytes>;

  /** Like getManifest by tag, but undefined when the tag does not exist. */
  tryGetManifest(reference: Digest | string): Promise<ManifestBytes | undefined>;

  /** Stores a manifest under its digest and, when given, a tag. Returns the digest. */
  putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<Digest>;

  hasBlob(digest: Digest): Promise<boolean>;

  /** Fetches a blob, refusing more than `maxBytes`, and checks its digest. */
  getBlob(digest: Digest, maxBytes: number): Promise<Buffer>;

  /** Uploads a blob unless the repository already has it. */
  putBlob(bytes: Buffer, digest: Digest): Promise<void>;

  /**
   * Deletes a manifest by digest (and so every tag naming it), where the store allows it: registries with
   * deletion enabled, layouts (the index entries go; blobs stay). Absent where nothing may be deleted.
   */
  deleteManifest?(digest: Digest): Promise<void>;

  /** Every tag in the repository. */
  listTags(): Promise<string[]>;
}
