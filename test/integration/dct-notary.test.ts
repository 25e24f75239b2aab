// Docker Content Trust against Debian's Notary v1: trust data published by the real `notary` client (init, add,
// delegation, publish, key rotate) to a real notary-server, images in a real docker-registry, verified by
// `signet dct verify`. A proxy in front of the server replays or alters what it serves for the rejection cases.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseImageReference } from "../../src/oci/reference/index.js";
import { verifyImageDct } from "../../src/signatures/dct/verify-image-dct.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { jsonErrorCodes, runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { notaryClient, startNotaryProxy, startNotaryServer, type NotaryProxy, type TestNotaryServer } from "../helpers/notary.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

describe("signet dct verify against notary-server and the notary client", () => {
  let registry: TestRegistry;
  let server: TestNotaryServer;
  let proxy: NotaryProxy;
  let dir: string;
  let notary: (args: string[], input?: string) => Promise<RunResult>;

  /** `signet dct verify` through the proxy, with a trust directory of the test's own. */
  const verify = (image: string, trustDir: string): Promise<RunResult> =>
    runSignet(["dct", "verify", image, "--server", proxy.url, "--trust-dir", trustDir, "--output-format", "json"], { env: { ...process.env, HOME: dir } });
  const ok = (result: RunResult) => {
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    return JSON.parse(result.stdout) as { verified: boolean; root: string; rootVersion: number; digest: string; target: { role: string; digest: string; tag: string; length: number }; versions: Record<string, number> };
  };
  const rejected = (result: RunResult, code: string, status = 12) => {
    assert.deepEqual(jsonErrorCodes(result.stdout), [code], result.stdout + result.stderr);
    assert.equal(result.status, status);
  };
  const run = async (args: string[], input?: string) => {
    const result = await notary(args, input);
    assert.equal(result.status, 0, `notary ${args.join(" ")}: ${result.stdout}${result.stderr}`);
    return result;
  };
  /** Pushes an image and signs its tag with the notary client (`notary add` of the manifest's bytes, then publish). */
  const pushAndSign = async (repository: string, tag: string, content: string, roles: string[] = []) => {
    const digest = await pushTestImage(registry.host, repository, tag, content);
    const manifest = Buffer.from(await (await fetch(`http://${registry.host}/v2/${repository}/manifests/${digest}`, { headers: { accept: MANIFEST_TYPES } })).arrayBuffer());
    const file = join(dir, `${repository.replace(/\//g, "_")}-${tag}.json`);
    writeFileSync(file, manifest);
    await run(["add", `${registry.host}/${repository}`, tag, file, ...roles.flatMap((role) => ["--roles", role])]);
    await run(["publish", `${registry.host}/${repository}`]);
    return { digest, length: manifest.length, image: `${registry.host}/${repository}:${tag}` };
  };
  const trustDir = (name: string) => join(dir, "trust", name);
  const metadata = async (gun: string, name: string) => Buffer.from(await (await fetch(`${server.url}/v2/${gun}/_trust/tuf/${name}`)).arrayBuffer());

  before(async () => {
    registry = await startRegistry();
    server = await startNotaryServer();
    proxy = await startNotaryProxy(() => server.url);
    dir = mkdtempSync(join(tmpdir(), "signet-dct-"));
    notary = notaryClient(() => server.url, join(dir, "notary-client"));
  });
  after(async () => {
    await proxy?.stop();
    await server?.stop();
    await registry?.stop();
  });

  test("a tag signed in targets verifies; the root is pinned on first use, then read from the trust directory", async () => {
    await run(["init", `${registry.host}/dct/top`]);
    const signed = await pushAndSign("dct/top", "v1", "top");
    const first = ok(await verify(signed.image, trustDir("top")));
    assert.equal(first.verified, true);
    assert.deepEqual({ role: first.target.role, digest: first.target.digest, length: first.target.length }, { role: "targets", digest: signed.digest, length: signed.length });
    assert.equal(first.digest, signed.digest);
    assert.equal(first.root, "first-use");
    const second = ok(await verify(signed.image, trustDir("top")));
    assert.equal(second.root, "pinned");
    // The text report says where the signature is.
    const text = await runSignet(["dct", "verify", signed.image, "--server", proxy.url, "--trust-dir", trustDir("top")]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`v1 is signed as ${signed.digest} .* in targets of ${registry.host}/dct/top`));
  });

  test("Docker's rule: a tag in the targets/releases delegation is found there first", async () => {
    const gun = `${registry.host}/dct/releases`;
    await run(["init", gun]);
    const key = join(dir, "releaser.key");
    const cert = join(dir, "releaser.crt");
    assert.equal((await runProgram("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=releaser"])).status, 0);
    await run(["delegation", "add", gun, "targets/releases", cert, "--all-paths"]);
    await run(["key", "import", key, "--role", "releaser"]);
    await run(["publish", gun]);
    const signed = await pushAndSign("dct/releases", "v1", "releases", ["targets/releases"]);
    const result = ok(await verify(signed.image, trustDir("releases")));
    assert.equal(result.target.role, "targets/releases");
    assert.equal(result.target.digest, signed.digest);
    assert.ok(result.versions["targets/releases"]! >= 1);
  });

  test("a re-pointed tag (the registry serves another digest than the signed one) is DCT_DIGEST_MISMATCH", async () => {
    await run(["init", `${registry.host}/dct/repoint`]);
    const signed = await pushAndSign("dct/repoint", "v1", "first");
    ok(await verify(signed.image, trustDir("repoint")));
    const other = await pushTestImage(registry.host, "dct/repoint", "v1", "second");
    assert.notEqual(other, signed.digest);
    rejected(await verify(signed.image, trustDir("repoint")), "DCT_DIGEST_MISMATCH");
  });

  test("a tag without trust data is DCT_NOT_SIGNED (exit 10), for an unknown tag and an unknown repository", async () => {
    await run(["init", `${registry.host}/dct/top2`]);
    const signed = await pushAndSign("dct/top2", "v1", "top2");
    await pushTestImage(registry.host, "dct/top2", "unsigned", "unsigned");
    rejected(await verify(`${registry.host}/dct/top2:unsigned`, trustDir("top2")), "DCT_NOT_SIGNED", 10);
    await pushTestImage(registry.host, "dct/nothing", "v1", "nothing");
    rejected(await verify(`${registry.host}/dct/nothing:v1`, trustDir("nothing")), "DCT_NOT_SIGNED", 10);
    ok(await verify(signed.image, trustDir("top2")));
  });

  test("an expired timestamp (the server's lasts 14 days) is DCT_EXPIRED", async () => {
    await run(["init", `${registry.host}/dct/expiry`]);
    const signed = await pushAndSign("dct/expiry", "v1", "expiry");
    const access = new ImageAccess();
    try {
      const reference = parseImageReference(signed.image);
      const options = { server: proxy.url, trustDir: trustDir("expiry"), access };
      await verifyImageDct(reference, options);
      const error = await assertRejectsWithCode(() => verifyImageDct(reference, { ...options, now: new Date(Date.now() + 15 * 86_400_000) }), "DCT_EXPIRED");
      assert.equal(error.details["role"], "timestamp");
    } finally {
      await access.close();
    }
  });

  test("a rolled-back server (older timestamp and snapshot served after newer ones were seen) is DCT_ROLLBACK", async () => {
    const gun = `${registry.host}/dct/rollback`;
    await run(["init", gun]);
    const first = await pushAndSign("dct/rollback", "v1", "rollback-1");
    ok(await verify(first.image, trustDir("rollback")));
    const oldTimestamp = await metadata(gun, "timestamp.json");
    const second = await pushAndSign("dct/rollback", "v2", "rollback-2");
    ok(await verify(second.image, trustDir("rollback")));
    // The old timestamp names the old snapshot, which the server still serves by its consistent name.
    proxy.replace.set("timestamp.json", () => oldTimestamp);
    try {
      const result = await verify(first.image, trustDir("rollback"));
      rejected(result, "DCT_ROLLBACK");
      assert.equal((JSON.parse(result.stdout) as { error: { details: { role: string } } }).error.details.role, "timestamp");
      // A trust directory that never saw the newer versions accepts the older, consistent state.
      ok(await verify(first.image, trustDir("rollback-fresh")));
    } finally {
      proxy.replace.clear();
    }
  });

  test("a snapshot that is not the one the timestamp lists is DCT_HASH_MISMATCH", async () => {
    const gun = `${registry.host}/dct/hash`;
    await run(["init", gun]);
    const first = await pushAndSign("dct/hash", "v1", "hash-1");
    const timestamp = JSON.parse((await metadata(gun, "timestamp.json")).toString()) as { signed: { meta: { snapshot: { hashes: { sha256: string } } } } };
    const name = `snapshot.${Buffer.from(timestamp.signed.meta.snapshot.hashes.sha256, "base64").toString("hex")}.json`;
    proxy.replace.set(name, (bytes) => Buffer.from(bytes.toString().replace(/"version":(\d+)/, (_, v: string) => `"version":${Number(v) + 1}`)));
    try {
      rejected(await verify(first.image, trustDir("hash")), "DCT_HASH_MISMATCH");
    } finally {
      proxy.replace.clear();
    }
  });

  test("a bad signature on the timestamp is DCT_SIGNATURE_INVALID", async () => {
    await run(["init", `${registry.host}/dct/badsig`]);
    const signed = await pushAndSign("dct/badsig", "v1", "badsig");
    proxy.replace.set("timestamp.json", (bytes) => {
      const document = JSON.parse(bytes.toString()) as { signatures: { sig: string }[] };
      const sig = Buffer.from(document.signatures[0]!.sig, "base64");
      sig[10]! ^= 0x01;
      document.signatures[0]!.sig = sig.toString("base64");
      return Buffer.from(JSON.stringify(document));
    });
    try {
      rejected(await verify(signed.image, trustDir("badsig")), "DCT_SIGNATURE_INVALID");
    } finally {
      proxy.replace.clear();
    }
    ok(await verify(signed.image, trustDir("badsig")));
  });

  test("a root rotated with `notary key rotate` (signed by the old root key) is followed and pinned", async () => {
    const gun = `${registry.host}/dct/rotate`;
    await run(["init", gun]);
    const signed = await pushAndSign("dct/rotate", "v1", "rotate");
    assert.equal(ok(await verify(signed.image, trustDir("rotate"))).rootVersion, 1);
    await run(["key", "rotate", gun, "root"], "yes\n");
    const rotated = ok(await verify(signed.image, trustDir("rotate")));
    assert.equal(rotated.root, "rotated");
    assert.equal(rotated.rootVersion, 2);
    assert.equal(ok(await verify(signed.image, trustDir("rotate"))).root, "pinned");
  });

  test("policy.json signetDockerContentTrust: signet policy verify allows the signed tag and denies a re-pointed one with the DCT code", async () => {
    const gun = `${registry.host}/dct/policy`;
    await run(["init", gun]);
    const signed = await pushAndSign("dct/policy", "v1", "policy-1");
    const policyFile = join(dir, "dct-policy.json");
    writeFileSync(policyFile, JSON.stringify({ default: [{ type: "reject" }], transports: { docker: { [`${registry.host}/dct/policy`]: [{ type: "signetDockerContentTrust", server: proxy.url, trustDir: trustDir("policy") }] } } }));
    const decide = async (image: string) => {
      const result = await runSignet(["policy", "verify", "--policy", policyFile, "--registries-d", join(dir, "no-registries-d"), "--output-format", "json", `docker://${image}`], { env: { ...process.env, HOME: dir } });
      const output = JSON.parse(result.stdout) as { allowed: boolean; images: { allowed: boolean; code?: string; requirements: { code?: string; signatures: { signedDigest?: string }[] }[] }[] };
      assert.equal(result.status, output.allowed ? 0 : 1, result.stderr);
      return output.images[0]!;
    };
    const allowed = await decide(signed.image);
    assert.equal(allowed.allowed, true, JSON.stringify(allowed));
    assert.equal(allowed.requirements[0]!.signatures[0]!.signedDigest, signed.digest);
    await pushTestImage(registry.host, "dct/policy", "v1", "policy-2");
    const denied = await decide(signed.image);
    assert.deepEqual([denied.allowed, denied.code, denied.requirements[0]!.code], [false, "POLICY_DENIED", "DCT_DIGEST_MISMATCH"]);
    await pushTestImage(registry.host, "dct/policy", "unsigned", "policy-3");
    assert.equal((await decide(`${registry.host}/dct/policy:unsigned`)).requirements[0]!.code, "DCT_NOT_SIGNED");
  });

  // Last: it restarts the server, which forgets every repository.
  test("a new root not signed by the pinned root (the repository re-created with other keys) is DCT_ROOT_ROTATION_INVALID", async () => {
    const gun = `${registry.host}/dct/reset`;
    await run(["init", gun]);
    const signed = await pushAndSign("dct/reset", "v1", "reset");
    ok(await verify(signed.image, trustDir("reset")));
    await server.restart();
    const other = notaryClient(() => server.url, join(dir, "other-notary-client"));
    for (const args of [["init", gun], ["add", gun, "v1", join(dir, "dct_reset-v1.json")], ["publish", gun]]) {
      const result = await other(args);
      assert.equal(result.status, 0, result.stderr);
    }
    rejected(await verify(signed.image, trustDir("reset")), "DCT_ROOT_ROTATION_INVALID");
    // Whoever has not pinned the old root trusts the new one on first use.
    assert.equal(ok(await verify(signed.image, trustDir("reset-fresh"))).root, "first-use");
  });
});
