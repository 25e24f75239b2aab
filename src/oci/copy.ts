import type { Digest } from "../internal/digest.js";
import { COPY_BLOB_LIMIT_BYTES, LIMITS } from "../internal/limits.js";
import { mapConcurrently } from "../internal/concurrency.js";
import type { Descriptor } from "./manifest/descriptor.js";
import { parseManifest } from "./manifest/parse.js";
import { listReferrer } from "./referrers/push-referrer.js";
import { readReferrerTree, type ReferrerNode } from "./referrers/read-referrers.js";
import type { Repository } from "./repository.js";

/** A registry repository that can mount a blob from another repository of the same registry. */
interface BlobMounting {
  mountBlob(digest: Digest, fromRepository: string): Promise<boolean>;
  readonly registryHost?: string;
  readonly repositoryName?: string;
}

export interface CopyStats {
  manifests: number;
  blobsCopied: number;
  blobsSkipped: number;
}

/**
 * Copies a manifest and everything it references (child manifests of an index, config and layers) from one
 * repository to another, children first so the destination never holds a manifest whose content is missing.
 * Bytes are copied as they are: digests stay the same.
 */
export async function copyManifestTree(source: Repository, destination: Repository, digest: Digest, tag?: string, stats: CopyStats = newStats()): Promise<CopyStats> {
  const manifest = await source.getManifest(digest);
  const parsed = parseManifest(manifest.bytes, manifest.mediaType);
  if (parsed.kind === "index") {
    for (const child of parsed.manifests) await copyManifestTree(source, destination, child.digest, undefined, stats);
  } else {
    const blobs: Descriptor[] = [parsed.config, ...parsed.layers];
    await mapConcurrently(blobs, 4, (blob) => copyBlob(source, destination, blob, stats));
  }
  await destination.putManifest(manifest.bytes, manifest.mediaType, tag);
  stats.manifests++;
  return stats;
}

async function copyBlob(source: Repository, destination: Repository, blob: Descriptor, stats: CopyStats): Promise<void> {
  if (await destination.hasBlob(blob.digest)) {
    stats.blobsSkipped++;
    return;
  }
  if (await tryMount(source, destination, blob.digest)) {
    stats.blobsCopied++;
    return;
  }
  const bytes = await source.getBlob(blob.digest, Math.min(COPY_BLOB_LIMIT_BYTES, Math.max(blob.size, LIMITS.configBytes)));
  await destination.putBlob(bytes, blob.digest);
  stats.blobsCopied++;
}

/** Cross-repository mount: no bytes move when both repositories are on one registry. */
async function tryMount(source: Repository, destination: Repository, digest: Digest): Promise<boolean> {
  const from = source as Partial<BlobMounting>;
  const to = destination as Partial<BlobMounting>;
  if (typeof to.mountBlob !== "function" || from.registryHost === undefined || from.registryHost !== to.registryHost || from.repositoryName === undefined) return false;
  return to.mountBlob(digest, from.repositoryName);
}

function newStats(): CopyStats {
  return { manifests: 0, blobsCopied: 0, blobsSkipped: 0 };
}

export interface CopiedReferrer {
  /** The manifest it refers to. */
  readonly subject: Digest;
  readonly digest: Digest;
  readonly artifactType?: string;
  /** How the destination lists it: its referrers API, or the tag schema's index (the fallback) under `tag`. */
  readonly listedBy: "referrers-api" | "tag-schema";
  readonly tag?: string;
}

/**
 * Copies the OCI referrers of `subject` (sigstore bundles, attestations, Notation signatures, SBOMs: every
 * artifactType), and theirs in turn (readReferrerTree), to `destination`: each referrer's manifest tree by digest,
 * parents first, then listed there through the referrers API or, for a registry or layout without it, the
 * referrers tag schema's index. Only manifests that name their subject are copied; the listing is untrusted.
 */
export async function copyReferrers(source: Repository, destination: Repository, subject: Digest, stats: CopyStats = newStats()): Promise<CopiedReferrer[]> {
  const copied: CopiedReferrer[] = [];
  const copy = async (nodes: readonly ReferrerNode[]): Promise<void> => {
    for (const node of nodes) {
      await copyManifestTree(source, destination, node.descriptor.digest, undefined, stats);
      const listed = await listReferrer(destination, node.subject, node.descriptor);
      copied.push({ subject: node.subject, digest: node.descriptor.digest, ...(node.descriptor.artifactType !== undefined ? { artifactType: node.descriptor.artifactType } : {}), ...listed });
      await copy(node.referrers);
    }
  };
  await copy((await readReferrerTree(source, subject)).referrers);
  return copied;
}
