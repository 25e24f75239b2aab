import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { sha256Digest } from "../../../../src/internal/digest.js";
import { MediaType } from "../../../../src/oci/manifest/media-types.js";
import { createTestImage, openLayout, type OciLayoutRepository } from "../../../../src/oci/layout/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

let root: string;
let counter = 0;
before(() => {
  root = mkdtempSync(join(tmpdir(), "signet-test-image-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

function freshLayout(): Promise<OciLayoutRepository> {
  return openLayout(join(root, `layout-${++counter}`), { create: true });
}

interface Manifest {
  mediaType: string;
  config: { digest: string; size: number };
  layers: Array<{ mediaType: string; digest: string; size: number }>;
}

describe("createTestImage", () => {
  test("pushes a config, a gzip layer holding hello.txt, and a tagged OCI manifest", async () => {
    const layout = await freshLayout();
    const image = await createTestImage(layout, "v1", { content: "payload\n" });
    assert.equal(image.manifest.mediaType, MediaType.OciManifest);
    assert.deepEqual(image.platformManifests, []);
    assert.equal((await layout.resolveTag("v1"))?.digest, image.digest);

    const { bytes } = await layout.getManifest("v1");
    assert.equal(bytes.length, image.manifest.size);
    const manifest = JSON.parse(bytes.toString("utf8")) as Manifest;
    assert.equal(manifest.layers.length, 1);
    const config = JSON.parse((await layout.getBlob(manifest.config.digest as never, 10_000)).toString("utf8"));
    assert.deepEqual([config.os, config.architecture], ["linux", "amd64"]);

    const tar = gunzipSync(await layout.getBlob(manifest.layers[0]!.digest as never, 10_000));
    assert.deepEqual(config.rootfs.diff_ids, [sha256Digest(tar)]);
    assert.equal(tar.subarray(0, 9).toString("ascii"), "hello.txt");
    assert.equal(tar.subarray(257, 262).toString("ascii"), "ustar");
    assert.equal(parseInt(tar.subarray(124, 135).toString("ascii"), 8), "payload\n".length);
    assert.equal(tar.subarray(512, 520).toString("utf8"), "payload\n");
    // The header checksum is what tar readers verify.
    const header = Buffer.from(tar.subarray(0, 512));
    const stored = parseInt(header.subarray(148, 154).toString("ascii"), 8);
    header.fill(0x20, 148, 156);
    assert.equal(stored, header.reduce((sum, byte) => sum + byte, 0));
    assert.equal(tar.length % 512, 0);
  });

  test("is deterministic, and different content gives different digests", async () => {
    const a = await createTestImage(await freshLayout(), "t", { content: "same" });
    const b = await createTestImage(await freshLayout(), "t", { content: "same" });
    const c = await createTestImage(await freshLayout(), "t", { content: "different" });
    assert.equal(a.digest, b.digest);
    assert.notEqual(a.digest, c.digest);
  });

  test("with platforms, tags an OCI index over one manifest per platform", async () => {
    const layout = await freshLayout();
    const image = await createTestImage(layout, "multi", { platforms: ["linux/amd64", "linux/arm64/v8"] });
    assert.equal(image.manifest.mediaType, MediaType.OciIndex);
    const top = await layout.getManifest("multi");
    assert.equal(top.mediaType, MediaType.OciIndex);
    assert.equal(top.digest, image.digest);
    const index = JSON.parse(top.bytes.toString("utf8")) as { manifests: Array<{ digest: string; platform: unknown }> };
    assert.deepEqual(index.manifests.map((entry) => entry.platform), [
      { architecture: "amd64", os: "linux" },
      { architecture: "arm64", os: "linux", variant: "v8" },
    ]);
    assert.deepEqual(index.manifests, image.platformManifests);
    assert.notEqual(index.manifests[0]!.digest, index.manifests[1]!.digest);
    for (const entry of image.platformManifests) {
      const child = await layout.getManifest(entry.digest);
      assert.equal(child.mediaType, MediaType.OciManifest);
      assert.equal(child.bytes.length, entry.size);
    }
    assert.deepEqual(await layout.listTags(), ["multi"]);
  });

  test("refuses malformed platforms", async () => {
    const layout = await freshLayout();
    for (const platforms of [[], ["linux"], ["linux/"], ["a/b/c/d"]]) {
      await assertRejectsWithCode(() => createTestImage(layout, "x", { platforms }), "USAGE");
    }
  });
});
