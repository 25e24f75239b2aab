// Interop with the real cosign 2.5 against a real registry: each tool verifies what the other signs,
// both reject tampered and re-tagged images, and the two write equivalent signature manifests.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jsonErrorCodes, runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { parsePublicKeyPem } from "../../src/keys/index.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { keyRequirement, verifyImage } from "../../src/signatures/verifier/index.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const PASSWORD = "interop-password";

interface SigLayer {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
}
interface SigManifest {
  mediaType: string;
  config: { mediaType: string; digest: string };
  layers: SigLayer[];
}

describe("cosign interop (real cosign, real registry)", () => {
  let registry: TestRegistry;
  let dir: string;
  let cosign: string;
  let env: NodeJS.ProcessEnv;

  const runCosign = (args: string[]): Promise<RunResult> => runProgram(cosign, args, { env, cwd: dir });
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });
  const sigManifest = async (repo: string, digest: string): Promise<{ manifest: SigManifest; raw: string }> => {
    const response = await fetch(`http://${registry.host}/v2/${repo}/manifests/sha256-${digest.slice(7)}.sig`, {
      headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    assert.equal(response.status, 200, `no .sig manifest for ${repo}@${digest}`);
    const raw = await response.text();
    return { manifest: JSON.parse(raw), raw };
  };
  const blob = async (repo: string, digest: string): Promise<string> => (await fetch(`http://${registry.host}/v2/${repo}/blobs/${digest}`)).text();

  before(async () => {
    registry = await startRegistry();
    cosign = cosignPath();
    dir = mkdtempSync(join(tmpdir(), "signet-interop-"));
    env = cosignEnv({ COSIGN_PASSWORD: PASSWORD });
    assert.equal((await runCosign(["generate-key-pair", "--output-key-prefix", "cosign"])).status, 0);
    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "signet"])).status, 0);
    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "legacy", "--legacy"])).status, 0);
  });
  after(() => registry?.stop());

  test("cosign verifies what signet signs, with a key signet generated (both key forms)", async () => {
    for (const key of ["signet", "legacy"]) {
      const digest = await pushTestImage(registry.host, `interop/signet-${key}`, "v1", `signet-signed-${key}`);
      const image = `${registry.host}/interop/signet-${key}:v1`;
      const signed = await signet(["sign", "--tlog-upload=false", "--key", `${key}.key`, image]);
      assert.equal(signed.status, 0, signed.stderr);
      assert.match(signed.stderr, new RegExp(`Resolved .* to digest ${digest}`));
      const verified = await runCosign(["verify", "--key", `${key}.pub`, "--insecure-ignore-tlog=true", image]);
      assert.equal(verified.status, 0, verified.stderr);
      const payloads = JSON.parse(verified.stdout) as { critical: { image: { "docker-manifest-digest": string } } }[];
      assert.equal(payloads[0]!.critical.image["docker-manifest-digest"], digest);
    }
  });

  test("signet verifies what cosign signs, with a key cosign generated", async () => {
    const digest = await pushTestImage(registry.host, "interop/cosign", "v1", "cosign-signed");
    const image = `${registry.host}/interop/cosign:v1`;
    const signed = await runCosign(["sign", "--key", "cosign.key", "--tlog-upload=false", "--yes", "-a", "team=blue", image]);
    assert.equal(signed.status, 0, signed.stderr);
    const verified = await signet(["verify", "--insecure-ignore-tlog", "--key", "cosign.pub", "-a", "team=blue", image]);
    assert.equal(verified.status, 0, verified.stderr);
    const payloads = JSON.parse(verified.stdout) as { critical: { image: { "docker-manifest-digest": string }; identity: { "docker-reference": string } }; optional: Record<string, string> }[];
    assert.equal(payloads[0]!.critical.image["docker-manifest-digest"], digest);
    assert.equal(payloads[0]!.critical.identity["docker-reference"], `${registry.host}/interop/cosign`);
    assert.equal(payloads[0]!.optional["team"], "blue");
    const wrongKey = await signet(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", "--output-format", "json", image]);
    assert.equal(wrongKey.status, 12, "rejected: cosign's NoMatchingSignature exit code");
    assert.deepEqual(jsonErrorCodes(wrongKey.stdout), ["SIG_INVALID"]);
    const wrongAnnotation = await signet(["verify", "--insecure-ignore-tlog", "--key", "cosign.pub", "-a", "team=red", "--output-format", "json", image]);
    assert.deepEqual(jsonErrorCodes(wrongAnnotation.stdout), ["SIG_ANNOTATION_MISMATCH"]);
  });

  test("a cosign signature of the standard payload costs signet one request by digest: the payload is rebuilt, not fetched", async () => {
    const digest = await pushTestImage(registry.host, "interop/one-request", "v1", "one-request");
    const signed = await runCosign(["sign", "--key", "cosign.key", "--tlog-upload=false", "--yes", `${registry.host}/interop/one-request@${digest}`]);
    assert.equal(signed.status, 0, signed.stderr);
    const publicKeys = [parsePublicKeyPem(readFileSync(join(dir, "cosign.pub"), "utf8"))];
    for (const [reference, requests] of [[`${registry.host}/interop/one-request@${digest}`, 1], [`${registry.host}/interop/one-request:v1`, 2]] as const) {
      const access = new ImageAccess();
      try {
        const verified = await verifyImage(access, reference, { requirement: keyRequirement(publicKeys) });
        assert.equal(verified.verified.length, 1);
        assert.equal(access.requestCount(), requests, `${reference}: the .sig manifest (and the tag), not the layer`);
      } finally {
        await access.close();
      }
    }
  });

  test("both reject a tampered image carrying a copied signature, and a re-tagged unsigned image", async () => {
    const repo = "interop/tamper";
    const image = `${registry.host}/${repo}:v1`;
    const original = await pushTestImage(registry.host, repo, "v1", "original");
    assert.equal((await signet(["sign", "--tlog-upload=false", "--key", "signet.key", image])).status, 0);
    assert.equal((await runCosign(["sign", "--key", "cosign.key", "--tlog-upload=false", "--yes", image])).status, 0);

    // Re-tagged: v1 now names an unsigned image.
    const unsigned = await pushTestImage(registry.host, repo, "v1", "replaced");
    for (const key of ["signet.pub", "cosign.pub"]) {
      const bySignet = await signet(["verify", "--insecure-ignore-tlog", "--key", key, "--output-format", "json", image]);
      assert.deepEqual(jsonErrorCodes(bySignet.stdout), ["SIG_MISSING"]);
      assert.notEqual((await runCosign(["verify", "--key", key, "--insecure-ignore-tlog=true", image])).status, 0);
    }

    // Tampered: the original signatures are copied onto the replacement's .sig tag.
    const { raw } = await sigManifest(repo, original);
    const put = await fetch(`http://${registry.host}/v2/${repo}/manifests/sha256-${unsigned.slice(7)}.sig`, {
      method: "PUT",
      headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
      body: raw,
    });
    assert.equal(put.status, 201);
    for (const key of ["signet.pub", "cosign.pub"]) {
      const bySignet = await signet(["verify", "--insecure-ignore-tlog", "--key", key, "--output-format", "json", image]);
      assert.equal(bySignet.status, 12);
      assert.deepEqual(jsonErrorCodes(bySignet.stdout), ["SIG_DIGEST_MISMATCH"]);
      const byCosign = await runCosign(["verify", "--key", key, "--insecure-ignore-tlog=true", image]);
      assert.notEqual(byCosign.status, 0, "cosign accepted a tampered image");
    }
    // The original digest still verifies with both.
    assert.equal((await signet(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", `${registry.host}/${repo}@${original}`])).status, 0);
    assert.equal((await runCosign(["verify", "--key", "signet.pub", "--insecure-ignore-tlog=true", `${registry.host}/${repo}@${original}`])).status, 0);
  });

  test("signet and cosign write equivalent signature manifests; re-signing is idempotent across the tools", async () => {
    const repo = "interop/equivalent";
    const image = `${registry.host}/${repo}:v1`;
    const digest = await pushTestImage(registry.host, repo, "v1", "equivalent");
    assert.equal((await runCosign(["sign", "--key", "cosign.key", "--tlog-upload=false", "--yes", image])).status, 0);
    const byCosign = await sigManifest(repo, digest);

    // signet with the same key and payload finds cosign's signature and adds nothing: the payload bytes are identical.
    const again = await signet(["sign", "--tlog-upload=false", "--key", "cosign.key", "--output-format", "json", image]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { signed: { added: boolean }[] }[])[0]!.signed[0]!.added, false);
    assert.equal((await sigManifest(repo, digest)).raw, byCosign.raw);

    // A signet signature with another key is appended in cosign's exact layout.
    assert.equal((await signet(["sign", "--tlog-upload=false", "--key", "signet.key", image])).status, 0);
    const merged = await sigManifest(repo, digest);
    assert.equal(merged.manifest.mediaType, byCosign.manifest.mediaType);
    assert.deepEqual(merged.manifest.config.mediaType, byCosign.manifest.config.mediaType);
    assert.equal(merged.manifest.layers.length, 2);
    assert.deepEqual(merged.manifest.layers[0], byCosign.manifest.layers[0]);
    const [cosignLayer, signetLayer] = merged.manifest.layers as [SigLayer, SigLayer];
    assert.equal(signetLayer.mediaType, cosignLayer.mediaType);
    assert.deepEqual(Object.keys(signetLayer.annotations), Object.keys(cosignLayer.annotations));
    assert.equal(await blob(repo, signetLayer.digest), await blob(repo, cosignLayer.digest));
    // The config is what go-containerregistry writes for two layers.
    const config = JSON.parse(await blob(repo, merged.manifest.config.digest));
    assert.deepEqual(config.rootfs.diff_ids, [cosignLayer.digest, signetLayer.digest]);
    assert.equal(config.history.length, 2);
    // And cosign verifies the merged manifest with either key.
    for (const key of ["cosign.pub", "signet.pub"]) {
      assert.equal((await runCosign(["verify", "--key", key, "--insecure-ignore-tlog=true", image])).status, 0);
    }
  });

  test("concurrent signers do not lose each other's signatures", async () => {
    const repo = "interop/concurrent";
    const image = `${registry.host}/${repo}:v1`;
    const digest = await pushTestImage(registry.host, repo, "v1", "concurrent");
    const signers = 6;
    const results = await Promise.all(Array.from({ length: signers }, (_, i) => signet(["sign", "--tlog-upload=false", "--key", "signet.key", "-a", `signer=${i}`, image])));
    for (const result of results) assert.equal(result.status, 0, result.stderr);
    const { manifest } = await sigManifest(repo, digest);
    assert.equal(manifest.layers.length, signers);
    const verified = await signet(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", image]);
    const payloads = JSON.parse(verified.stdout) as { optional: { signer: string } }[];
    assert.deepEqual(payloads.map((p) => p.optional.signer).sort(), Array.from({ length: signers }, (_, i) => String(i)));
  });

  test("--recursive signs an index and every platform manifest; cosign verifies each", async () => {
    const repo = "interop/multiarch";
    const image = `${registry.host}/${repo}:v1`;
    await pushTestImage(registry.host, repo, "v1", "multiarch", ["linux/amd64", "linux/arm64"]);
    const signed = await signet(["sign", "--tlog-upload=false", "--key", "signet.key", "--recursive", "--output-format", "json", image]);
    assert.equal(signed.status, 0, signed.stderr);
    const digests = (JSON.parse(signed.stdout) as { signed: { digest: string }[] }[])[0]!.signed.map((s) => s.digest);
    assert.equal(digests.length, 3);
    for (const digest of digests) {
      const verified = await runCosign(["verify", "--key", "signet.pub", "--insecure-ignore-tlog=true", `${registry.host}/${repo}@${digest}`]);
      assert.equal(verified.status, 0, verified.stderr);
    }
  });

  test("blob signatures: cosign and openssl verify signet's; signet verifies cosign's", async () => {
    const file = join(dir, "blob.txt");
    (await import("node:fs")).writeFileSync(file, "a blob to sign\n");
    const signed = await signet(["sign-blob", "--key", "signet.key", "--tlog-upload=false", "--output-signature", "blob.sig", file]);
    assert.equal(signed.status, 0, signed.stderr);
    assert.equal((await runCosign(["verify-blob", "--key", "signet.pub", "--signature", "blob.sig", "--insecure-ignore-tlog=true", file])).status, 0);
    (await import("node:fs")).writeFileSync(join(dir, "blob.der"), Buffer.from(readFileSync(join(dir, "blob.sig"), "utf8"), "base64"));
    const openssl = await runProgram("openssl", ["dgst", "-sha256", "-verify", "signet.pub", "-signature", "blob.der", file], { cwd: dir });
    assert.equal(openssl.status, 0, openssl.stdout + openssl.stderr);
    assert.match(openssl.stdout, /Verified OK/);

    const byCosign = await runCosign(["sign-blob", "--key", "cosign.key", "--tlog-upload=false", "--yes", "--output-signature", "cosign-blob.sig", file]);
    assert.equal(byCosign.status, 0, byCosign.stderr);
    assert.equal((await signet(["verify-blob", "--insecure-ignore-tlog", "--key", "cosign.pub", "--signature", "cosign-blob.sig", file])).status, 0);
    (await import("node:fs")).writeFileSync(file, "a changed blob\n");
    const rejected = await signet(["verify-blob", "--insecure-ignore-tlog", "--key", "cosign.pub", "--signature", "cosign-blob.sig", "--output-format", "json", file]);
    assert.equal(rejected.status, 12);
    assert.deepEqual(jsonErrorCodes(rejected.stdout), ["SIG_INVALID"]);
  });
});
