import { SignetError } from "../../src/errors/index.js";
import { sha256Digest, verifyDigest, type Digest } from "../../src/internal/digest.js";
import type { Descriptor } from "../../src/oci/manifest/descriptor.js";
import type { ManifestBytes, Repository } from "../../src/oci/repository.js";

/**
 * An in-memory Repository for unit tests, like a registry without compare-and-swap: `onPutManifest` lets a
 * test act as another signer at the worst moment.
 */
export class MemoryRepository implements Repository {
  readonly displayName = "memory";
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  readonly tags = new Map<string, Digest>();
  onPutManifest: ((tag: string | undefined) => void) | undefined;

  async resolveTag(tag: string): Promise<Descriptor | undefined> {
    const digest = this.tags.get(tag);
    if (digest === undefined) return undefined;
    const manifest = this.manifests.get(digest)!;
    return { mediaType: manifest.mediaType, digest, size: manifest.bytes.length };
  }
  async getManifest(reference: string): Promise<ManifestBytes> {
    const found = await this.tryGetManifest(reference);
    if (!found) throw new SignetError("REGISTRY_NOT_FOUND", `${reference} not found`);
    return found;
  }
  async tryGetManifest(reference: string): Promise<ManifestBytes | undefined> {
    const digest = (reference.includes(":") ? reference : this.tags.get(reference)) as Digest | undefined;
    const manifest = digest && this.manifests.get(digest);
    return manifest ? { bytes: manifest.bytes, mediaType: manifest.mediaType, digest: digest! } : undefined;
  }
  async putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<Digest> {
    const digest = sha256Digest(bytes);
    this.manifests.set(digest, { bytes, mediaType });
    if (tag !== undefined) this.tags.set(tag, digest);
    this.onPutManifest?.(tag);
    return digest;
  }
  async hasBlob(digest: Digest): Promise<boolean> {
    return this.blobs.has(digest);
  }
  async getBlob(digest: Digest): Promise<Buffer> {
    const bytes = this.blobs.get(digest);
    if (!bytes) throw new SignetError("REGISTRY_NOT_FOUND", `${digest} not found`);
    return bytes;
  }
  async putBlob(bytes: Buffer, digest: Digest): Promise<void> {
    verifyDigest(bytes, digest);
    this.blobs.set(digest, bytes);
  }
  async listTags(): Promise<string[]> {
    return [...this.tags.keys()];
  }
}
