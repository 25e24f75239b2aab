import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256Digest, type Digest } from "../../../../src/internal/digest.js";
import { LIMITS } from "../../../../src/internal/limits.js";
import { MediaType } from "../../../../src/oci/manifest/media-types.js";
import { openLayout, REF_NAME_ANNOTATION, type OciLayoutRepository } from "../../../../src/oci/layout/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

let root: string;
let counter = 0;

before(() => {
  root = mkdtempSync(join(tmpdir(), "signet-layout-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

function freshPath(): string {
  return join(root, `layout-${++counter}`);
}

async function freshLayout(): Promise<OciLayoutRepository> {
  return openLayout(freshPath(), { create: true });
}

function manifestBytes(seed: string, withMediaType = true): Buffer {
  const config = { mediaType: MediaType.OciConfig, digest: sha256Digest(Buffer.from(seed)), size: seed.length };
  return Buffer.from(JSON.stringify({ schemaVersion: 2, ...(withMediaType ? { mediaType: MediaType.OciManifest } : {}), config, layers: [] }));
}

function readIndexFile(path: string): { manifests: Array<{ digest: string; annotations?: Record<string, string> }>; [key: string]: unknown } {
  return JSON.parse(readFileSync(join(path, "index.json"), "utf8"));
}

function blobFile(path: string, digest: string): string {
  return join(path, "blobs", "sha256", digest.slice("sha256:".length));
}

const TRAVERSAL_DIGESTS = [
  "sha256:../../../etc/passwd",
  `sha256:${"A".repeat(64)}`,
  `sha256:${"a".repeat(63)}`,
  `md5:${"a".repeat(32)}`,
  "../index.json",
  `sha256/../../${"a".repeat(64)}`,
];

describe("openLayout", () => {
  test("create writes oci-layout, an empty index.json and blobs/sha256", async () => {
    const path = freshPath();
    const layout = await openLayout(path, { create: true });
    assert.equal(layout.displayName, `oci:${path}`);
    assert.deepEqual(JSON.parse(readFileSync(join(path, "oci-layout"), "utf8")), { imageLayoutVersion: "1.0.0" });
    assert.deepEqual(readIndexFile(path), { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] });
    assert.ok(statSync(join(path, "blobs", "sha256")).isDirectory());
    assert.deepEqual(await layout.listTags(), []);
  });

  test("create on an existing layout keeps its index", async () => {
    const path = freshPath();
    const first = await openLayout(path, { create: true });
    await first.putManifest(manifestBytes("keep"), MediaType.OciManifest, "keep");
    const again = await openLayout(path, { create: true });
    assert.deepEqual(await again.listTags(), ["keep"]);
  });

  test("a missing directory is LAYOUT_INVALID without create", async () => {
    const error = await assertRejectsWithCode(() => openLayout(join(root, "does-not-exist")), "LAYOUT_INVALID");
    assert.match(error.message, /does not exist/);
  });

  test("a directory without oci-layout is LAYOUT_INVALID", async () => {
    const path = freshPath();
    mkdirSync(path);
    const error = await assertRejectsWithCode(() => openLayout(path), "LAYOUT_INVALID");
    assert.match(error.message, /no oci-layout file/);
  });

  test("a file is LAYOUT_INVALID, with or without create", async () => {
    const path = freshPath();
    writeFileSync(path, "not a directory");
    await assertRejectsWithCode(() => openLayout(path), "LAYOUT_INVALID");
    await assertRejectsWithCode(() => openLayout(path, { create: true }), "LAYOUT_INVALID");
  });

  const broken: Array<[string, (path: string) => void, RegExp]> = [
    ["an unknown layout version", (path) => writeFileSync(join(path, "oci-layout"), '{"imageLayoutVersion":"2.0.0"}'), /imageLayoutVersion "2\.0\.0"/],
    ["oci-layout that is not JSON", (path) => writeFileSync(join(path, "oci-layout"), "{"), /not valid JSON/],
    ["no index.json", (path) => rmSync(join(path, "index.json")), /has no index\.json/],
    ["index.json that is not JSON", (path) => writeFileSync(join(path, "index.json"), "[1,"), /not valid JSON/],
    ["index.json without manifests", (path) => writeFileSync(join(path, "index.json"), '{"schemaVersion":2}'), /"manifests"/],
    ["index.json of schemaVersion 1", (path) => writeFileSync(join(path, "index.json"), '{"schemaVersion":1,"manifests":[]}'), /schemaVersion 1/],
    [
      "an index entry with a traversal digest",
      (path) =>
        writeFileSync(
          join(path, "index.json"),
          JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaType.OciManifest, digest: "sha256:../../../etc/passwd", size: 1 }] }),
        ),
      /manifests\[0\] has an invalid digest/,
    ],
    [
      "an index entry with a negative size",
      (path) =>
        writeFileSync(
          join(path, "index.json"),
          JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaType.OciManifest, digest: `sha256:${"a".repeat(64)}`, size: -1 }] }),
        ),
      /size/,
    ],
  ];
  for (const [name, breakIt, message] of broken) {
    test(`${name} is LAYOUT_INVALID`, async () => {
      const path = freshPath();
      await openLayout(path, { create: true });
      breakIt(path);
      const error = await assertRejectsWithCode(() => openLayout(path), "LAYOUT_INVALID");
      assert.match(error.message, message);
    });
  }

  test("an index.json with too many entries is COUNT_LIMIT_EXCEEDED", async () => {
    const path = freshPath();
    await openLayout(path, { create: true });
    const entry = { mediaType: MediaType.OciManifest, digest: `sha256:${"a".repeat(64)}`, size: 1 };
    writeFileSync(join(path, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: Array(LIMITS.indexManifests + 1).fill(entry) }));
    await assertRejectsWithCode(() => openLayout(path), "COUNT_LIMIT_EXCEEDED");
  });
});

