import { SignetError } from "../../../../src/errors/index.js";
import type { ImageAccess, ResolvedImage } from "../../../../src/oci/image-access.js";
import { identityOf } from "../../../../src/oci/image-access.js";
import { parseImageLocation, repositoryName, type ImageLocation } from "../../../../src/oci/reference/index.js";
import type { Repository } from "../../../../src/oci/repository.js";
import { MemoryRepository } from "../../../helpers/memory-repository.js";

/**
 * An ImageAccess over in-memory repositories (one per registry/repository name), counting tag resolutions so
 * tests can check that an image is resolved once. `failing` makes every call fail like a registry that is down.
 */
export class FakeAccess {
  readonly repositories = new Map<string, MemoryRepository>();
  resolutions = 0;
  failing: SignetError | undefined;

  repository(name: string): MemoryRepository {
    let repository = this.repositories.get(name);
    if (repository === undefined) {
      repository = new MemoryRepository();
      Object.defineProperty(repository, "displayName", { value: name });
      this.repositories.set(name, repository);
    }
    return repository;
  }

  async repositoryFor(location: ImageLocation): Promise<Repository> {
    if (this.failing) throw this.failing;
    if (location.transport !== "docker") throw new SignetError("REF_INVALID", "the fake serves registries only");
    return this.repository(repositoryName(location.reference));
  }

  async resolve(text: string | ImageLocation): Promise<ResolvedImage> {
    const location = typeof text === "string" ? parseImageLocation(text) : text;
    if (this.failing) throw this.failing;
    if (location.transport !== "docker") throw new SignetError("REF_INVALID", "the fake serves registries only");
    const repository = this.repository(repositoryName(location.reference));
    const identity = identityOf(location);
    if (location.reference.digest !== undefined) return { location, repository, digest: location.reference.digest, resolvedTag: undefined, identity };
    this.resolutions++;
    const descriptor = await repository.resolveTag(location.reference.tag!);
    if (descriptor === undefined) throw new SignetError("REGISTRY_NOT_FOUND", `${repository.displayName}:${location.reference.tag} does not exist`);
    return { location, repository, digest: descriptor.digest, resolvedTag: location.reference.tag, identity };
  }

  asAccess(): ImageAccess {
    return this as unknown as ImageAccess;
  }
}
