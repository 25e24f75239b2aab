/**
 * OCI image layouts are shared with other tools: what signet writes must be readable by umoci and skopeo,
 * and what they write must be readable (and verifiable) by signet.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Digest, type Digest } from "../../src/internal/digest.js";
import { MediaType } from "../../src/oci/manifest/media-types.js";
import { createTestImage, openLayout, type TestImage } from "../../src/oci/layout/index.js";
import { requirePeer } from "../helpers/peers.js";

function run(command: string, args: string[]): string {
  requirePeer(command);
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 60_000 });
  assert.equal(result.status, 0, `${command} ${args.join(" ")} failed: ${result.stderr}${result.error?.message ?? ""}`);
  return result.stdout;
}


let root: string;
let signetDir: string;
let single: TestImage;
let multi: TestImage;
let signatureDigest: Digest;
const SIGNATURE_TAG = `sha256-${"ab".repeat(32)}.sig`;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "signet-peers-"));
  signetDir = join(root, "signet-layout");
  const layout = await openLayout(signetDir, { create: true });
  single = await createTestImage(layout, "v1", { content: "peer check\n" });
  multi = await createTestImage(layout, "multi", { platforms: ["linux/amd64", "linux/arm64"] });
  // A cosign-style signature manifest: empty config, one simple-signing layer, under a .sig tag.
  const payload = Buffer.from('{"critical":{}}');
  const config = Buffer.from("{}");
  await layout.putBlob(payload, sha256Digest(payload));
  await layout.putBlob(config, sha256Digest(config));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: sha256Digest(config), size: config.length },
      layers: [{ mediaType: MediaType.CosignSimpleSigning, digest: sha256Digest(payload), size: payload.length, annotations: { "dev.cosignproject.cosign/signature": "c2ln" } }],
    }),
  );
  signatureDigest = await layout.putManifest(manifest, MediaType.OciManifest, SIGNATURE_TAG);
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("umoci reads layouts signet writes", () => {
  test("umoci ls lists every tag", () => {
    const tags = run("umoci", ["ls", "--layout", signetDir]).split("\n").filter(Boolean).sort();
    assert.deepEqual(tags, ["multi", SIGNATURE_TAG, "v1"].sort());
  });

  test("umoci stat reads the image's config and history", () => {
    const output = run("umoci", ["stat", "--image", `${signetDir}:v1`]);
    assert.match(output, /signet createTestImage/);
  });

  test("umoci unpack extracts the layer's file", () => {
    const bundle = join(root, "bundle");
    run("umoci", ["unpack", "--rootless", "--image", `${signetDir}:v1`, bundle]);
    assert.equal(readFileSync(join(bundle, "rootfs", "hello.txt"), "utf8"), "peer check\n");
  });
});

describe("skopeo reads layouts signet writes", () => {
  test("skopeo inspect reports the manifest digest signet computed", () => {
    const info = JSON.parse(run("skopeo", ["inspect", `oci:${signetDir}:v1`])) as { Digest: string; Architecture: string; Os: string };
    assert.equal(info.Digest, single.digest);
    assert.deepEqual([info.Os, info.Architecture], ["linux", "amd64"]);
  });

  test("skopeo reads the multi-platform index and picks a platform from it", () => {
    const raw = run("skopeo", ["inspect", "--raw", `oci:${signetDir}:multi`]);
    assert.equal(sha256Digest(Buffer.from(raw, "utf8")), multi.digest);
    const arm = JSON.parse(run("skopeo", ["inspect", "--override-arch", "arm64", `oci:${signetDir}:multi`])) as { Architecture: string };
    assert.equal(arm.Architecture, "arm64");
  });

  test("skopeo reads the signature manifest under its .sig tag", () => {
    const raw = run("skopeo", ["inspect", "--raw", `oci:${signetDir}:${SIGNATURE_TAG}`]);
    assert.equal(sha256Digest(Buffer.from(raw, "utf8")), signatureDigest);
  });
});

describe("signet reads layouts peers write", () => {
  test("a layout made by umoci init/new", async () => {
    const dir = join(root, "umoci-layout");
    run("umoci", ["init", "--layout", dir]);
    run("umoci", ["new", "--image", `${dir}:base`]);
    run("umoci", ["config", "--image", `${dir}:base`, "--config.cmd=/bin/true"]);
    const layout = await openLayout(dir);
    assert.deepEqual(await layout.listTags(), ["base"]);
    const manifest = await layout.getManifest("base");
    assert.equal(manifest.mediaType, MediaType.OciManifest);
    const parsed = JSON.parse(manifest.bytes.toString("utf8")) as { config: { digest: Digest; size: number } };
    const config = JSON.parse((await layout.getBlob(parsed.config.digest, parsed.config.size)).toString("utf8")) as { config: { Cmd: string[] } };
    assert.deepEqual(config.config.Cmd, ["/bin/true"]);
  });

  test("a layout made by skopeo copy, which signet can then add to and skopeo still reads", async () => {
    const dir = join(root, "skopeo-layout");
    run("skopeo", ["--insecure-policy", "copy", "--all", `oci:${signetDir}:multi`, `oci:${dir}:copied`]);
    run("skopeo", ["--insecure-policy", "copy", `oci:${signetDir}:v1`, `oci:${dir}:single`]);
    const layout = await openLayout(dir);
    assert.deepEqual(await layout.listTags(), ["copied", "single"]);
    const copied = await layout.getManifest("copied");
    assert.equal(copied.digest, multi.digest, "skopeo keeps the index as it was");
    assert.equal(copied.mediaType, MediaType.OciIndex);
    for (const child of multi.platformManifests) assert.equal((await layout.getManifest(child.digest)).digest, child.digest);
    assert.equal((await layout.getManifest("single")).digest, single.digest);

    // signet adds a tag to skopeo's layout; skopeo still reads both its own tags and signet's.
    const extra = await createTestImage(layout, "added", { content: "added by signet\n" });
    const added = JSON.parse(run("skopeo", ["inspect", `oci:${dir}:added`])) as { Digest: string };
    assert.equal(added.Digest, extra.digest);
    const kept = JSON.parse(run("skopeo", ["inspect", `oci:${dir}:single`])) as { Digest: string };
    assert.equal(kept.Digest, single.digest);
  });
});
