// Image signatures in the sigstore bundle format (cosign 3's --new-bundle-format), attached as OCI referrers on
// Debian's docker-registry 2.8 (no referrers API: the sha256-<hex> index tag), and what a hostile registry can do
// to the referrers list. cosign 2.5 cannot verify bundle signatures of images ("not yet implemented"), but it
// verifies them as what they are, DSSE attestations of type https://sigstore.dev/cosign/sign/v1.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sha256Digest, type Digest } from "../../src/internal/digest.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { MediaType } from "../../src/oci/manifest/media-types.js";
import { buildReferrersIndex, referrersTag } from "../../src/oci/referrers/index.js";
import { jsonErrorCodes, runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

interface Index {
  manifests: { digest: string; artifactType?: string }[];
}

describe("signatures as sigstore bundles in OCI referrers", () => {
  let registry: TestRegistry;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });
  const cosign = (args: string[]): Promise<RunResult> => runProgram(cosignPath(), args, { env, cwd: dir });
  const push = (name: string) => pushTestImage(registry.host, `bundles/${name}`, "v1", name);
  const get = async (repo: string, reference: string, accept: string) => {
    const response = await fetch(`http://${registry.host}/v2/${repo}/manifests/${reference}`, { headers: { accept } });
    return { status: response.status, text: await response.text() };
  };
  const blob = async (repo: string, digest: string) => (await fetch(`http://${registry.host}/v2/${repo}/blobs/${digest}`)).text();
  const codes = async (args: string[]) => jsonErrorCodes((await signet([...args, "--output-format", "json"])).stdout);

  before(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-bundles-"));
    env = cosignEnv({ COSIGN_PASSWORD: "bundle-password" });
    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "signet"])).status, 0);
    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "other"])).status, 0);
    writeFileSync(join(dir, "empty-root.json"), JSON.stringify({ mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1" }));
  });
  after(() => registry?.stop());

  test("sign --new-bundle-format stores a DSSE bundle as a referrer listed under sha256-<hex>; verify finds it", async () => {
    const digest = await push("signed");
    const image = `${registry.host}/bundles/signed@${digest}`;
    const signed = await signet(["sign", "--key", "signet.key", "--new-bundle-format", "--tlog-upload=false", "-a", "team=blue", image]);
    assert.equal(signed.status, 0, signed.stderr);
    const index = await get("bundles/signed", referrersTag(digest), MediaType.OciIndex);
    assert.equal(index.status, 200);
    const [listed] = (JSON.parse(index.text) as Index).manifests;
    assert.equal(listed!.artifactType, "application/vnd.dev.sigstore.bundle.v0.3+json");
    const manifest = JSON.parse((await get("bundles/signed", listed!.digest, MediaType.OciManifest)).text) as { subject: { digest: string }; config: { mediaType: string }; layers: { digest: string; mediaType: string }[]; annotations: Record<string, string> };
    assert.equal(manifest.subject.digest, digest);
    assert.equal(manifest.config.mediaType, MediaType.OciEmpty);
    assert.equal(manifest.annotations["dev.sigstore.bundle.content"], "dsse-envelope");
    assert.equal(manifest.annotations["dev.sigstore.bundle.predicateType"], "https://sigstore.dev/cosign/sign/v1");
    const bundle = JSON.parse(await blob("bundles/signed", manifest.layers[0]!.digest)) as { mediaType: string; verificationMaterial: Record<string, unknown>; dsseEnvelope: { payload: string } };
    assert.equal(bundle.mediaType, "application/vnd.dev.sigstore.bundle.v0.3+json");
    assert.ok("publicKey" in bundle.verificationMaterial);
    assert.ok(!("tlogEntries" in bundle.verificationMaterial), "--tlog-upload=false: no log entry");
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString()) as { subject: { digest: { sha256: string }; annotations: Record<string, string> }[] };
    assert.equal(`sha256:${statement.subject[0]!.digest.sha256}`, digest);
    assert.deepEqual(statement.subject[0]!.annotations, { team: "blue" });

    const verified = await signet(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", "-a", "team=blue", image]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stderr, /sigstore bundle sha256:[0-9a-f]{64}: signed with key/);
    const [payload] = JSON.parse(verified.stdout) as { critical: { image: { "docker-manifest-digest": string } }; optional: Record<string, string> }[];
    assert.equal(payload!.critical.image["docker-manifest-digest"], digest);
    assert.deepEqual(payload!.optional, { team: "blue" });
    assert.equal((await signet(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", "--new-bundle-format", image])).status, 0);
    assert.deepEqual(await codes(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", "-a", "team=red", image]), ["SIG_ANNOTATION_MISMATCH"]);
    assert.deepEqual(await codes(["verify", "--insecure-ignore-tlog", "--key", "other.pub", image]), ["SIG_INVALID"]);

    // cosign 2.5 checks the same bundle as the DSSE attestation it is.
    const byCosign = await cosign(["verify-attestation", "--key", "signet.pub", "--new-bundle-format", "--trusted-root", "empty-root.json", "--insecure-ignore-tlog", "--allow-http-registry", "--type", "https://sigstore.dev/cosign/sign/v1", image]);
    assert.equal(byCosign.status, 0, byCosign.stderr);
  });

  test("a legacy .sig signature by another key does not hide a good bundle, and the reverse", async () => {
    const digest = await push("mixed");
    const image = `${registry.host}/bundles/mixed@${digest}`;
    assert.equal((await signet(["sign", "--tlog-upload=false", "--key", "other.key", image])).status, 0);
    assert.equal((await signet(["sign", "--tlog-upload=false", "--key", "signet.key", "--new-bundle-format", image])).status, 0);
    const verified = await signet(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", "--output-format", "json", image]);
    assert.equal(verified.status, 0, verified.stdout);
    const report = JSON.parse(verified.stdout) as { images: { signatures: { format: string }[]; rejected: { format: string; code: string }[] }[] };
    assert.deepEqual(report.images[0]!.signatures.map((s) => s.format), ["sigstore-bundle"]);
    assert.deepEqual(report.images[0]!.rejected.map((r) => [r.format, r.code]), [["cosign-legacy", "SIG_INVALID"]]);
    // The legacy signature verifies with its own key without reading the referrers at all.
    const legacy = await signet(["verify", "--insecure-ignore-tlog", "--key", "other.pub", "--output-format", "json", image]);
    assert.deepEqual((JSON.parse(legacy.stdout) as { images: { searched: string[] }[] }).images[0]!.searched.length, 1);
  });

  test("an unsigned image: SIG_MISSING names both places looked in", async () => {
    const result = await signet(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", "--output-format", "json", `${registry.host}/bundles/none@${await push("none")}`]);
    const report = JSON.parse(result.stdout) as { images: { error: { code: string; message: string } }[] };
    assert.equal(report.images[0]!.error.code, "SIG_MISSING");
    assert.match(report.images[0]!.error.message, /\.sig and the referrers tag/);
  });

  test("hostile referrers: a transplanted referrer of another image is skipped; a garbage index is REFERRERS_INVALID", async () => {
    const signedDigest = await push("victim-signed");
    assert.equal((await signet(["sign", "--tlog-upload=false", "--key", "signet.key", "--new-bundle-format", `${registry.host}/bundles/victim-signed@${signedDigest}`])).status, 0);
    const access = new ImageAccess();
    try {
      // Copy the signed image's referrers index to an unsigned image in the same repository: its entries name a
      // manifest whose subject is the other image.
      const repo = await access.repositoryByName(`${registry.host}/bundles/victim-signed`);
      const unsigned = await pushTestImage(registry.host, "bundles/victim-signed", "other", "unsigned");
      const stolen = await repo.getManifest(referrersTag(signedDigest));
      await repo.putManifest(stolen.bytes, MediaType.OciIndex, referrersTag(unsigned));
      const transplanted = await signet(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", "--output-format", "json", `${registry.host}/bundles/victim-signed@${unsigned}`]);
      assert.deepEqual(jsonErrorCodes(transplanted.stdout), ["SIG_MISSING"]);

      const garbage = await pushTestImage(registry.host, "bundles/victim-signed", "garbage", "garbage");
      // Something the registry stores under the tag that is not an OCI referrers index (a Docker manifest list).
      await repo.putManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [] })), MediaType.DockerManifestList, referrersTag(garbage));
      assert.deepEqual(await codes(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", `${registry.host}/bundles/victim-signed@${garbage}`]), ["REFERRERS_INVALID"]);

      // A referrer listed for this image whose bundle is about another image: the statement's subject decides (A.12).
      const liar = await pushTestImage(registry.host, "bundles/victim-signed", "liar", "liar");
      const listing = JSON.parse(stolen.bytes.toString()) as Index;
      const bundleManifest = await repo.getManifest(listing.manifests[0]!.digest);
      const rewritten = JSON.parse(bundleManifest.bytes.toString()) as { subject: { digest: string; size: number; mediaType: string } };
      const liarManifest = await repo.getManifest(liar);
      rewritten.subject = { mediaType: liarManifest.mediaType, digest: liar, size: liarManifest.bytes.length };
      const rewrittenBytes = Buffer.from(JSON.stringify(rewritten));
      const rewrittenDigest = await repo.putManifest(rewrittenBytes, MediaType.OciManifest);
      await repo.putManifest(buildReferrersIndex([{ mediaType: MediaType.OciManifest, digest: rewrittenDigest as Digest, size: rewrittenBytes.length, artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json" }]), MediaType.OciIndex, referrersTag(liar));
      assert.deepEqual(await codes(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", `${registry.host}/bundles/victim-signed@${liar}`]), ["SIG_DIGEST_MISMATCH"]);
      assert.equal(sha256Digest(rewrittenBytes), rewrittenDigest);
    } finally {
      await access.close();
    }
  });

  test("bundles in an OCI layout: sign and verify with the tag schema in index.json", async () => {
    const layout = join(dir, "layout");
    const created = await runProgram(process.execPath, ["-e", `import(${JSON.stringify(join(process.cwd(), "dist/src/oci/layout/index.js"))}).then(async ({ openLayout, createTestImage }) => { const l = await openLayout(${JSON.stringify(layout)}, { create: true }); await createTestImage(l, "v1", { content: "layout" }); })`]);
    assert.equal(created.status, 0, created.stderr);
    assert.equal((await signet(["sign", "--tlog-upload=false", "--key", "signet.key", "--new-bundle-format", `oci:${layout}:v1`])).status, 0);
    const verified = await signet(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", `oci:${layout}:v1`]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stderr, /sigstore bundle/);
  });
});