describe("blobs", () => {
  test("putBlob, hasBlob and getBlob round-trip; a second put is a no-op", async () => {
    const layout = await freshLayout();
    const bytes = Buffer.from("some blob");
    const digest = sha256Digest(bytes);
    assert.equal(await layout.hasBlob(digest), false);
    await layout.putBlob(bytes, digest);
    await layout.putBlob(bytes, digest);
    assert.equal(await layout.hasBlob(digest), true);
    assert.deepEqual(await layout.getBlob(digest, 100), bytes);
    assert.deepEqual(readFileSync(blobFile(layout.path, digest)), bytes);
  });

  test("sha512 blobs live under blobs/sha512", async () => {
    const layout = await freshLayout();
    const { computeDigest } = await import("../../../../src/internal/digest.js");
    const bytes = Buffer.from("five twelve");
    const digest = computeDigest(bytes, "sha512");
    await layout.putBlob(bytes, digest);
    assert.ok(existsSync(join(layout.path, "blobs", "sha512", digest.slice("sha512:".length))));
    assert.deepEqual(await layout.getBlob(digest, 100), bytes);
  });

  test("putBlob refuses bytes that do not match the digest", async () => {
    const layout = await freshLayout();
    await assertRejectsWithCode(() => layout.putBlob(Buffer.from("a"), sha256Digest(Buffer.from("b"))), "DIGEST_MISMATCH");
    assert.deepEqual(readdirSync(join(layout.path, "blobs", "sha256")), []);
  });

  test("a corrupt blob is DIGEST_MISMATCH", async () => {
    const layout = await freshLayout();
    const bytes = Buffer.from("original");
    const digest = sha256Digest(bytes);
    await layout.putBlob(bytes, digest);
    writeFileSync(blobFile(layout.path, digest), "tampered");
    await assertRejectsWithCode(() => layout.getBlob(digest, 100), "DIGEST_MISMATCH");
  });

  test("a blob larger than maxBytes is SIZE_LIMIT_EXCEEDED", async () => {
    const layout = await freshLayout();
    const bytes = Buffer.alloc(1000, 7);
    const digest = sha256Digest(bytes);
    await layout.putBlob(bytes, digest);
    await assertRejectsWithCode(() => layout.getBlob(digest, 999), "SIZE_LIMIT_EXCEEDED");
    assert.equal((await layout.getBlob(digest, 1000)).length, 1000);
  });

  test("a missing blob is REGISTRY_NOT_FOUND", async () => {
    const layout = await freshLayout();
    await assertRejectsWithCode(() => layout.getBlob(sha256Digest(Buffer.from("nothing")), 100), "REGISTRY_NOT_FOUND");
  });

  test("a FIFO in place of a blob is refused without blocking", { skip: spawnSync("mkfifo", ["--version"]).status !== 0 }, async () => {
    const layout = await freshLayout();
    const digest = sha256Digest(Buffer.from("fifo"));
    assert.equal(spawnSync("mkfifo", [blobFile(layout.path, digest)]).status, 0);
    await assertRejectsWithCode(() => layout.getBlob(digest, 100), "LAYOUT_INVALID");
  });

  for (const digest of TRAVERSAL_DIGESTS) {
    test(`digest ${JSON.stringify(digest.slice(0, 40))} never reaches a path`, async () => {
      const layout = await freshLayout();
      await assertRejectsWithCode(() => layout.hasBlob(digest as Digest), "DIGEST_INVALID");
      await assertRejectsWithCode(() => layout.getBlob(digest as Digest, 100), "DIGEST_INVALID");
      await assertRejectsWithCode(() => layout.putBlob(Buffer.from("x"), digest as Digest), "DIGEST_INVALID");
    });
  }
});

