import { SignetError } from "../errors/index.js";
import type { Digest } from "../internal/digest.js";
import { LruCache } from "../internal/lru-cache.js";
import { formatImageLocation, parseImageLocation, repositoryName, type ImageLocation } from "./reference/index.js";
import type { RegistryClient, RegistryClientOptions } from "./registry/index.js";
import type { ManifestBytes, Repository } from "./repository.js";

export type ImageAccessOptions = RegistryClientOptions;

/** An image pinned to a digest, with the repository it lives in. */
export interface ResolvedImage {
  location: ImageLocation;
  repository: Repository;
  digest: Digest;
  /** Set when the digest came from resolving a tag (the caller should say so). */
  resolvedTag: string | undefined;
  /** The repository as cosign names it in payloads (`docker-reference`), without tag or digest. */
  identity: string;
  /** The manifest bytes received when a tag was resolved (their digest is `digest`); absent for a digest reference. */
  manifest?: ManifestBytes;
}

/**
 * Opens images wherever they live, behind one `Repository` interface, and keeps what is worth reusing
 * within a process: one registry client (pooled connections, cached tokens) and one Repository per name.
 */
export class ImageAccess {
  private readonly registryOptions: ImageAccessOptions;
  private client: RegistryClient | undefined;
  /**
   * Repositories opened lately (a registry repository is a few closures; tokens and connections live in the client):
   * bounded, so that a verify or an audit of thousands of repositories holds memory flat in their number.
   */
  private readonly repositories = new LruCache<Promise<Repository>>({ maxEntries: 256 });

  constructor(options: ImageAccessOptions = {}) {
    this.registryOptions = options;
  }

  /** The repository that holds the image at this location. */
  repositoryFor(location: ImageLocation, options: { create?: boolean } = {}): Promise<Repository> {
    const key = location.transport === "oci" ? `oci:${location.path}` : `docker:${repositoryName(location.reference)}`;
    const cached = this.repositories.get(key);
    if (cached !== undefined) return cached;
    // Each backend is loaded on first use: a verify against a registry never loads the layout code, and back.
    const opened: Promise<Repository> =
      location.transport === "oci"
        ? import("./layout/index.js").then(({ openLayout }) => openLayout(location.path, { create: options.create ?? false }))
        : this.registry().then((client) => client.repository(location.reference.registry, location.reference.repository));
    // A failed open is not cached: the next caller gets a fresh attempt and its own error.
    opened.catch(() => this.repositories.delete(key));
    this.repositories.set(key, opened, Number.POSITIVE_INFINITY);
    return opened;
  }

  /** Another repository of the same registry (cosign's COSIGN_REPOSITORY, `signet copy` targets). */
  repositoryByName(text: string): Promise<Repository> {
    return this.repositoryFor(parseImageLocation(text));
  }

  /**
   * Pins an image to a digest. A digest in the reference is used as given (no request); a tag costs one
   * request, a GET whose bytes are hashed: the digest returned is that of the manifest received, never the
   * registry's Docker-Content-Digest claim. It is what later steps verify and report; nothing resolves the tag twice.
   */
  async resolve(text: string | ImageLocation): Promise<ResolvedImage> {
    const location = typeof text === "string" ? parseImageLocation(text) : text;
    const repository = await this.repositoryFor(location);
    const identity = identityOf(location);
    const digest = location.transport === "oci" ? location.digest : location.reference.digest;
    if (digest !== undefined) return { location, repository, digest, resolvedTag: undefined, identity };
    const tag = location.transport === "oci" ? location.tag : location.reference.tag;
    if (tag === undefined) {
      throw new SignetError("REF_INVALID", `${formatImageLocation(location)} names neither a tag nor a digest`);
    }
    // One GET: the digest is of the bytes received (a Docker-Content-Digest naming other bytes is DIGEST_MISMATCH),
    // and the manifest is kept for callers that need it, so it is never fetched twice.
    const manifest = await repository.tryGetManifest(tag);
    if (manifest === undefined) {
      throw new SignetError("REGISTRY_NOT_FOUND", `${repository.displayName}:${tag} does not exist`, { details: { tag } });
    }
    return { location, repository, digest: manifest.digest, resolvedTag: tag, identity, manifest };
  }

  /** The repositories of a registry, from its catalog API (bounded: more than `maxRepositories` is COUNT_LIMIT_EXCEEDED). */
  async listRepositories(registry: string, maxRepositories: number): Promise<string[]> {
    return (await this.registry()).listRepositories(registry, maxRepositories);
  }

  /** Registry requests made so far (benchmarks report requests per verify). */
  requestCount(): number {
    return this.client?.stats.requests ?? 0;
  }

  close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    return client ? client.close() : Promise.resolve();
  }

  private async registry(): Promise<RegistryClient> {
    if (this.client === undefined) {
      const { createRegistryClient } = await import("./registry/client.js");
      this.client ??= createRegistryClient(this.registryOptions);
    }
    return this.client;
  }
}

/**
 * What cosign writes as `docker-reference`: go-containerregistry's `ref.Context().Name()`, which spells
 * Docker Hub as index.docker.io. An OCI layout has no registry name; it is named by its path.
 */
export function identityOf(location: ImageLocation): string {
  if (location.transport === "oci") return `oci:${location.path}`;
  const { registry, repository } = location.reference;
  return `${registry === "docker.io" ? "index.docker.io" : registry}/${repository}`;
}
