import assert from "node:assert/strict";
import { createServer } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cachedTrustedRootPath, createTrustedRootLoader, defaultTufCacheDir, embeddedTrustDir, loadTrustedRoot } from "../../../src/trust/index.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { VECTORS } from "../../helpers/peers.js";
import { TufRepository } from "./tuf-repository.js";

const PYTHON_STORE = join(VECTORS, "sigstore__sigstore-python", "sigstore", "_store");
const tempDir = (): string => mkdtempSync(join(tmpdir(), "signet-trust-"));

/** A trusted root that differs from the embedded one only in its description-visible log URL. */
function variantTrustedRoot(baseUrl: string): Buffer {
  const root = JSON.parse(readFileSync(join(embeddedTrustDir(), "public-good", "trusted_root.json"), "utf8")) as { tlogs: { baseUrl: string }[] };
  root.tlogs[0]!.baseUrl = baseUrl;
  return Buffer.from(JSON.stringify(root));
}

describe("the embedded trust material", () => {
  test("is the public-good root the vectors hold, and the staging one", () => {
    assert.deepEqual(readFileSync(join(embeddedTrustDir(), "public-good", "trusted_root.json")), readFileSync(join(PYTHON_STORE, "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev", "trusted_root.json")));
    assert.deepEqual(readFileSync(join(embeddedTrustDir(), "staging", "trusted_root.json")), readFileSync(join(PYTHON_STORE, "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev", "trusted_root.json")));
    const seed = JSON.parse(readFileSync(join(embeddedTrustDir(), "public-good", "root.json"), "utf8")) as { signed: { _type: string } };
    assert.equal(seed.signed._type, "root");
  });
});

describe("loadTrustedRoot offline", () => {
  test("uses the embedded root when the cache is empty", async () => {
    const trust = await loadTrustedRoot({ offline: true, tufCacheDir: tempDir() });
    assert.equal(trust.description, "embedded public-good trusted root");
    assert.equal(trust.tlogs[0]!.baseURL, "https://rekor.sigstore.dev");
    const staging = await loadTrustedRoot({ offline: true, staging: true, tufCacheDir: tempDir() });
    assert.equal(staging.description, "embedded public-good staging trusted root");
    assert.ok(staging.tlogs.some((log) => log.baseURL.includes("sigstage")));
  });

  test("prefers the copy TUF verified into the cache", async () => {
    const cache = tempDir();
    const cached = cachedTrustedRootPath(cache, "https://tuf-repo-cdn.sigstore.dev");
    mkdirSync(dirname(cached), { recursive: true });
    writeFileSync(cached, variantTrustedRoot("https://rekor.cached.example"));
    const trust = await loadTrustedRoot({ offline: true, tufCacheDir: cache });
    assert.match(trust.description, /TUF cache/);
    assert.equal(trust.tlogs[0]!.baseURL, "https://rekor.cached.example");
  });

  test("a damaged cached copy is an error, not a silent fallback", async () => {
    const cache = tempDir();
    const cached = cachedTrustedRootPath(cache, "https://tuf-repo-cdn.sigstore.dev");
    mkdirSync(dirname(cached), { recursive: true });
    writeFileSync(cached, "{ not json");
    await assertRejectsWithCode(() => loadTrustedRoot({ offline: true, tufCacheDir: cache }), "TRUST_ROOT_INVALID");
  });

  test("a private trusted root file, and its errors", async () => {
    const path = join(PYTHON_STORE, "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev", "trusted_root.json");
    assert.equal((await loadTrustedRoot({ trustedRootPath: path })).description, `trusted root ${path}`);
    await assertRejectsWithCode(() => loadTrustedRoot({ trustedRootPath: join(tempDir(), "missing.json") }), "FILE_NOT_FOUND");
    await assertRejectsWithCode(() => loadTrustedRoot({ trustedRootPath: path, staging: true }), "OPTION_CONFLICT");
  });

  test("the cache directory follows SIGNET_TUF_ROOT, then XDG_CACHE_HOME", () => {
    assert.equal(defaultTufCacheDir({ SIGNET_TUF_ROOT: "/x/tuf", XDG_CACHE_HOME: "/y" }), "/x/tuf");
    assert.equal(defaultTufCacheDir({ XDG_CACHE_HOME: "/y" }), "/y/signet/tuf");
  });

  test("a loader loads each root once", async () => {
    const loader = createTrustedRootLoader();
    const cache = tempDir();
    const first = loader.load({ offline: true, tufCacheDir: cache });
    assert.equal(loader.load({ offline: true, tufCacheDir: cache }), first);
    assert.notEqual(loader.load({ offline: true, tufCacheDir: cache, staging: true }), first);
    assert.equal(await first, await loader.load({ offline: true, tufCacheDir: cache }));
  });
});

