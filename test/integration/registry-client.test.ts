import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sha256Digest, type Digest } from "../../src/internal/digest.js";
import { MediaType } from "../../src/oci/manifest/media-types.js";
import { createRegistryClient, type RegistryClient } from "../../src/oci/registry/client.js";
import { NO_CREDENTIALS } from "../../src/oci/registry/credentials.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
const layer = Buffer.from("layer bytes, not really gzip");
const configDigest = sha256Digest(config);
const layerDigest = sha256Digest(layer);

function imageManifest(mediaType: string, configType: string, layerType: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: configType, digest: configDigest, size: config.length },
      layers: [{ mediaType: layerType, digest: layerDigest, size: layer.length }],
    }),
  );
}

const ociManifest = imageManifest(MediaType.OciManifest, MediaType.OciConfig, MediaType.OciLayerGzip);
const dockerManifest = imageManifest(MediaType.DockerManifest, MediaType.DockerConfig, MediaType.DockerLayerGzip);
const index = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [
      { mediaType: MediaType.OciManifest, digest: sha256Digest(ociManifest), size: ociManifest.length, platform: { architecture: "amd64", os: "linux" } },
      { mediaType: MediaType.DockerManifest, digest: sha256Digest(dockerManifest), size: dockerManifest.length, platform: { architecture: "arm64", os: "linux" } },
    ],
  }),
);

