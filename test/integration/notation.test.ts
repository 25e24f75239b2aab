// Notation signatures end to end through `signet notation`, against Debian's docker-registry (no referrers API:
// the sha256-<hex> tag schema) and the same registry behind a referrers-API front, with a local RFC 3161 TSA
// (openssl ts). notation itself is not packaged for Debian: upstream's envelopes are checked by the vectors test.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { MediaType } from "../../src/oci/manifest/media-types.js";
import { referrersTag } from "../../src/oci/referrers/index.js";
import { jsonErrorCodes, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { startOpensslTsa, type TestTsa } from "../helpers/notation.js";
import { startReferrersProxy, type ReferrersProxy } from "../helpers/referrers-proxy.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const E2E_IDENTITY = "x509.subject:CN=e2e,O=Notary,L=Seattle,ST=WA,C=US";

describe("signet notation against a real registry", () => {
  let registry: TestRegistry;
  let proxy: ReferrersProxy;
  let tsa: TestTsa;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const notation = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> => runSignet(["notation", ...args], { env: { ...env, ...extraEnv }, cwd: dir });
  const codes = async (args: string[]) => jsonErrorCodes((await notation([...args, "--output-format", "json"])).stdout);
  const get = async (host: string, repo: string, reference: string, accept: string) => (await fetch(`http://${host}/v2/${repo}/manifests/${reference}`, { headers: { accept } })).text();
  const policy = (name: string, statement: Record<string, unknown>) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify({ version: "1.0", trustPolicies: [{ name, registryScopes: ["*"], signatureVerification: { level: "strict" }, trustStores: ["ca:e2e"], trustedIdentities: [E2E_IDENTITY], ...statement }] }));
    return path;
  };
  const usePolicy = async (path: string) => assert.equal((await notation(["policy", "import", "--force", path])).status, 0);

  before(async () => {
    registry = await startRegistry();
    proxy = await startReferrersProxy(registry.host);
    tsa = await startOpensslTsa();
    dir = mkdtempSync(join(tmpdir(), "signet-notation-"));
    env = { ...process.env, XDG_CONFIG_HOME: join(dir, "config"), HOME: dir };
    const generated = await notation(["cert", "generate-test", "e2e", "--default"]);
    assert.equal(generated.status, 0, generated.stderr);
    assert.equal((await notation(["cert", "generate-test", "other"])).status, 0);
    await usePolicy(policy("e2e", {}));
  });
  after(async () => {
    await proxy?.stop();
    await tsa?.stop();
    await registry?.stop();
  });

  for (const format of ["jws", "cose"] as const) {
    test(`${format}: sign stores a referrer under the tag schema; verify accepts it and reports the user metadata`, async () => {
      const digest = await pushTestImage(registry.host, `notation/${format}`, "v1", format);
      const image = `${registry.host}/notation/${format}@${digest}`;
      const signed = await notation(["sign", "--signature-format", format, "-m", "build=42", image]);
      assert.equal(signed.status, 0, signed.stderr);
      const index = JSON.parse(await get(registry.host, `notation/${format}`, referrersTag(digest), MediaType.OciIndex)) as { manifests: { digest: string; artifactType: string }[] };
      assert.equal(index.manifests.length, 1);
      assert.equal(index.manifests[0]!.artifactType, "application/vnd.cncf.notary.signature");
      const manifest = JSON.parse(await get(registry.host, `notation/${format}`, index.manifests[0]!.digest, MediaType.OciManifest)) as {
        artifactType: string; config: { mediaType: string }; layers: { mediaType: string }[]; subject: { digest: string }; annotations: Record<string, string>;
      };
      assert.equal(manifest.artifactType, "application/vnd.cncf.notary.signature");
      assert.equal(manifest.config.mediaType, MediaType.OciEmpty);
      assert.equal(manifest.layers[0]!.mediaType, format === "jws" ? "application/jose+json" : "application/cose");
      assert.equal(manifest.subject.digest, digest);
      assert.match(manifest.annotations["io.cncf.notary.x509chain.thumbprint#S256"]!, /^\["[0-9a-f]{64}"\]$/);

      const verified = await notation(["verify", image]);
      assert.equal(verified.status, 0, verified.stderr);
      assert.match(verified.stdout, /Successfully verified signature for .*@sha256:/);
      assert.match(verified.stdout, /build\t42/);
      assert.equal((await notation(["verify", "-m", "build=42", image])).status, 0);
      assert.deepEqual(await codes(["verify", "-m", "build=43", image]), ["NOTATION_USER_METADATA_MISMATCH"]);
      const listed = await notation(["list", image]);
      assert.match(listed.stdout, new RegExp(index.manifests[0]!.digest.replace(":", "\\:")));
    });
  }

  test("an unsigned image has no signature; a signer outside the trust store is not trusted", async () => {
    const unsigned = await pushTestImage(registry.host, "notation/unsigned", "v1", "unsigned");
    assert.deepEqual(await codes(["verify", `${registry.host}/notation/unsigned@${unsigned}`]), ["SIG_MISSING"]);
    const digest = await pushTestImage(registry.host, "notation/other", "v1", "other-signer");
    const image = `${registry.host}/notation/other@${digest}`;
    assert.equal((await notation(["sign", "--key", "other", image])).status, 0);
    assert.deepEqual(await codes(["verify", image]), ["NOTATION_AUTHENTICITY"]);
    // Trusting the store but not the identity.
    await usePolicy(policy("identity", { trustStores: ["ca:e2e", "ca:other"] }));
    assert.deepEqual(await codes(["verify", image]), ["NOTATION_UNTRUSTED_IDENTITY"]);
    await usePolicy(policy("audit", { signatureVerification: { level: "audit" }, trustStores: ["ca:e2e"] }));
    assert.equal((await notation(["verify", image])).status, 0, "audit logs authenticity failures");
    await usePolicy(policy("e2e", {}));
  });

  test("a signature copied onto another image fails integrity; the tag schema cannot transplant it", async () => {
    const original = await pushTestImage(registry.host, "notation/copy", "v1", "original");
    const target = await pushTestImage(registry.host, "notation/copy", "v2", "target");
    assert.equal((await notation(["sign", `${registry.host}/notation/copy@${original}`])).status, 0);
    const index = await get(registry.host, "notation/copy", referrersTag(original), MediaType.OciIndex);
    const signature = JSON.parse(index) as { manifests: { digest: string }[] };
    const manifest = JSON.parse(await get(registry.host, "notation/copy", signature.manifests[0]!.digest, MediaType.OciManifest)) as { subject: { digest: string; size: number } };
    // The same envelope, in a referrer that claims the other image.
    manifest.subject = { ...manifest.subject, digest: target };
    const body = JSON.stringify(manifest);
    const put = await fetch(`http://${registry.host}/v2/notation/copy/manifests/transplant`, { method: "PUT", headers: { "content-type": MediaType.OciManifest }, body });
    assert.equal(put.status, 201);
    const putDigest = put.headers.get("docker-content-digest")!;
    const targetIndex = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ mediaType: MediaType.OciManifest, digest: putDigest, size: Buffer.byteLength(body), artifactType: "application/vnd.cncf.notary.signature" }] };
    assert.equal((await fetch(`http://${registry.host}/v2/notation/copy/manifests/${referrersTag(target)}`, { method: "PUT", headers: { "content-type": MediaType.OciIndex }, body: JSON.stringify(targetIndex) })).status, 201);
    assert.deepEqual(await codes(["verify", `${registry.host}/notation/copy@${target}`]), ["NOTATION_INTEGRITY"]);
    // The original's own listing still verifies it.
    assert.equal((await notation(["verify", `${registry.host}/notation/copy@${original}`])).status, 0);
  });

  test("expiry: enforced by strict, logged when overridden", async () => {
    const digest = await pushTestImage(registry.host, "notation/expiry", "v1", "expiry");
    const image = `${registry.host}/notation/expiry@${digest}`;
    assert.equal((await notation(["sign", "--expiry", "1s", image])).status, 0);
    await sleep(2100);
    assert.deepEqual(await codes(["verify", image]), ["NOTATION_EXPIRED"]);
    await usePolicy(policy("logged", { signatureVerification: { level: "strict", override: { expiry: "log" } } }));
    const logged = await notation(["verify", image]);
    assert.equal(logged.status, 0, logged.stderr);
    assert.match(logged.stderr, /expiry validation failed: digital signature has expired/);
    await usePolicy(policy("e2e", {}));
  });

  test("a registry with the referrers API lists the signature itself; --force-referrers-tag also writes the tag index", async () => {
    const digest = await pushTestImage(proxy.host, "notation/api", "v1", "api");
    const image = `${proxy.host}/notation/api@${digest}`;
    const signed = await notation(["sign", image, "--output-format", "json"]);
    assert.equal(signed.status, 0, signed.stderr);
    assert.equal((JSON.parse(signed.stdout) as { listedBy: string }).listedBy, "referrers-api");
    const before = proxy.referrersCalls();
    assert.equal((await notation(["verify", image])).status, 0);
    assert.ok(proxy.referrersCalls() > before, "verify asked the referrers API");
    const tagIndex = await fetch(`http://${registry.host}/v2/notation/api/manifests/${referrersTag(digest)}`, { headers: { accept: MediaType.OciIndex } });
    assert.equal(tagIndex.status, 404, "no tag index without --force-referrers-tag");
    const forced = await notation(["sign", "--force-referrers-tag", image, "--output-format", "json"]);
    assert.equal((JSON.parse(forced.stdout) as { listedBy: string }).listedBy, "tag-schema");
    assert.equal((await fetch(`http://${registry.host}/v2/notation/api/manifests/${referrersTag(digest)}`, { headers: { accept: MediaType.OciIndex } })).status, 200);
  });

  test("RFC 3161: a timestamped signature verifies with a tsa store; without a countersignature it does not", async () => {
    const tsaStore = join(dir, "tsa-root.pem");
    const added = await notation(["cert", "add", "--type", "tsa", "--store", "test-tsa", tsa.rootPath]);
    assert.equal(added.status, 0, added.stderr);
    const stamped = await pushTestImage(registry.host, "notation/tsa", "v1", "stamped");
    const plain = await pushTestImage(registry.host, "notation/tsa", "v2", "plain");
    const signed = await notation(["sign", "--timestamp-url", tsa.url, "--timestamp-root-cert", tsa.rootPath, `${registry.host}/notation/tsa@${stamped}`]);
    assert.equal(signed.status, 0, signed.stderr);
    assert.ok(tsa.requests() >= 1);
    assert.equal((await notation(["sign", `${registry.host}/notation/tsa@${plain}`])).status, 0);
    await usePolicy(policy("tsa", { signatureVerification: { level: "strict", verifyTimestamp: "always" }, trustStores: ["ca:e2e", "tsa:test-tsa"] }));
    const verified = await notation(["verify", `${registry.host}/notation/tsa@${stamped}`]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.deepEqual(await codes(["verify", `${registry.host}/notation/tsa@${plain}`]), ["NOTATION_AUTHENTIC_TIMESTAMP"]);
    // A TSA root the signer does not trust refuses to sign with its timestamp.
    const wrongRoot = join(dir, "other.crt");
    mkdirSync(join(dir, "unused"), { recursive: true });
    writeFileSync(wrongRoot, await (await import("node:fs/promises")).readFile(join(dir, "config", "notation", "localkeys", "other.crt")));
    const refused = await notation(["sign", "--timestamp-url", tsa.url, "--timestamp-root-cert", wrongRoot, `${registry.host}/notation/tsa@${plain}`, "--output-format", "json"]);
    assert.deepEqual(jsonErrorCodes(refused.stdout), ["TIMESTAMP_INVALID"]);
    void tsaStore;
    await usePolicy(policy("e2e", {}));
  });

  test("multi-arch: --recursive signs the index and every platform manifest; without it only the index is signed", async () => {
    const index = await pushTestImage(registry.host, "notation/multi", "v1", "multi", ["linux/amd64", "linux/arm64"]);
    const indexDoc = JSON.parse(await get(registry.host, "notation/multi", index, MediaType.OciIndex)) as { manifests: { digest: string }[] };
    const platforms = indexDoc.manifests.map((manifest) => manifest.digest);
    assert.equal(platforms.length, 2);
    const signed = await notation(["sign", "--recursive", `${registry.host}/notation/multi@${index}`, "--output-format", "json"]);
    assert.equal(signed.status, 0, signed.stderr);
    assert.equal((JSON.parse(signed.stdout) as { signed: unknown[] }).signed.length, 3);
    for (const digest of [index, ...platforms]) assert.equal((await notation(["verify", `${registry.host}/notation/multi@${digest}`])).status, 0, digest);

    const other = await pushTestImage(registry.host, "notation/multi-index-only", "v1", "multi-index-only", ["linux/amd64", "linux/arm64"]);
    const otherDoc = JSON.parse(await get(registry.host, "notation/multi-index-only", other, MediaType.OciIndex)) as { manifests: { digest: string }[] };
    assert.equal((await notation(["sign", `${registry.host}/notation/multi-index-only@${other}`])).status, 0);
    assert.equal((await notation(["verify", `${registry.host}/notation/multi-index-only@${other}`])).status, 0);
    assert.deepEqual(await codes(["verify", `${registry.host}/notation/multi-index-only@${otherDoc.manifests[0]!.digest}`]), ["SIG_MISSING"]);

    // --platform verifies the instance a node on that platform pulls: signed with --recursive, not without.
    const onArm = await notation(["verify", "--platform", "linux/arm64", `${registry.host}/notation/multi@${index}`, "--output-format", "json"]);
    assert.equal(onArm.status, 0, onArm.stderr);
    const armDigest = indexDoc.manifests[1]!.digest;
    assert.equal((JSON.parse(onArm.stdout) as { reference: string }).reference, `${registry.host}/notation/multi@${armDigest}`);
    assert.deepEqual(await codes(["verify", "--platform", "linux/arm64", `${registry.host}/notation/multi-index-only@${other}`]), ["SIG_MISSING"]);
    assert.deepEqual(await codes(["verify", "--platform", "linux/s390x", `${registry.host}/notation/multi@${index}`]), ["PLATFORM_NOT_FOUND"]);
  });

  test("blobs: sign writes FILE.jws.sig; verify checks it against the blob trust policy", async () => {
    writeFileSync(join(dir, "artifact.txt"), "release notes\n");
    writeFileSync(join(dir, "blob-policy.json"), JSON.stringify({ version: "1.0", trustPolicies: [{ name: "blobs", globalPolicy: true, signatureVerification: { level: "strict" }, trustStores: ["ca:e2e"], trustedIdentities: [E2E_IDENTITY] }] }));
    assert.equal((await notation(["blob", "policy", "import", "blob-policy.json"])).status, 0);
    const signed = await notation(["blob", "sign", "artifact.txt"]);
    assert.equal(signed.status, 0, signed.stderr);
    const verified = await notation(["blob", "verify", "--signature", "artifact.txt.jws.sig", "artifact.txt"]);
    assert.equal(verified.status, 0, verified.stderr);
    writeFileSync(join(dir, "artifact.txt"), "release notes, changed\n");
    assert.deepEqual(await codes(["blob", "verify", "--signature", "artifact.txt.jws.sig", "artifact.txt"]), ["NOTATION_INTEGRITY"]);
  });

  test("bad input: an invalid trust policy is never imported; an unknown key is named", async () => {
    writeFileSync(join(dir, "bad-policy.json"), JSON.stringify({ version: "1.0", trustPolicies: [{ name: "x", registryScopes: [], signatureVerification: { level: "strict" }, trustStores: ["ca:e2e"], trustedIdentities: ["*"] }] }));
    assert.deepEqual(await codes(["policy", "import", "--force", "bad-policy.json"]), ["NOTATION_POLICY_INVALID"]);
    assert.match((await notation(["policy", "show"])).stdout, /"name":"e2e"/);
    const digest = await pushTestImage(registry.host, "notation/key", "v1", "key");
    assert.deepEqual(await codes(["sign", "--key", "nope", `${registry.host}/notation/key@${digest}`]), ["NOTATION_KEY_NOT_FOUND"]);
  });
});