describe("loadTrustedRoot through TUF (a repository on loopback)", () => {
  const repository = new TufRepository();
  let rootPath: string;
  before(async () => {
    await repository.start();
    rootPath = join(tempDir(), "root.json");
    writeFileSync(rootPath, repository.rootJson());
  });
  after(() => repository.stop());

  const online = (cache: string) => loadTrustedRoot({ tufMirrorUrl: repository.url, tufRootPath: rootPath, tufCacheDir: cache });

  test("downloads, verifies and caches the trusted root; offline then uses the cached copy", async () => {
    repository.publish(variantTrustedRoot("https://rekor.tuf.example"), { root: 1, timestamp: 1, snapshot: 1, targets: 1 });
    const cache = tempDir();
    const trust = await online(cache);
    assert.equal(trust.tlogs[0]!.baseURL, "https://rekor.tuf.example");
    assert.match(trust.description, /TUF http:\/\/127\.0\.0\.1/);
    assert.ok(existsSync(cachedTrustedRootPath(cache, repository.url)));
    const offline = await loadTrustedRoot({ offline: true, tufMirrorUrl: repository.url, tufCacheDir: cache });
    assert.equal(offline.tlogs[0]!.baseURL, "https://rekor.tuf.example");
  });

  test("unexpired cached metadata is used as is; a refresh asks the repository", async () => {
    const cache = tempDir();
    repository.publish(variantTrustedRoot("https://rekor.first.example"), { root: 1, timestamp: 1, snapshot: 1, targets: 1 });
    await online(cache);
    repository.publish(variantTrustedRoot("https://rekor.second.example"), { root: 1, timestamp: 2, snapshot: 2, targets: 2 });
    assert.equal((await online(cache)).tlogs[0]!.baseURL, "https://rekor.first.example");
    const refreshed = await loadTrustedRoot({ tufMirrorUrl: repository.url, tufRootPath: rootPath, tufCacheDir: cache, refresh: true });
    assert.equal(refreshed.tlogs[0]!.baseURL, "https://rekor.second.example");
  });

  test("D.27 rollback: an older timestamp than the cached one is refused, and the trusted state kept", async () => {
    const cache = tempDir();
    repository.publish(variantTrustedRoot("https://rekor.v2.example"), { root: 1, timestamp: 2, snapshot: 2, targets: 2 });
    await online(cache);
    // The cached timestamp has expired: the client must fetch a new one. The mirror answers with an older one.
    const metadataDir = dirname(dirname(cachedTrustedRootPath(cache, repository.url)));
    writeFileSync(join(metadataDir, "timestamp.json"), repository.timestampJson(2, 2, "2001-01-01T00:00:00Z"));
    repository.publish(variantTrustedRoot("https://rekor.rollback.example"), { root: 1, timestamp: 1, snapshot: 1, targets: 1 });
    const error = await assertRejectsWithCode(() => online(cache), "TRUST_ROOT_UNAVAILABLE");
    assert.match(error.message, /version/i);
    const kept = await loadTrustedRoot({ offline: true, tufMirrorUrl: repository.url, tufCacheDir: cache });
    assert.equal(kept.tlogs[0]!.baseURL, "https://rekor.v2.example");
  });

  test("D.27 freeze: expired metadata is refused", async () => {
    repository.publish(variantTrustedRoot("https://rekor.frozen.example"), { root: 1, timestamp: 1, snapshot: 1, targets: 1 }, { timestampExpires: "2001-01-01T00:00:00Z" });
    await assertRejectsWithCode(() => online(tempDir()), "TRUST_ROOT_UNAVAILABLE");
  });

  test("a target that is not the one the metadata names is refused", async () => {
    repository.publish(variantTrustedRoot("https://rekor.listed.example"), { root: 1, timestamp: 1, snapshot: 1, targets: 1 }, { servedTarget: variantTrustedRoot("https://rekor.swapped.example") });
    const cache = tempDir();
    await assertRejectsWithCode(() => online(cache), "TRUST_ROOT_UNAVAILABLE");
    assert.equal(existsSync(cachedTrustedRootPath(cache, repository.url)), false);
  });

  test("an unreachable mirror fails closed", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    await assertRejectsWithCode(() => loadTrustedRoot({ tufMirrorUrl: `http://127.0.0.1:${port}`, tufRootPath: rootPath, tufCacheDir: tempDir() }), "TRUST_ROOT_UNAVAILABLE");
  });
});
