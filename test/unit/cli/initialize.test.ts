// `signet initialize --mirror URL --root FILE`: offline it seeds the TUF cache and records the mirror; the next
// `trust update` then walks TUF from that root on that mirror (a TUF repository on loopback), and refuses a
// repository the given root does not sign.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCliInProcess } from "../../helpers/cli.js";
import { embeddedTrustDir } from "../../../src/trust/index.js";
import { TufRepository } from "../trust/tuf-repository.js";

const codeOf = (stdout: string): string => (JSON.parse(stdout) as { error: { code: string } }).error.code;

describe("initialize --mirror --root (offline seeding of the TUF cache)", () => {
  const repository = new TufRepository();
  const other = new TufRepository();
  let dir: string;
  before(async () => {
    await repository.start();
    await other.start();
    dir = mkdtempSync(join(tmpdir(), "signet-initialize-"));
    writeFileSync(join(dir, "root.json"), repository.rootJson());
    writeFileSync(join(dir, "other-root.json"), other.rootJson());
    const trustedRoot = JSON.parse(readFileSync(join(embeddedTrustDir(), "public-good", "trusted_root.json"), "utf8")) as { tlogs: { baseUrl: string }[] };
    trustedRoot.tlogs[0]!.baseUrl = "https://rekor.initialized.example";
    repository.publish(Buffer.from(JSON.stringify(trustedRoot)), { root: 1, timestamp: 1, snapshot: 1, targets: 1 });
  });
  after(async () => {
    await repository.stop();
    await other.stop();
  });

  test("writes root.json for the mirror and remote.json, fetching nothing; trust update then uses them", async () => {
    const cache = mkdtempSync(join(tmpdir(), "signet-tuf-"));
    const env = { SIGNET_TUF_ROOT: cache };
    const init = await runCliInProcess(["initialize", "--mirror", repository.url, "--root", join(dir, "root.json"), "--output-format", "json"], env);
    assert.equal(init.status, 0, init.stdout + init.stderr);
    const written = JSON.parse(init.stdout) as { root: string; version: number };
    assert.equal(readFileSync(written.root, "utf8"), repository.rootJson().toString());
    assert.deepEqual(JSON.parse(readFileSync(join(cache, "remote.json"), "utf8")), { mirror: repository.url });
    assert.equal(existsSync(join(cache, encodeURIComponent(new URL(repository.url).host), "targets", "trusted_root.json")), false, "nothing fetched");
    // Offline there is no trusted root for that mirror yet: said, not the public-good one silently.
    const offline = await runCliInProcess(["trust", "show", "--offline", "--output-format", "json"], env);
    assert.equal(offline.status === 0, false);
    assert.equal(codeOf(offline.stdout), "TRUST_ROOT_UNAVAILABLE");
    const update = await runCliInProcess(["trust", "update", "--output-format", "json"], env);
    assert.equal(update.status, 0, update.stdout + update.stderr);
    assert.match(update.stdout, /rekor\.initialized\.example/);
    const after = await runCliInProcess(["trust", "show", "--offline", "--output-format", "json"], env);
    assert.equal(after.status, 0, after.stdout);
    assert.match(after.stdout, /rekor\.initialized\.example/);
  });

  test("a root that does not sign the mirror's metadata is refused on update (TRUST_ROOT_UNAVAILABLE)", async () => {
    const env = { SIGNET_TUF_ROOT: mkdtempSync(join(tmpdir(), "signet-tuf-")) };
    assert.equal((await runCliInProcess(["initialize", "--mirror", repository.url, "--root", join(dir, "other-root.json")], env)).status, 0);
    const update = await runCliInProcess(["trust", "update", "--output-format", "json"], env);
    assert.equal(update.status === 0, false);
    assert.equal(codeOf(update.stdout), "TRUST_ROOT_UNAVAILABLE");
  });

  test("--root-checksum, a file that is not a TUF root, a URL root: refused before anything is written", async () => {
    const cache = mkdtempSync(join(tmpdir(), "signet-tuf-"));
    const env = { SIGNET_TUF_ROOT: cache };
    const good = createHash("sha256").update(repository.rootJson()).digest("hex");
    assert.equal((await runCliInProcess(["initialize", "--mirror", repository.url, "--root", join(dir, "root.json"), "--root-checksum", good], env)).status, 0);
    const cache2 = mkdtempSync(join(tmpdir(), "signet-tuf-"));
    const env2 = { SIGNET_TUF_ROOT: cache2 };
    const wrong = await runCliInProcess(["initialize", "--mirror", repository.url, "--root", join(dir, "root.json"), "--root-checksum", "0".repeat(64), "--output-format", "json"], env2);
    assert.equal(codeOf(wrong.stdout), "DIGEST_MISMATCH");
    writeFileSync(join(dir, "not-root.json"), JSON.stringify({ signed: { _type: "targets", version: 1 }, signatures: [] }));
    const notRoot = await runCliInProcess(["initialize", "--root", join(dir, "not-root.json"), "--output-format", "json"], env2);
    assert.equal(codeOf(notRoot.stdout), "TRUST_ROOT_INVALID");
    const url = await runCliInProcess(["initialize", "--root", "https://example.test/root.json"], env2);
    assert.equal(url.status, 2);
    assert.equal(existsSync(join(cache2, "remote.json")), false);
  });
});
