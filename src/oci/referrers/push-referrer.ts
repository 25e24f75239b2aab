import { setTimeout as sleep } from "node:timers/promises";
import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { sha256Digest } from "../../internal/digest.js";
import { goJsonStringify, sortedRecord } from "../../internal/go-json.js";
import type { Descriptor } from "../manifest/descriptor.js";
import { MediaType } from "../manifest/media-types.js";
import type { Repository } from "../repository.js";
import { hasReferrersApi } from "./referrers-api.js";
import { buildReferrersIndex, MAX_REFERRERS, parseReferrersIndex } from "./referrers-index.js";
import { referrersTag } from "./referrers-tag.js";

/** The OCI empty descriptor's content: `{}`. */
export const EMPTY_CONFIG = Buffer.from("{}", "utf8");

export interface ReferrerLayer {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly annotations?: Record<string, string>;
}

export interface ReferrerArtifact {
  /**
   * Written in the manifest. Absent only with `config`: the manifest then names no artifact type and listings
   * take the config's media type (OCI image spec), as cosign's referrer signatures are written.
   */
  readonly artifactType?: string;
  /** A config blob instead of the OCI empty one. */
  readonly config?: { readonly mediaType: string; readonly bytes: Buffer };
  /** The manifest the artifact refers to (its media type, digest and size). */
  readonly subject: Descriptor;
  readonly layers: readonly ReferrerLayer[];
  readonly annotations?: Record<string, string>;
}

export interface PushedReferrer {
  /** The artifact manifest's descriptor, as listed among the subject's referrers. */
  readonly descriptor: Descriptor;
  /** How the subject's referrers list learns of it: the registry's API, or the tag schema's index we updated. */
  readonly listedBy: "referrers-api" | "tag-schema";
  /** For the tag schema: `sha256-<hex>`. */
  readonly tag?: string;
}

/** The bytes of an OCI 1.1 artifact manifest: empty config, the layers, `subject` and `artifactType`. */
export function buildReferrerManifest(artifact: ReferrerArtifact): Buffer {
  if (artifact.artifactType === undefined && artifact.config === undefined) throw new SignetError("INTERNAL", "a referrer needs an artifact type or a config");
  const config = artifact.config ?? { mediaType: MediaType.OciEmpty, bytes: EMPTY_CONFIG };
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    ...(artifact.artifactType === undefined ? {} : { artifactType: artifact.artifactType }),
    config: { mediaType: config.mediaType, size: config.bytes.length, digest: sha256Digest(config.bytes) },
    layers: artifact.layers.map((layer) => {
      const descriptor: Record<string, unknown> = { mediaType: layer.mediaType, size: layer.bytes.length, digest: sha256Digest(layer.bytes) };
      if (layer.annotations !== undefined && Object.keys(layer.annotations).length > 0) descriptor["annotations"] = sortedRecord(layer.annotations);
      return descriptor;
    }),
    subject: { mediaType: artifact.subject.mediaType, size: artifact.subject.size, digest: artifact.subject.digest },
  };
  if (artifact.annotations !== undefined && Object.keys(artifact.annotations).length > 0) manifest["annotations"] = sortedRecord(artifact.annotations);
  return Buffer.from(goJsonStringify(manifest), "utf8");
}

/**
 * Stores an artifact that refers to `subject` (blobs, then the manifest by digest) and makes it discoverable:
 * a registry with the referrers API lists it by itself; otherwise the tag schema's index is updated by
 * read-merge-write (under the layout's lock, or confirmed by re-reading on a registry, as signatures are).
 * `forceTagSchema` updates the tag index even where the API would list it (notation's --force-referrers-tag).
 */
export async function pushReferrer(repository: Repository, artifact: ReferrerArtifact, options: { readonly forceTagSchema?: boolean } = {}): Promise<PushedReferrer> {
  const config = artifact.config?.bytes ?? EMPTY_CONFIG;
  await repository.putBlob(config, sha256Digest(config));
  for (const layer of artifact.layers) await repository.putBlob(layer.bytes, sha256Digest(layer.bytes));
  const manifestBytes = buildReferrerManifest(artifact);
  const digest = await repository.putManifest(manifestBytes, MediaType.OciManifest);
  const descriptor: Descriptor = {
    mediaType: MediaType.OciManifest,
    digest,
    size: manifestBytes.length,
    artifactType: artifact.artifactType ?? artifact.config!.mediaType,
    ...(artifact.annotations !== undefined && Object.keys(artifact.annotations).length > 0 ? { annotations: sortedRecord(artifact.annotations) } : {}),
  };
  return { descriptor, ...(await listReferrer(repository, artifact.subject.digest, descriptor, options)) };
}

/**
 * Makes a referrer manifest already stored in `repository` discoverable from `subject`: a registry with the
 * referrers API lists it by itself; otherwise it is added to the tag schema's index (the fallback), unless there.
 * `forceTagSchema` updates the tag index even where the API would list it (notation's --force-referrers-tag).
 */
export async function listReferrer(repository: Repository, subject: Digest, descriptor: Descriptor, options: { readonly forceTagSchema?: boolean } = {}): Promise<Omit<PushedReferrer, "descriptor">> {
  if (options.forceTagSchema !== true && hasReferrersApi(repository)) {
    const answer = await repository.fetchReferrers(subject);
    if (answer.supported) return { listedBy: "referrers-api" };
  }
  const tag = referrersTag(subject);
  await addToTagIndex(repository, tag, descriptor);
  return { listedBy: "tag-schema", tag };
}

interface TagLocking {
  withTagLock<T>(tag: string, action: () => Promise<T>): Promise<T>;
}

const MAX_ATTEMPTS = 8;

async function addToTagIndex(repository: Repository, tag: string, descriptor: Descriptor): Promise<void> {
  const locking = repository as Partial<TagLocking>;
  if (typeof locking.withTagLock === "function") {
    await locking.withTagLock(tag, () => mergeIntoTagIndex(repository, tag, descriptor));
    return;
  }
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const started = performance.now();
    const written = await mergeIntoTagIndex(repository, tag, descriptor);
    if (!written) return;
    // No compare-and-swap on tags: wait a few read-to-write windows, then check that no other writer dropped ours.
    const window = Math.min(2000, Math.max(40, (performance.now() - started) * 3) * attempt);
    await sleep(window + Math.random() * window);
    if (await isListed(repository, tag, descriptor.digest)) return;
  }
  throw new SignetError("SIG_CONFLICT", `other writers kept replacing ${repository.displayName}:${tag}; the referrer ${descriptor.digest} was not listed after ${MAX_ATTEMPTS} attempts`);
}

/** Adds the descriptor to the index under `tag`; false when it was already listed. */
async function mergeIntoTagIndex(repository: Repository, tag: string, descriptor: Descriptor): Promise<boolean> {
  const where = `${repository.displayName}:${tag}`;
  const current = await repository.tryGetManifest(tag);
  const existing = current === undefined ? [] : parseReferrersIndex(current.bytes, where);
  if (existing.some((d) => d.digest === descriptor.digest)) return false;
  if (existing.length + 1 > MAX_REFERRERS) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `${where} already lists ${existing.length} referrers; at most ${MAX_REFERRERS} are kept`);
  }
  await repository.putManifest(buildReferrersIndex([...existing, descriptor]), MediaType.OciIndex, tag);
  return true;
}

async function isListed(repository: Repository, tag: string, digest: Digest): Promise<boolean> {
  const current = await repository.tryGetManifest(tag);
  return current !== undefined && parseReferrersIndex(current.bytes, `${repository.displayName}:${tag}`).some((d) => d.digest === digest);
}
