import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sha256Digest } from "../../../../src/internal/digest.js";
import { MediaType } from "../../../../src/oci/manifest/media-types.js";
import { attachSignatureLayer, attachSignatureLayers } from "../../../../src/signatures/cosign/attach.js";
import { buildSignatureImage, parseSignatureManifestLayers } from "../../../../src/signatures/cosign/signature-manifest.js";
import { attachmentTag } from "../../../../src/signatures/cosign/tags.js";
import { MemoryRepository } from "../../../helpers/memory-repository.js";

const image = sha256Digest(Buffer.from("image"));
const tag = attachmentTag(image);
const layerInput = (text: string) => ({ payload: Buffer.from(text), annotations: { "dev.cosignproject.cosign/signature": Buffer.from(text).toString("base64") } });
const layersIn = async (repo: MemoryRepository) => parseSignatureManifestLayers((await repo.getManifest(tag)).bytes).map((l) => repo.blobs.get(l.digest)!.toString());

describe("attachSignatureLayer", () => {
  test("appends to what is there and is idempotent for the same layer", async () => {
    const repo = new MemoryRepository();
    assert.equal((await attachSignatureLayer(repo, image, layerInput("a"))).added, true);
    assert.equal((await attachSignatureLayer(repo, image, layerInput("b"))).added, true);
    const again = await attachSignatureLayer(repo, image, layerInput("a"));
    assert.equal(again.added, false);
    assert.deepEqual(await layersIn(repo), ["a", "b"]);
  });

  test("a layer dropped by a concurrent writer is noticed on confirmation and merged again", async () => {
    const repo = new MemoryRepository();
    let interfered = false;
    repo.onPutManifest = (putTag) => {
      if (putTag !== tag || interfered) return;
      interfered = true;
      // Another signer, who read the manifest before our write, now overwrites it with only its own layer.
      const other = Buffer.from("other");
      repo.blobs.set(sha256Digest(other), other);
      const image2 = buildSignatureImage([{ mediaType: MediaType.CosignSimpleSigning, digest: sha256Digest(other), size: other.length }]);
      repo.blobs.set(image2.configDigest, image2.configBytes);
      const digest = sha256Digest(image2.manifestBytes);
      repo.manifests.set(digest, { bytes: image2.manifestBytes, mediaType: MediaType.OciManifest });
      repo.tags.set(tag, digest);
    };
    const result = await attachSignatureLayer(repo, image, layerInput("mine"));
    assert.equal(result.added, true);
    assert.deepEqual((await layersIn(repo)).sort(), ["mine", "other"]);
  });

  test("in a batch, each image is confirmed only after a concurrent writer landing a little after its write could have", async () => {
    const repo = new MemoryRepository();
    const images = Array.from({ length: 20 }, (_, i) => sha256Digest(Buffer.from(`image ${i}`)));
    const first = attachmentTag(images[0]!);
    let interfered = false;
    repo.onPutManifest = (putTag) => {
      if (putTag !== first || interfered) return;
      interfered = true;
      // Another signer read the manifest before our write and lands its own 10 ms later (asynchronously,
      // while our batch is still writing the other images).
      const other = Buffer.from("other");
      setTimeout(() => {
        repo.blobs.set(sha256Digest(other), other);
        const image2 = buildSignatureImage([{ mediaType: MediaType.CosignSimpleSigning, digest: sha256Digest(other), size: other.length }]);
        repo.blobs.set(image2.configDigest, image2.configBytes);
        const digest = sha256Digest(image2.manifestBytes);
        repo.manifests.set(digest, { bytes: image2.manifestBytes, mediaType: MediaType.OciManifest });
        repo.tags.set(first, digest);
      }, 10);
    };
    const outcomes = await attachSignatureLayers(images.map((imageDigest, i) => ({ repository: repo, imageDigest, input: layerInput(`mine ${i}`) })), 4);
    assert.ok(outcomes.every((o) => !("code" in o)), JSON.stringify(outcomes));
    const layers = parseSignatureManifestLayers((await repo.getManifest(first)).bytes).map((l) => repo.blobs.get(l.digest)!.toString());
    assert.deepEqual(layers.sort(), ["mine 0", "other"]);
  });

  test("a writer that keeps losing gets SIG_CONFLICT, not a false success", async () => {
    const repo = new MemoryRepository();
    repo.onPutManifest = (putTag) => {
      if (putTag === tag) repo.tags.delete(tag);
    };
    const [outcome] = await attachSignatureLayers([{ repository: repo, imageDigest: image, input: layerInput("x"), options: { maxAttempts: 2 } }]);
    assert.ok(outcome && "code" in outcome && outcome.code === "SIG_CONFLICT");
  });

  test("the layer count is bounded", async () => {
    const repo = new MemoryRepository();
    const outcomes = await attachSignatureLayers(Array.from({ length: 101 }, (_, i) => ({ repository: repo, imageDigest: image, input: layerInput(`s${i}`) })), 1);
    assert.equal(outcomes.filter((o) => "code" in o && o.code === "COUNT_LIMIT_EXCEEDED").length, 1);
  });
});
