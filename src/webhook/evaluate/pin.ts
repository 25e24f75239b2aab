/**
 * Pinning an image to one digest (security case B.13): the digest is resolved once, and that digest is what
 * every authority verifies and what a mutating response writes into the object.
 */
import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import type { ImageAccess } from "../../oci/image-access.js";
import type { ImageReference } from "../../oci/reference/index.js";

/**
 * The digest to verify: the caller's pinned one, else the one written in the reference (no request), else the
 * tag resolved with one request. A pinned digest that contradicts the one written is refused.
 */
export async function resolveImageDigest(reference: ImageReference, access: ImageAccess, pinnedDigest?: Digest): Promise<Digest> {
  if (pinnedDigest !== undefined) {
    if (reference.digest !== undefined && reference.digest !== pinnedDigest) {
      throw new SignetError("DIGEST_MISMATCH", `the image names ${reference.digest} but was pinned to ${pinnedDigest}`);
    }
    return pinnedDigest;
  }
  if (reference.digest !== undefined) return reference.digest;
  return (await access.resolve({ transport: "docker", reference })).digest;
}

/**
 * The image as written, with its tag (and any digest) replaced by `@digest`: "ghcr.io/org/app:1.0" becomes
 * "ghcr.io/org/app@sha256:…", keeping the user's spelling of the registry and repository.
 */
export function pinnedImageText(image: string, digest: Digest): string {
  const at = image.indexOf("@");
  let name = at === -1 ? image : image.slice(0, at);
  const colon = name.lastIndexOf(":");
  if (colon !== -1 && !name.includes("/", colon)) name = name.slice(0, colon);
  return `${name}@${digest}`;
}
