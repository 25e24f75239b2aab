/**
 * Docker Content Trust for an image in a registry (I/O): the tag's signed digest from the Notary server, checked
 * against the digest the registry serves for the tag (a re-pointed tag is rejected), as `docker pull` with
 * DOCKER_CONTENT_TRUST=1 does. An image named by digest alone is accepted when some tag signed in the trust
 * data names that digest.
 */
import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import type { ImageAccess } from "../../oci/image-access.js";
import { formatImageReference, repositoryName, type ImageReference } from "../../oci/reference/index.js";
import { verifyNotaryTag, type NotaryFetch, type NotaryTagVerification } from "./notary-client.js";
import { verifyTargetDigest } from "./verify-trust-data.js";

export interface DctOptions {
  readonly server: string;
  readonly trustDir: string;
  readonly now?: Date;
  readonly timeoutMs?: number;
  readonly fetch?: NotaryFetch;
}

export interface DctImageVerification extends NotaryTagVerification {
  readonly image: string;
  /** The digest the registry serves (the one verified). */
  readonly digest: Digest;
}

/** Docker's GUN for an image: the registry host and repository, as `docker trust` names it (docker.io/library/alpine). */
export function dockerGun(reference: ImageReference): string {
  return repositoryName(reference);
}

/** Verifies the trust data of `reference` and that the registry serves the signed digest; `digest` skips resolving. */
export async function verifyImageDct(reference: ImageReference, options: DctOptions & { readonly access?: ImageAccess; readonly digest?: Digest }): Promise<DctImageVerification> {
  const image = formatImageReference(reference);
  const gun = dockerGun(reference);
  let digest = options.digest ?? reference.digest;
  if (digest === undefined) {
    if (options.access === undefined) throw new SignetError("INTERNAL", "verifyImageDct needs an ImageAccess to resolve a tag");
    digest = (await options.access.resolve({ transport: "docker", reference })).digest;
  }
  const common = { server: options.server, gun, trustDir: options.trustDir, ...(options.now !== undefined ? { now: options.now } : {}), ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), ...(options.fetch !== undefined ? { fetch: options.fetch } : {}) };
  const verification = await verifyNotaryTag(reference.tag !== undefined ? { ...common, tag: reference.tag } : { ...common, digest });
  verifyTargetDigest(verification.target, digest, image);
  return { ...verification, image, digest };
}
