// Attestations between signet and the real cosign 2.5 on a real registry (Debian's docker-registry 2.8, which has
// no referrers API: bundles go through the sha256-<hex> tag): legacy `.att` layers and DSSE bundles, both ways.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jsonErrorCodes, runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const PROVENANCE = JSON.stringify({ builder: { id: "https://ci.example.test/builder" }, buildType: "https://example.test/build/v1" });

describe("attestations: signet and cosign 2.5", () => {
  let registry: TestRegistry;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cosign = (args: string[]): Promise<RunResult> => runProgram(cosignPath(), args, { env, cwd: dir });
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });
  const image = async (name: string) => `${registry.host}/attest/${name}@${await pushTestImage(registry.host, `attest/${name}`, "v1", name)}`;
  const cosignVerify = (args: string[]) => cosign(["verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog", "--allow-http-registry", ...args]);
  const cosignVerifyBundle = (args: string[]) => cosignVerify(["--new-bundle-format", "--trusted-root", "empty-root.json", ...args]);

  before(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-attest-"));
    env = cosignEnv({ COSIGN_PASSWORD: "attest-password" });
    assert.equal((await cosign(["generate-key-pair", "--output-key-prefix", "cosign"])).status, 0);
    writeFileSync(join(dir, "provenance.json"), PROVENANCE);
    writeFileSync(join(dir, "custom.txt"), "built on a Tuesday");
    // cosign reads key-signed bundles offline with a trusted root that names no authority at all.
    writeFileSync(join(dir, "empty-root.json"), JSON.stringify({ mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1" }));
  });
  after(() => registry?.stop());

  test("signet verifies cosign's legacy .att attestation, enforcing the type", async () => {
    const target = await image("cosign-legacy");
    assert.equal((await cosign(["attest", "--key", "cosign.key", "--tlog-upload=false", "--yes", "--allow-http-registry", "--predicate", "provenance.json", "--type", "slsaprovenance", target])).status, 0);
    const verified = await signet(["verify-attestation", "--insecure-ignore-tlog", "--key", "cosign.pub", "--type", "slsaprovenance", target]);
    assert.equal(verified.status, 0, verified.stderr);
    const envelope = JSON.parse(verified.stdout.trim().split("\n")[0]!) as { payloadType: string; payload: string };
    assert.equal(envelope.payloadType, "application/vnd.in-toto+json");
    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString()) as { predicateType: string; subject: { digest: { sha256: string } }[] };
    assert.equal(statement.predicateType, "https://slsa.dev/provenance/v0.2");
    assert.equal(`sha256:${statement.subject[0]!.digest.sha256}`, target.split("@")[1]);
    assert.match(verified.stderr, /legacy \.att layer/);
    const wrongType = await signet(["verify-attestation", "--insecure-ignore-tlog", "--key", "cosign.pub", "--type", "spdxjson", "--output-format", "json", target]);
    assert.deepEqual(jsonErrorCodes(wrongType.stdout), ["ATTESTATION_TYPE_MISMATCH"]);
    // cosign's default type is custom: the provenance is not one (A.4).
    assert.deepEqual(jsonErrorCodes((await signet(["verify-attestation", "--insecure-ignore-tlog", "--key", "cosign.pub", "--output-format", "json", target])).stdout), ["ATTESTATION_TYPE_MISMATCH"]);
    await signet(["generate-key-pair", "--output-key-prefix", "other"]);
    assert.deepEqual(jsonErrorCodes((await signet(["verify-attestation", "--insecure-ignore-tlog", "--key", "other.pub", "--type", "slsaprovenance", "--output-format", "json", target])).stdout), ["SIG_INVALID"]);
  });

  test("signet verifies cosign's --new-bundle-format attestation, found through the referrers tag fallback", async () => {
    const target = await image("cosign-bundle");
    const attested = await cosign(["attest", "--key", "cosign.key", "--new-bundle-format", "--tlog-upload=false", "--yes", "--allow-http-registry", "--predicate", "provenance.json", "--type", "slsaprovenance", target]);
    assert.equal(attested.status, 0, attested.stderr);
    const verified = await signet(["verify-attestation", "--insecure-ignore-tlog", "--key", "cosign.pub", "--type", "slsaprovenance", "--output-format", "json", target]);
    assert.equal(verified.status, 0, verified.stdout);
    const report = JSON.parse(verified.stdout) as { images: { searched: string[]; attestations: { format: string; statement: { predicateType: string } }[] }[] };
    assert.deepEqual(report.images[0]!.attestations.map((a) => a.format), ["sigstore-bundle"]);
    assert.ok(report.images[0]!.searched.some((s) => s.startsWith("the referrers tag")), report.images[0]!.searched.join());
    assert.equal((await signet(["verify-attestation", "--insecure-ignore-tlog", "--key", "cosign.pub", "--type", "slsaprovenance", "--new-bundle-format", target])).status, 0);
  });

  test("an image with no attestations is ATTESTATION_MISSING", async () => {
    assert.deepEqual(jsonErrorCodes((await signet(["verify-attestation", "--insecure-ignore-tlog", "--key", "cosign.pub", "--type", "slsaprovenance", "--output-format", "json", await image("none")])).stdout), ["ATTESTATION_MISSING"]);
  });

  test("cosign verifies signet's legacy attestations (slsaprovenance and custom)", async () => {
    const target = await image("signet-legacy");
    assert.equal((await signet(["attest", "--tlog-upload=false", "--key", "cosign.key", "--predicate", "provenance.json", "--type", "slsaprovenance", target])).status, 0);
    assert.equal((await signet(["attest", "--tlog-upload=false", "--key", "cosign.key", "--predicate", "custom.txt", target])).status, 0);
    const slsa = await cosignVerify(["--type", "slsaprovenance", target]);
    assert.equal(slsa.status, 0, slsa.stderr);
    const custom = await cosignVerify([target]);
    assert.equal(custom.status, 0, custom.stderr);
    const statement = JSON.parse(Buffer.from((JSON.parse(custom.stdout.trim().split("\n").find((l) => l.includes("payload"))!) as { payload: string }).payload, "base64").toString()) as { predicate: { Data: string } };
    assert.equal(statement.predicate.Data, "built on a Tuesday");
    assert.notEqual((await cosignVerify(["--type", "cyclonedx", target])).status, 0);
  });

  test("cosign verifies signet's --new-bundle-format attestation", async () => {
    const target = await image("signet-bundle");
    const attested = await signet(["attest", "--tlog-upload=false", "--key", "cosign.key", "--new-bundle-format", "--predicate", "provenance.json", "--type", "slsaprovenance", target]);
    assert.equal(attested.status, 0, attested.stderr);
    assert.match(attested.stderr, /bundle stored as referrer/);
    const verified = await cosignVerifyBundle(["--type", "slsaprovenance", target]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.equal((await signet(["verify-attestation", "--insecure-ignore-tlog", "--key", "cosign.pub", "--type", "slsaprovenance", target])).status, 0);
  });

  test("signet attests and verifies in an OCI layout too", async () => {
    const layout = join(dir, "layout");
    const created = await runProgram(process.execPath, ["-e", `import("${join(process.cwd(), "dist/src/oci/layout/index.js").replace(/\\/g, "/")}").then(async ({ openLayout, createTestImage }) => { const l = await openLayout(${JSON.stringify(layout)}, { create: true }); await createTestImage(l, "v1", { content: "layout" }); })`]);
    assert.equal(created.status, 0, created.stderr);
    for (const extra of [[], ["--new-bundle-format"]]) {
      assert.equal((await signet(["attest", "--tlog-upload=false", "--key", "cosign.key", ...extra, "--predicate", "provenance.json", "--type", "slsaprovenance", `oci:${layout}:v1`])).status, 0);
    }
    const verified = await signet(["verify-attestation", "--insecure-ignore-tlog", "--key", "cosign.pub", "--type", "slsaprovenance", "--output-format", "json", `oci:${layout}:v1`]);
    assert.equal(verified.status, 0, verified.stdout);
    const report = JSON.parse(verified.stdout) as { images: { attestations: { format: string }[] }[] };
    assert.deepEqual(report.images[0]!.attestations.map((a) => a.format).sort(), ["cosign-legacy", "sigstore-bundle"]);
  });
});