describe("manifests and tags", () => {
  test("putManifest with a tag, then resolveTag, getManifest by tag and by digest", async () => {
    const layout = await freshLayout();
    const bytes = manifestBytes("one");
    const digest = await layout.putManifest(bytes, MediaType.OciManifest, "v1");
    assert.equal(digest, sha256Digest(bytes));
    assert.deepEqual(await layout.resolveTag("v1"), {
      mediaType: MediaType.OciManifest,
      digest,
      size: bytes.length,
      annotations: { [REF_NAME_ANNOTATION]: "v1" },
    });
    for (const reference of ["v1", digest]) {
      const manifest = await layout.getManifest(reference);
      assert.deepEqual(manifest.bytes, bytes);
      assert.equal(manifest.digest, digest);
      assert.equal(manifest.mediaType, MediaType.OciManifest);
    }
    assert.deepEqual(await layout.listTags(), ["v1"]);
  });

  test("the media type comes from index.json's descriptor when it lists the manifest", async () => {
    const layout = await freshLayout();
    const bytes = manifestBytes("docker", false);
    const digest = await layout.putManifest(bytes, MediaType.DockerManifest, "d");
    assert.equal((await layout.getManifest("d")).mediaType, MediaType.DockerManifest);
    assert.equal((await layout.getManifest(digest)).mediaType, MediaType.DockerManifest);
  });

  test("an untagged put stores only the blob; the media type then comes from the manifest", async () => {
    const layout = await freshLayout();
    const before = readFileSync(join(layout.path, "index.json"));
    const withType = await layout.putManifest(manifestBytes("a"), MediaType.OciManifest);
    const withoutType = await layout.putManifest(manifestBytes("b", false), MediaType.OciManifest);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));
    const indexDigest = await layout.putManifest(index, MediaType.OciIndex);
    assert.deepEqual(readFileSync(join(layout.path, "index.json")), before);
    assert.equal(await layout.hasBlob(withType), true);
    assert.equal((await layout.getManifest(withType)).mediaType, MediaType.OciManifest);
    assert.equal((await layout.getManifest(withoutType)).mediaType, MediaType.OciManifest);
    assert.equal((await layout.getManifest(indexDigest)).mediaType, MediaType.OciIndex);
    assert.deepEqual(await layout.listTags(), []);
  });

  test("a tag moves to the new manifest, in place, and other entries stay", async () => {
    const layout = await freshLayout();
    await layout.putManifest(manifestBytes("first"), MediaType.OciManifest, "a");
    await layout.putManifest(manifestBytes("other"), MediaType.OciManifest, "b");
    const second = await layout.putManifest(manifestBytes("second"), MediaType.OciManifest, "a");
    const index = readIndexFile(layout.path);
    assert.deepEqual(
      index.manifests.map((entry) => entry.annotations?.[REF_NAME_ANNOTATION]),
      ["a", "b"],
    );
    assert.equal(index.manifests[0]!.digest, second);
    assert.equal((await layout.resolveTag("a"))?.digest, second);
  });

  test("duplicate tags left by another tool collapse into one on the next put", async () => {
    const layout = await freshLayout();
    const digest = await layout.putManifest(manifestBytes("x"), MediaType.OciManifest);
    const entry = (tag: string) => ({ mediaType: MediaType.OciManifest, digest, size: manifestBytes("x").length, annotations: { [REF_NAME_ANNOTATION]: tag } });
    writeFileSync(join(layout.path, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [entry("t"), entry("u"), entry("t")] }));
    assert.deepEqual(await layout.listTags(), ["t", "u"]);
    const moved = await layout.putManifest(manifestBytes("y"), MediaType.OciManifest, "t");
    assert.deepEqual(
      readIndexFile(layout.path).manifests.map((item) => [item.annotations?.[REF_NAME_ANNOTATION], item.digest === moved]),
      [["t", true], ["u", false]],
    );
  });

  test("fields of index.json that signet does not know are kept", async () => {
    const layout = await freshLayout();
    const index = readIndexFile(layout.path);
    writeFileSync(join(layout.path, "index.json"), JSON.stringify({ ...index, annotations: { "org.example": "kept" }, extra: [1, 2] }));
    await layout.putManifest(manifestBytes("k"), MediaType.OciManifest, "k");
    const written = readIndexFile(layout.path);
    assert.deepEqual(written.annotations, { "org.example": "kept" });
    assert.deepEqual(written.extra, [1, 2]);
  });

  test("a missing tag or digest: tryGetManifest is undefined, getManifest REGISTRY_NOT_FOUND", async () => {
    const layout = await freshLayout();
    const absent = sha256Digest(Buffer.from("absent"));
    assert.equal(await layout.resolveTag("nope"), undefined);
    assert.equal(await layout.tryGetManifest("nope"), undefined);
    assert.equal(await layout.tryGetManifest(absent), undefined);
    await assertRejectsWithCode(() => layout.getManifest("nope"), "REGISTRY_NOT_FOUND");
    await assertRejectsWithCode(() => layout.getManifest(absent), "REGISTRY_NOT_FOUND");
  });

  test("a manifest listed in index.json without its blob is LAYOUT_INVALID", async () => {
    const layout = await freshLayout();
    const digest = await layout.putManifest(manifestBytes("gone"), MediaType.OciManifest, "gone");
    rmSync(blobFile(layout.path, digest));
    await assertRejectsWithCode(() => layout.getManifest("gone"), "LAYOUT_INVALID");
  });

  test("a corrupt manifest is DIGEST_MISMATCH, by tag and by digest", async () => {
    const layout = await freshLayout();
    const digest = await layout.putManifest(manifestBytes("orig"), MediaType.OciManifest, "t");
    writeFileSync(blobFile(layout.path, digest), manifestBytes("evil"));
    await assertRejectsWithCode(() => layout.getManifest("t"), "DIGEST_MISMATCH");
    await assertRejectsWithCode(() => layout.getManifest(digest), "DIGEST_MISMATCH");
    await assertRejectsWithCode(() => layout.tryGetManifest("t"), "DIGEST_MISMATCH");
  });

  test("an oversized manifest is SIZE_LIMIT_EXCEEDED, whether index.json tells its size or not", async () => {
    const layout = await freshLayout();
    const huge = Buffer.alloc(LIMITS.manifestBytes + 1, 0x20);
    const digest = sha256Digest(huge);
    writeFileSync(blobFile(layout.path, digest), huge);
    await assertRejectsWithCode(() => layout.getManifest(digest), "SIZE_LIMIT_EXCEEDED");
    const descriptor = { mediaType: MediaType.OciManifest, digest, size: huge.length, annotations: { [REF_NAME_ANNOTATION]: "huge" } };
    writeFileSync(join(layout.path, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [descriptor] }));
    await assertRejectsWithCode(() => layout.getManifest("huge"), "SIZE_LIMIT_EXCEEDED");
    // An index entry that understates the size does not help: the file itself is bounded.
    writeFileSync(join(layout.path, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ ...descriptor, size: 10 }] }));
    await assertRejectsWithCode(() => layout.getManifest("huge"), "SIZE_LIMIT_EXCEEDED");
    await assertRejectsWithCode(() => layout.putManifest(huge, MediaType.OciManifest, "huge"), "SIZE_LIMIT_EXCEEDED");
  });

  test("putManifest refuses an invalid tag before writing", async () => {
    const layout = await freshLayout();
    for (const tag of ["", "../x", "a/b", ".hidden", "a".repeat(129)]) {
      await assertRejectsWithCode(() => layout.putManifest(manifestBytes("t"), MediaType.OciManifest, tag), "REF_INVALID");
    }
    assert.deepEqual(readdirSync(join(layout.path, "blobs", "sha256")), []);
  });

  for (const digest of TRAVERSAL_DIGESTS.filter((item) => item.includes(":"))) {
    test(`getManifest(${JSON.stringify(digest.slice(0, 40))}) is DIGEST_INVALID`, async () => {
      const layout = await freshLayout();
      await assertRejectsWithCode(() => layout.getManifest(digest), "DIGEST_INVALID");
    });
  }
});

