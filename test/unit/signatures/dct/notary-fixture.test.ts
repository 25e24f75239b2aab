// Trust data published by the real notary client (test/fixtures/dct), verified offline.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { SignetError } from "../../../../src/errors/index.js";
import { verifyNotaryTag, type NotaryFetch } from "../../../../src/signatures/dct/notary-client.js";
import { TrustDirectory } from "../../../../src/signatures/dct/trust-dir.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { REPO_ROOT } from "../../../helpers/peers.js";

const DIR = join(REPO_ROOT, "test", "fixtures", "dct", "notary-0.7.0");
const GUN = "registry.example/app";
const CAPTURED = new Date(readFileSync(join(DIR, "captured-at.txt"), "utf8").trim());
const MANIFEST = `sha256:${readFileSync(join(DIR, "manifest-sha256.txt"), "utf8").trim()}`;
const FILES = ["1.root", "2.root", "root", "timestamp", "snapshot", "targets", "targets/releases"];

/** Serves the fixture as notary-server does: <role>.json, <version>.root.json and <role>.<sha256>.json. */
function fixtureFetch(change: (name: string, bytes: Buffer) => Buffer = (_, bytes) => bytes): NotaryFetch & { names: string[] } {
  const byName = new Map<string, Buffer>();
  for (const file of FILES) {
    const bytes = readFileSync(join(DIR, `${file}.json`));
    byName.set(`${file}.json`, bytes);
    if (!/^\d/.test(file)) byName.set(`${file}.${createHash("sha256").update(bytes).digest("hex")}.json`, bytes);
  }
  const names: string[] = [];
  const fetch = (name: string, maxBytes: number) => {
    names.push(name);
    const bytes = byName.get(name);
    if (bytes === undefined) return Promise.reject(new SignetError("DCT_NOT_SIGNED", `no ${name}`));
    const role = name.replace(/\.[0-9a-f]{64}\.json$|\.json$/, "");
    const served = change(role, bytes);
    if (served.length > maxBytes) return Promise.reject(new SignetError("SIZE_LIMIT_EXCEEDED", `${name} too large`));
    return Promise.resolve(served);
  };
  return Object.assign(fetch, { names });
}

const trustDir = () => mkdtempSync(join(tmpdir(), "signet-dct-unit-"));
const options = (fetch: NotaryFetch, dir = trustDir()) => ({ server: "http://notary.invalid", gun: GUN, trustDir: dir, now: CAPTURED, fetch });

describe("trust data published by notary 0.7.0", () => {
  test("v1 is signed in targets, v2 in targets/releases (Docker's rule), both naming the manifest", async () => {
    const v1 = await verifyNotaryTag({ ...options(fixtureFetch()), tag: "v1" });
    assert.deepEqual({ role: v1.target.role, digest: v1.target.digest, root: v1.root, rootVersion: v1.rootVersion }, { role: "targets", digest: MANIFEST, root: "first-use", rootVersion: 2 });
    const v2 = await verifyNotaryTag({ ...options(fixtureFetch()), tag: "v2" });
    assert.equal(v2.target.role, "targets/releases");
    assert.equal(v2.target.digest, MANIFEST);
  });

  test("only consistent names (role.<sha256>.json) are fetched once a parent named the bytes", async () => {
    const fetch = fixtureFetch();
    await verifyNotaryTag({ ...options(fetch), tag: "v1" });
    assert.deepEqual(fetch.names.map((name) => name.replace(/[0-9a-f]{64}/, "H")), ["root.json", "timestamp.json", "snapshot.H.json", "targets.H.json", "targets/releases.H.json"]);
  });

  test("a digest alone is accepted when a signed tag names it", async () => {
    const result = await verifyNotaryTag({ ...options(fixtureFetch()), digest: MANIFEST });
    assert.equal(result.target.role, "targets/releases");
    await assertRejectsWithCode(() => verifyNotaryTag({ ...options(fixtureFetch()), digest: `sha256:${"0".repeat(64)}` }), "DCT_NOT_SIGNED");
  });

  test("with root version 1 pinned, the rotation to version 2 (signed by the old root key) is followed and pinned", async () => {
    const dir = trustDir();
    await new TrustDirectory(dir).write(GUN, "root", readFileSync(join(DIR, "1.root.json")));
    const result = await verifyNotaryTag({ ...options(fixtureFetch(), dir), tag: "v1" });
    assert.equal(result.root, "rotated");
    assert.deepEqual(await new TrustDirectory(dir).read(GUN, "root"), readFileSync(join(DIR, "root.json")));
  });

  test("the timestamp expires 14 days after capture: DCT_EXPIRED", async () => {
    const error = await assertRejectsWithCode(() => verifyNotaryTag({ ...options(fixtureFetch()), tag: "v1", now: new Date(CAPTURED.getTime() + 15 * 86_400_000) }), "DCT_EXPIRED");
    assert.equal(error.details["role"], "timestamp");
  });

  test("a changed signed field breaks the signature (DCT_SIGNATURE_INVALID); a re-signed one is not possible", async () => {
    const bump = (_: string, bytes: Buffer) => Buffer.from(bytes.toString().replace(/("expires":"\d{4})/, (_, y: string) => `${y.slice(0, -1)}${Number(y.at(-1)) === 9 ? 8 : Number(y.at(-1)) + 1}`));
    await assertRejectsWithCode(() => verifyNotaryTag({ ...options(fixtureFetch((role, bytes) => (role === "timestamp" ? bump(role, bytes) : bytes))), tag: "v1" }), "DCT_SIGNATURE_INVALID");
  });

  test("a root signed by its key but for another GUN is DCT_ROOT_INVALID (the certificate's CN is the GUN)", async () => {
    await assertRejectsWithCode(() => verifyNotaryTag({ ...options(fixtureFetch()), gun: "registry.example/other", tag: "v1" }), "DCT_ROOT_INVALID");
  });

  test("targets that are not the bytes the snapshot lists: DCT_HASH_MISMATCH; longer than listed: SIZE_LIMIT_EXCEEDED", async () => {
    const same = fixtureFetch((role, bytes) => (role === "targets" ? Buffer.from(bytes.toString().replace('"v1"', '"v0"')) : bytes));
    await assertRejectsWithCode(() => verifyNotaryTag({ ...options(same), tag: "v1" }), "DCT_HASH_MISMATCH");
    const longer = fixtureFetch((role, bytes) => (role === "targets" ? Buffer.concat([bytes, Buffer.from(" ")]) : bytes));
    await assertRejectsWithCode(() => verifyNotaryTag({ ...options(longer), tag: "v1" }), "SIZE_LIMIT_EXCEEDED");
  });
});
