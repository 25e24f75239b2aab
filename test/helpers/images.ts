import { ImageAccess } from "../../src/oci/image-access.js";
import { createTestImage } from "../../src/oci/layout/test-image.js";
import type { Digest } from "../../src/internal/digest.js";

/** Pushes a tiny deterministic image (different `content`, different digest) to a registry; returns its digest. */
export async function pushTestImage(registryHost: string, repository: string, tag: string, content = "hello", platforms?: string[]): Promise<Digest> {
  const access = new ImageAccess();
  try {
    const repo = await access.repositoryByName(`${registryHost}/${repository}`);
    const image = await createTestImage(repo, tag, platforms ? { content, platforms } : { content });
    return image.digest;
  } finally {
    await access.close();
  }
}