describe("updateIndex", () => {
  test("returns what the mutator returns, and does not rewrite an unchanged index", async () => {
    const layout = await freshLayout();
    const indexPath = join(layout.path, "index.json");
    const inode = statSync(indexPath).ino;
    assert.equal(await layout.updateIndex((index) => index.manifests.length), 0);
    assert.equal(statSync(indexPath).ino, inode);
    await layout.updateIndex((index) => {
      index.annotations = { note: "changed" };
    });
    assert.notEqual(statSync(indexPath).ino, inode, "a changed index is replaced by rename");
    assert.deepEqual(readIndexFile(layout.path).annotations, { note: "changed" });
  });

  test("a throwing mutator leaves the index as it was and releases the lock", async () => {
    const layout = await freshLayout();
    const before = readFileSync(join(layout.path, "index.json"));
    await assert.rejects(
      layout.updateIndex((index) => {
        index.manifests.push({ mediaType: "x", digest: sha256Digest(Buffer.from("x")), size: 1 });
        throw new Error("mutator failed");
      }),
      /mutator failed/,
    );
    assert.deepEqual(readFileSync(join(layout.path, "index.json")), before);
    assert.equal(existsSync(join(layout.path, "index.json.lock")), false);
    assert.equal(await layout.updateIndex(() => "next"), "next");
  });

  test("a mutator that breaks the index shape is refused before anything is written", async () => {
    const layout = await freshLayout();
    await assertRejectsWithCode(
      () =>
        layout.updateIndex((index) => {
          index.manifests.push({ mediaType: "x", digest: "sha256:../../x" as Digest, size: 1 });
        }),
      "LAYOUT_INVALID",
    );
    assert.deepEqual(readIndexFile(layout.path).manifests, []);
  });

  test("50 concurrent tagged puts through two repository objects lose nothing", async () => {
    const path = freshPath();
    const first = await openLayout(path, { create: true });
    const second = await openLayout(path);
    const tags = Array.from({ length: 50 }, (_, i) => `tag-${i}`);
    await Promise.all(tags.map((tag, i) => (i % 2 === 0 ? first : second).putManifest(manifestBytes(tag), MediaType.OciManifest, tag)));
    assert.deepEqual(await first.listTags(), [...tags].sort());
    const leftovers = readdirSync(path).filter((name) => name !== "blobs" && name !== "index.json" && name !== "oci-layout");
    assert.deepEqual(leftovers, [], "no lock or temporary files remain");
  });

  test("three processes updating the same index concurrently lose nothing", async () => {
    const path = freshPath();
    await openLayout(path, { create: true });
    const moduleUrl = new URL("../../../../src/oci/layout/index.js", import.meta.url).href;
    const script = `
      const { openLayout } = await import(process.argv[1]);
      const layout = await openLayout(process.argv[2]);
      const prefix = process.argv[3];
      await Promise.all(Array.from({ length: 25 }, (_, i) => layout.updateIndex((index) => {
        index.manifests.push({ mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: "sha256:" + String(i).padStart(64, "0"), size: i,
          annotations: { "org.opencontainers.image.ref.name": prefix + "-" + i } });
      })));
    `;
    const run = (prefix: string) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", script, moduleUrl, path, prefix], { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`))));
      });
    await Promise.all([run("a"), run("b"), run("c")]);
    const layout = await openLayout(path);
    const expected = ["a", "b", "c"].flatMap((prefix) => Array.from({ length: 25 }, (_, i) => `${prefix}-${i}`));
    assert.deepEqual(await layout.listTags(), expected.sort());
  });

  test("a stale lock left by a dead process is broken", async () => {
    const path = freshPath();
    const layout = await openLayout(path, { create: true, lock: { staleMs: 1000, timeoutMs: 10_000 } });
    const lock = join(path, "index.json.lock");
    writeFileSync(lock, "99999999\n");
    const old = new Date(Date.now() - 5000);
    utimesSync(lock, old, old);
    const started = Date.now();
    await layout.putManifest(manifestBytes("after-stale"), MediaType.OciManifest, "after-stale");
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(await layout.listTags(), ["after-stale"]);
    assert.equal(existsSync(lock), false);
  });

  test("a live lock makes a writer wait, and time out with TIMEOUT", async () => {
    const path = freshPath();
    const layout = await openLayout(path, { create: true, lock: { staleMs: 60_000, timeoutMs: 300 } });
    const lock = join(path, "index.json.lock");
    writeFileSync(lock, "1\n");
    await assertRejectsWithCode(() => layout.putManifest(manifestBytes("blocked"), MediaType.OciManifest, "blocked"), "TIMEOUT");
    assert.equal(existsSync(lock), true, "somebody else's lock is left alone");
    rmSync(lock);
    await layout.putManifest(manifestBytes("blocked"), MediaType.OciManifest, "blocked");
    assert.deepEqual(await layout.listTags(), ["blocked"]);
  });
});
