// Revocation of Notation signing certificates against a CA whose CRL and OCSP responder openssl serves on
// loopback: good, revoked, unreachable and hanging services, the on-disk CRL cache and its faults.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jsonErrorCodes, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { startRevocationAuthority, type RevocationAuthority } from "../helpers/notation.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

describe("signet notation: revocation by CRL and OCSP", () => {
  let registry: TestRegistry;
  let authority: RevocationAuthority;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let cacheCount = 0;
  const notation = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> => runSignet(["notation", ...args], { env: { ...env, ...extra }, cwd: dir });
  const freshCache = () => ({ XDG_CACHE_HOME: join(dir, `cache-${++cacheCount}`) });
  const codes = async (args: string[], extra: NodeJS.ProcessEnv = {}) => jsonErrorCodes((await notation([...args, "--output-format", "json"], extra)).stdout);
  const policy = async (level: string) => {
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ version: "1.0", trustPolicies: [{ name: "revocation", registryScopes: ["*"], signatureVerification: { level }, trustStores: ["ca:revocation"], trustedIdentities: ["*"] }] }));
    assert.equal((await notation(["policy", "import", "--force", "policy.json"])).status, 0);
  };
  const signedImage = async (name: string, options: { crl: boolean; ocsp: boolean }) => {
    const { keyPath, chainPath } = authority.issue(name, options);
    assert.equal((await notation(["key", "add", name, "--key-file", keyPath, "--cert-file", chainPath])).status, 0);
    const digest = await pushTestImage(registry.host, `revocation/${name}`, "v1", name);
    const image = `${registry.host}/revocation/${name}@${digest}`;
    const signed = await notation(["sign", "--key", name, image]);
    assert.equal(signed.status, 0, signed.stderr);
    return image;
  };

  before(async () => {
    registry = await startRegistry();
    authority = await startRevocationAuthority();
    dir = mkdtempSync(join(tmpdir(), "signet-notation-revocation-"));
    env = { ...process.env, XDG_CONFIG_HOME: join(dir, "config"), HOME: dir };
    assert.equal((await notation(["cert", "add", "--type", "ca", "--store", "revocation", authority.rootPath])).status, 0);
    await policy("strict");
  });
  after(async () => {
    await authority?.stop();
    await registry?.stop();
  });

  test("CRL: a good certificate verifies and the CRL is cached; once revoked it is refused", async () => {
    const image = await signedImage("crl-leaf", { crl: true, ocsp: false });
    const cache = freshCache();
    const before = authority.crlRequests();
    const verified = await notation(["verify", image], cache);
    assert.equal(verified.status, 0, verified.stderr);
    assert.equal(authority.crlRequests(), before + 1);
    assert.equal(readdirSync(join(cache.XDG_CACHE_HOME, "notation", "crl")).length, 1, "the CRL is cached");
    assert.equal((await notation(["verify", image], cache)).status, 0);
    assert.equal(authority.crlRequests(), before + 1, "the cached CRL was used");
    authority.revoke("crl-leaf");
    assert.deepEqual(await codes(["verify", image], freshCache()), ["NOTATION_REVOKED"]);
  });

  test("CRL cache faults are only misses: a corrupted cache entry is fetched again", async () => {
    const image = await signedImage("crl-cache", { crl: true, ocsp: false });
    const cache = freshCache();
    assert.equal((await notation(["verify", image], cache)).status, 0);
    const crlDir = join(cache.XDG_CACHE_HOME, "notation", "crl");
    for (const file of readdirSync(crlDir)) writeFileSync(join(crlDir, file), "not a CRL");
    const before = authority.crlRequests();
    const verified = await notation(["verify", image], cache);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stderr, /CRL cache .* \(the CRL is fetched again\)/);
    assert.equal(authority.crlRequests(), before + 1);
  });

  test("an unreachable CRL is unknown: strict refuses, permissive logs", async () => {
    const image = await signedImage("crl-down", { crl: true, ocsp: false });
    authority.setState("crl", "down");
    try {
      assert.deepEqual(await codes(["verify", image], freshCache()), ["NOTATION_REVOCATION_UNKNOWN"]);
      await policy("permissive");
      const logged = await notation(["verify", image], freshCache());
      assert.equal(logged.status, 0, logged.stderr);
      assert.match(logged.stderr, /revocation validation failed: .*revocation status is unknown/);
    } finally {
      authority.setState("crl", "up");
      await policy("strict");
    }
  });

  test("OCSP: good verifies, revoked is refused, a hanging responder falls back to the CRL", async () => {
    const image = await signedImage("ocsp-leaf", { crl: false, ocsp: true });
    const before = authority.ocspRequests();
    const verified = await notation(["verify", image], freshCache());
    assert.equal(verified.status, 0, verified.stderr);
    assert.ok(authority.ocspRequests() > before);
    authority.revoke("ocsp-leaf");
    assert.deepEqual(await codes(["verify", image], freshCache()), ["NOTATION_REVOKED"]);

    const both = await signedImage("ocsp-fallback", { crl: true, ocsp: true });
    authority.setState("ocsp", "hang");
    try {
      const started = Date.now();
      const fallback = await notation(["verify", both], freshCache());
      assert.equal(fallback.status, 0, fallback.stderr);
      assert.ok(Date.now() - started < 20_000, "the OCSP timeout bounds the wait");
    } finally {
      authority.setState("ocsp", "up");
    }
  });

  test("a certificate that names no CRL or OCSP responder is not revocable and verifies", async () => {
    const image = await signedImage("plain", { crl: false, ocsp: false });
    const before = authority.crlRequests() + authority.ocspRequests();
    assert.equal((await notation(["verify", image], freshCache())).status, 0);
    assert.equal(authority.crlRequests() + authority.ocspRequests(), before);
  });
});