describe("registry client against docker-registry", () => {
  let registry: TestRegistry;
  let client: RegistryClient;

  before(async () => {
    registry = await startRegistry();
    client = createRegistryClient({ credentials: NO_CREDENTIALS });
  });
  after(async () => {
    await client?.close();
    await registry?.stop();
  });

  test("ping", async () => {
    await client.ping(registry.host);
    await client.repository(registry.host, "any/thing").ping();
  });

  test("pushes blobs once: a large blob already present costs one HEAD; a small one is uploaded without asking", async () => {
    const repo = client.repository(registry.host, "test/app");
    assert.equal(await repo.hasBlob(configDigest), false);
    await repo.putBlob(config, configDigest);
    await repo.putBlob(layer, layerDigest);
    assert.equal(await repo.hasBlob(configDigest), true);
    let before = client.stats.requests;
    await repo.putBlob(config, configDigest);
    assert.equal(client.stats.requests - before, 2, "POST + PUT, no HEAD, for a small blob");
    const large = Buffer.alloc(100 * 1024, 7);
    const largeDigest = sha256Digest(large);
    await repo.putBlob(large, largeDigest);
    before = client.stats.requests;
    await repo.putBlob(large, largeDigest);
    assert.equal(client.stats.requests - before, 1, "one HEAD for a large blob already there");
    assert.deepEqual(await repo.getBlob(layerDigest, 1024), layer);
  });

  test("pushes and reads OCI and Docker manifests and an index, by tag and by digest", async () => {
    const repo = client.repository(registry.host, "test/app");
    const ociDigest = await repo.putManifest(ociManifest, MediaType.OciManifest, "oci");
    const dockerDigest = await repo.putManifest(dockerManifest, MediaType.DockerManifest, "docker");
    const indexDigest = await repo.putManifest(index, MediaType.OciIndex, "multi");
    assert.equal(ociDigest, sha256Digest(ociManifest));
    assert.equal(dockerDigest, sha256Digest(dockerManifest));

    for (const [tag, bytes, mediaType, digest] of [
      ["oci", ociManifest, MediaType.OciManifest, ociDigest],
      ["docker", dockerManifest, MediaType.DockerManifest, dockerDigest],
      ["multi", index, MediaType.OciIndex, indexDigest],
    ] as const) {
      const byTag = await repo.getManifest(tag);
      assert.deepEqual(byTag, { bytes, mediaType, digest });
      assert.deepEqual(await repo.getManifest(digest), { bytes, mediaType, digest });
      assert.deepEqual(await repo.resolveTag(tag), { mediaType, digest, size: bytes.length });
      assert.deepEqual(await repo.headManifest(digest), { mediaType, digest, size: bytes.length });
      assert.deepEqual(await repo.tryGetManifest(tag), { bytes, mediaType, digest });
    }
  });

  test("a manifest pushed without a tag is stored by digest", async () => {
    const repo = client.repository(registry.host, "test/untagged");
    await repo.putBlob(config, configDigest);
    await repo.putBlob(layer, layerDigest);
    const digest = await repo.putManifest(ociManifest, MediaType.OciManifest);
    assert.equal((await repo.getManifest(digest)).digest, digest);
    assert.equal(await repo.resolveTag("latest"), undefined);
  });

  test("missing manifests, tags, blobs and repositories", async () => {
    const repo = client.repository(registry.host, "test/app");
    const absent = sha256Digest(Buffer.from("absent")) as Digest;
    assert.equal(await repo.resolveTag("nope"), undefined);
    assert.equal(await repo.headManifest(absent), undefined);
    assert.equal(await repo.tryGetManifest("nope"), undefined);
    assert.equal(await repo.tryGetManifest(absent), undefined);
    const error = await assertRejectsWithCode(() => repo.getManifest("nope"), "REGISTRY_NOT_FOUND");
    assert.equal(error.details.status, 404);
    await assertRejectsWithCode(() => repo.getBlob(absent, 100), "REGISTRY_NOT_FOUND");
    await assertRejectsWithCode(() => client.repository(registry.host, "no/such/repo").listTags(), "REGISTRY_NOT_FOUND");
  });

  test("a blob larger than the caller's limit is refused", async () => {
    const repo = client.repository(registry.host, "test/app");
    await assertRejectsWithCode(() => repo.getBlob(layerDigest, layer.length - 1), "SIZE_LIMIT_EXCEEDED");
  });

  test("lists every tag (this registry ignores ?n= and sends one page)", async () => {
    const pagedClient = createRegistryClient({ credentials: NO_CREDENTIALS, tagPageSize: 2 });
    try {
      const repo = pagedClient.repository(registry.host, "test/tags");
      await repo.putBlob(config, configDigest);
      await repo.putBlob(layer, layerDigest);
      for (const tag of ["a", "b", "c", "d", "e"]) await repo.putManifest(ociManifest, MediaType.OciManifest, tag);
      assert.deepEqual((await repo.listTags()).sort(), ["a", "b", "c", "d", "e"]);
    } finally {
      await pagedClient.close();
    }
  });

  test("mounts a blob from another repository; an unknown blob falls back and is cancelled", async () => {
    const target = client.repository(registry.host, "test/mounted");
    assert.equal(target.registryHost, registry.host);
    assert.equal(target.repositoryName, "test/mounted");
    assert.equal(await target.hasBlob(layerDigest), false);
    assert.equal(await target.mountBlob(layerDigest, "test/app"), true);
    assert.equal(await target.hasBlob(layerDigest), true);
    const unknown = Buffer.from("not in test/app");
    const unknownDigest = sha256Digest(unknown);
    assert.equal(await target.mountBlob(unknownDigest, "test/app"), false);
    assert.equal(await target.hasBlob(unknownDigest), false);
    assert.equal(await target.mountBlob(unknownDigest, "test/app", unknown), true, "the fallback upload completes");
    assert.deepEqual(await target.getBlob(unknownDigest, 100), unknown);
  });

  test("names, tags and digests are checked before any request", async () => {
    const repo = client.repository(registry.host, "test/app");
    const before = client.stats.requests;
    await assertRejectsWithCode(() => client.repository(registry.host, "../etc"), "REF_INVALID");
    await assertRejectsWithCode(() => client.repository("user@evil.example", "app"), "REF_INVALID");
    await assertRejectsWithCode(() => repo.getManifest("sha256:../../x"), "DIGEST_INVALID");
    await assertRejectsWithCode(() => repo.getManifest(`sha256:${"A".repeat(64)}`), "DIGEST_INVALID");
    await assertRejectsWithCode(() => repo.resolveTag("../x"), "REF_INVALID");
    await assertRejectsWithCode(() => repo.getBlob("sha256:" as Digest, 10), "DIGEST_INVALID");
    await assertRejectsWithCode(() => repo.mountBlob(layerDigest, "../other"), "REF_INVALID");
    await assertRejectsWithCode(() => repo.putManifest(ociManifest, MediaType.OciManifest, "bad tag"), "REF_INVALID");
    await assertRejectsWithCode(() => repo.putManifest(ociManifest, "application/vnd.oci.artifact.manifest.v1+json"), "MANIFEST_UNSUPPORTED");
    await assertRejectsWithCode(() => repo.putBlob(layer, configDigest), "DIGEST_MISMATCH");
    assert.equal(client.stats.requests, before);
  });

  test("the registry's own errors keep their message", async () => {
    const repo = client.repository(registry.host, "test/invalid");
    const missingBlobs = imageManifest(MediaType.OciManifest, MediaType.OciConfig, MediaType.OciLayerGzip);
    const error = await assertRejectsWithCode(() => repo.putManifest(missingBlobs, MediaType.OciManifest, "v1"), "REGISTRY_ERROR");
    assert.equal(error.details.status, 400);
    assert.match(error.message, /MANIFEST_BLOB_UNKNOWN|BLOB_UNKNOWN/);
  });

  test("concurrent fetches each count as one request", async () => {
    const repo = client.repository(registry.host, "test/app");
    const before = client.stats.requests;
    await Promise.all(Array.from({ length: 20 }, () => repo.getManifest("oci")));
    assert.equal(client.stats.requests - before, 20);
  });

  test("an unreachable registry is REGISTRY_UNREACHABLE", async () => {
    const closed = createRegistryClient({ credentials: NO_CREDENTIALS, retries: 0 });
    try {
      await assertRejectsWithCode(() => closed.repository("127.0.0.1:1", "app").getManifest("v1"), "REGISTRY_UNREACHABLE");
    } finally {
      await closed.close();
    }
  });
});
