// The signatures cosign 2.5 stores as OCI 1.1 referrers (`sign --registry-referrers-mode=oci-1-1`, COSIGN_EXPERIMENTAL=1):
// a manifest of artifact type application/vnd.dev.cosign.artifact.sig.v1+json with one simple-signing layer. signet
// finds them through the referrers tag schema (Debian's registry) and through the referrers API (the proxy in front
// of it), and checks them with the one verifier, key-signed and with a private CA's certificate.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { createPrivateCa } from "../helpers/private-ca.js";
import { startReferrersProxy, type ReferrersProxy } from "../helpers/referrers-proxy.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const IDENTITY = ["--certificate-identity", "signer@example.com", "--certificate-oidc-issuer", "https://issuer.example.com", "--insecure-ignore-sct"];

describe("cosign 2.5's OCI 1.1 referrer signatures (--registry-referrers-mode=oci-1-1)", () => {
  let registry: TestRegistry;
  let proxy: ReferrersProxy;
  let dir: string;
  let cosign: string;
  let env: NodeJS.ProcessEnv;
  const runCosign = (args: string[]): Promise<RunResult> => runProgram(cosign, args, { env, cwd: dir });
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });
  const ok = (result: RunResult, what: string): void => assert.equal(result.status, 0, `${what}: ${result.stderr}`);

  before(async () => {
    cosign = cosignPath();
    registry = await startRegistry();
    proxy = await startReferrersProxy(registry.host);
    dir = mkdtempSync(join(tmpdir(), "signet-referrer-sigs-"));
    env = cosignEnv({ COSIGN_PASSWORD: "referrers", COSIGN_EXPERIMENTAL: "1", HOME: dir, SIGNET_TUF_ROOT: join(dir, "tuf") });
    ok(await runCosign(["generate-key-pair", "--output-key-prefix", "cosign"]), "generate-key-pair");
    ok(await runCosign(["generate-key-pair", "--output-key-prefix", "other"]), "generate-key-pair other");
    await createPrivateCa(dir, "cosign.pub");
  });
  after(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  for (const where of ["the referrers tag schema", "the referrers API"] as const) {
    test(`found through ${where}, verified by the one verifier, rejected with the right code`, async () => {
      const host = where === "the referrers API" ? proxy.host : registry.host;
      const name = where === "the referrers API" ? "via-api" : "via-tag";
      const image = `${host}/${name}@${await pushTestImage(host, name, "v1", name)}`;
      const sign = ["sign", "--key", "cosign.key", "--tlog-upload=false", "-y", "--registry-referrers-mode=oci-1-1"];
      ok(await runCosign([...sign, "-a", "build=7", image]), "cosign sign oci-1-1");
      // No .sig tag: the signature exists only as a referrer.
      const tags = await (await fetch(`http://${registry.host}/v2/${name}/tags/list`)).json() as { tags: string[] };
      assert.ok(!tags.tags.some((tag) => tag.endsWith(".sig")), JSON.stringify(tags));
      const calls = proxy.referrersCalls();
      const key = ["verify", "--key", "cosign.pub", "--insecure-ignore-tlog"];
      ok(await runCosign([...key, "--experimental-oci11", image]), "cosign verify --experimental-oci11");
      const verified = await signet([...key, image]);
      ok(verified, "signet verify");
      assert.equal((JSON.parse(verified.stdout) as { optional: Record<string, string> }[])[0]!.optional["build"], "7");
      if (where === "the referrers API") assert.ok(proxy.referrersCalls() > calls, "signet asked the referrers API");
      ok(await signet([...key, "-a", "build=7", image]), "signet verify -a");
      const otherKey = await signet(["verify", "--key", "other.pub", "--insecure-ignore-tlog", image]);
      assert.equal(otherKey.status, 12, otherKey.stderr);
      assert.match(otherKey.stderr, /\[SIG_INVALID\]/);
      const annotation = await signet([...key, "-a", "build=8", image]);
      assert.equal(annotation.status, 12, annotation.stderr);
      assert.match(annotation.stderr, /\[SIG_ANNOTATION_MISMATCH\]/);
      // With a certificate from a private CA in the referrer's layer: --certificate-chain checks it.
      ok(await runCosign([...sign, "--certificate", "leaf.pem", "--certificate-chain", "chain.pem", image]), "cosign sign oci-1-1 --certificate");
      ok(await signet(["verify", ...IDENTITY, "--insecure-ignore-tlog", "--certificate-chain", "chain.pem", image]), "signet verify --certificate-chain");
      const otherRoot = await signet(["verify", ...IDENTITY, "--insecure-ignore-tlog", "--ca-roots", "other-root.pem", image]);
      assert.equal(otherRoot.status, 12, otherRoot.stderr);
      assert.match(otherRoot.stderr, /\[CERT_CHAIN_INVALID\]/);
    });
  }

  for (const where of ["the referrers tag schema", "the referrers API"] as const) {
    test(`signet writes them as cosign does (through ${where}): cosign verify --experimental-oci11 and signet accept them`, async () => {
      const host = where === "the referrers API" ? proxy.host : registry.host;
      const name = where === "the referrers API" ? "by-signet-api" : "by-signet-tag";
      const digest = await pushTestImage(host, name, "v1", name);
      const image = `${host}/${name}@${digest}`;
      const sign = ["sign", "--key", "cosign.key", "--tlog-upload=false", "--registry-referrers-mode=oci-1-1"];
      ok(await signet([...sign, "-a", "build=7", image]), "signet sign oci-1-1");
      const tags = await (await fetch(`http://${registry.host}/v2/${name}/tags/list`)).json() as { tags: string[] };
      assert.ok(!tags.tags.some((tag) => tag.endsWith(".sig")), JSON.stringify(tags));
      // cosign's shape: the .sig image's config under cosign's artifact media type, no artifactType field, the image as subject.
      const listing = where === "the referrers API" ? `http://${host}/v2/${name}/referrers/${digest}` : `http://${registry.host}/v2/${name}/manifests/${digest.replace(":", "-")}`;
      const index = await (await fetch(listing, { headers: { accept: "application/vnd.oci.image.index.v1+json" } })).json() as { manifests: { digest: string; artifactType: string }[] };
      assert.equal(index.manifests.length, 1);
      assert.equal(index.manifests[0]!.artifactType, "application/vnd.dev.cosign.artifact.sig.v1+json");
      const manifest = await (await fetch(`http://${registry.host}/v2/${name}/manifests/${index.manifests[0]!.digest}`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } })).json() as Record<string, unknown> & { config: { mediaType: string; digest: string }; layers: { mediaType: string; digest: string; annotations: Record<string, string> }[]; subject: { digest: string } };
      assert.deepEqual(Object.keys(manifest), ["schemaVersion", "mediaType", "config", "layers", "subject"]);
      assert.equal(manifest.config.mediaType, "application/vnd.dev.cosign.artifact.sig.v1+json");
      assert.equal(manifest.subject.digest, digest);
      assert.equal(manifest.layers.length, 1);
      assert.equal(manifest.layers[0]!.mediaType, "application/vnd.dev.cosign.simplesigning.v1+json");
      const config = await (await fetch(`http://${registry.host}/v2/${name}/blobs/${manifest.config.digest}`)).text();
      assert.equal(config, `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${manifest.layers[0]!.digest}"]},"config":{}}`);
      const key = ["verify", "--key", "cosign.pub", "--insecure-ignore-tlog"];
      ok(await runCosign([...key, "--experimental-oci11", "-a", "build=7", image]), "cosign verify --experimental-oci11");
      ok(await signet([...key, "-a", "build=7", image]), "signet verify");
      const otherKey = await signet(["verify", "--key", "other.pub", "--insecure-ignore-tlog", image]);
      assert.equal(otherKey.status, 12, otherKey.stderr);
      assert.match(otherKey.stderr, /\[SIG_INVALID\]/);
      // With a certificate for the key: it is in the referrer's layer, as cosign writes it.
      ok(await signet([...sign, "--certificate", "leaf.pem", "--certificate-chain", "chain.pem", image]), "signet sign oci-1-1 --certificate");
      const chain = ["verify", ...IDENTITY, "--insecure-ignore-tlog", "--certificate-chain", "chain.pem", image];
      ok(await runCosign([...chain.slice(0, 1), "--experimental-oci11", ...chain.slice(1)]), "cosign verify --experimental-oci11 --certificate-chain");
      ok(await signet(chain), "signet verify --certificate-chain");
    });
  }
});
