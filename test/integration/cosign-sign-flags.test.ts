// cosign's `sign` output files, detached verification and COSIGN_REPOSITORY, both ways with the real cosign 2.5 on a
// real registry: what signet signs with these flags cosign verifies, and what cosign signs signet verifies.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jsonErrorCodes, runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

describe("cosign sign/verify flags: --upload=false and its files, --payload, --signature, COSIGN_REPOSITORY (real cosign)", () => {
  let registry: TestRegistry;
  let dir: string;
  let cosign: string;
  let env: NodeJS.ProcessEnv;
  const runCosign = (args: string[], extra: Record<string, string> = {}): Promise<RunResult> => runProgram(cosign, args, { env: { ...env, ...extra }, cwd: dir });
  const signet = (args: string[], extra: Record<string, string> = {}): Promise<RunResult> => runSignet(args, { env: { ...env, ...extra }, cwd: dir });
  const tags = async (repo: string): Promise<string[]> => {
    const response = await fetch(`http://${registry.host}/v2/${repo}/tags/list`);
    if (response.status === 404) return [];
    return ((await response.json()) as { tags: string[] | null }).tags ?? [];
  };
  const image = async (repo: string, content: string): Promise<{ ref: string; digest: string }> => {
    const digest = await pushTestImage(registry.host, repo, "v1", content);
    return { ref: `${registry.host}/${repo}:v1`, digest };
  };
  const ok = (result: RunResult, what: string): void => assert.equal(result.status, 0, `${what}: ${result.stderr}`);

  before(async () => {
    registry = await startRegistry();
    cosign = cosignPath();
    dir = mkdtempSync(join(tmpdir(), "signet-sign-flags-"));
    env = cosignEnv({ COSIGN_PASSWORD: "sign-flags" });
    ok(await runCosign(["generate-key-pair", "--output-key-prefix", "cosign"]), "generate-key-pair");
  });
  after(() => registry?.stop());

  test("signet sign --upload=false writes cosign's files and attaches nothing; cosign verifies the detached signature", async () => {
    const { ref, digest } = await image("detached/app", "detached");
    const signed = await signet(["sign", "--key", "cosign.key", "--tlog-upload=false", "--upload=false", "--output-signature", "s.sig", "--output-payload", "p.json", "--output-certificate", "c.pem", "-y", ref]);
    ok(signed, "signet sign --upload=false");
    assert.deepEqual(await tags("detached/app"), ["v1"], "nothing attached");
    // The payload is the one cosign generates for the image, byte for byte; the "certificate" of a key is its public key.
    const generated = await runCosign(["generate", `${registry.host}/detached/app@${digest}`]);
    assert.equal(readFileSync(join(dir, "p.json"), "utf8"), generated.stdout.replace(/\n$/, ""));
    assert.equal(readFileSync(join(dir, "c.pem"), "utf8").trim(), readFileSync(join(dir, "cosign.pub"), "utf8").trim());
    assert.match(readFileSync(join(dir, "s.sig"), "utf8"), /^[A-Za-z0-9+/]+=*$/);
    ok(await runCosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--signature", "s.sig", "--payload", "p.json", ref]), "cosign verify --signature");
    ok(await signet(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--signature", "s.sig", "--payload", "p.json", ref]), "signet verify --signature");
    // Without --payload both rebuild the image's standard payload (the same bytes).
    ok(await runCosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--signature", "s.sig", ref]), "cosign verify, implied payload");
    ok(await signet(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--signature", "s.sig", ref]), "signet verify, implied payload");
  });

  test("cosign sign --upload=false: signet verifies its detached signature, and rejects it for another image (SIG_DIGEST_MISMATCH, as cosign: 12)", async () => {
    const { ref } = await image("detached/cosign", "by cosign");
    const other = await image("detached/other", "another image");
    ok(await runCosign(["sign", "--key", "cosign.key", "--tlog-upload=false", "--upload=false", "--output-signature", "cs.sig", "--output-payload", "cp.json", "-y", ref]), "cosign sign --upload=false");
    assert.deepEqual(await tags("detached/cosign"), ["v1"]);
    ok(await signet(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--signature", "cs.sig", "--payload", "cp.json", ref]), "signet verify of cosign's files");
    const wrong = await signet(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--signature", "cs.sig", "--payload", "cp.json", "--output-format", "json", other.ref]);
    assert.equal(wrong.status, 12, wrong.stderr);
    assert.deepEqual(jsonErrorCodes(wrong.stdout), ["SIG_DIGEST_MISMATCH"]);
    const byCosign = await runCosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--signature", "cs.sig", "--payload", "cp.json", other.ref]);
    assert.equal(byCosign.status, 12, byCosign.stderr);
    // A changed payload no longer verifies.
    writeFileSync(join(dir, "cp-changed.json"), readFileSync(join(dir, "cp.json"), "utf8").replace("cosign container image signature", "cosign container image signaturX"));
    const changed = await signet(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--signature", "cs.sig", "--payload", "cp-changed.json", "--output-format", "json", ref]);
    assert.equal(changed.status, 12);
    assert.deepEqual(jsonErrorCodes(changed.stdout), ["SIG_INVALID"]);
  });

  test("signet sign --payload signs cosign generate's payload as given (annotations included); cosign verifies it", async () => {
    const { digest } = await image("payload/app", "payload");
    const pinned = `${registry.host}/payload/app@${digest}`;
    const generated = await runCosign(["generate", "-a", "build=7", pinned]);
    ok(generated, "cosign generate");
    writeFileSync(join(dir, "generated.json"), generated.stdout);
    ok(await signet(["sign", "--key", "cosign.key", "--tlog-upload=false", "--payload", "generated.json", "-y", pinned]), "signet sign --payload");
    ok(await runCosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "-a", "build=7", pinned]), "cosign verify -a");
    ok(await signet(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "-a", "build=7", pinned]), "signet verify -a");
  });

  test("COSIGN_REPOSITORY: signatures and attestations in another repository, both ways", async () => {
    const byCosign = await image("alt/by-cosign", "alt one");
    const bySignet = await image("alt/by-signet", "alt two");
    const store = { COSIGN_REPOSITORY: `${registry.host}/alt/signatures` };
    writeFileSync(join(dir, "predicate.json"), JSON.stringify({ builder: { id: "https://example.test/builder" } }));
    ok(await signet(["sign", "--key", "cosign.key", "--tlog-upload=false", "-y", bySignet.ref], store), "signet sign");
    ok(await signet(["attest", "--key", "cosign.key", "--tlog-upload=false", "--predicate", "predicate.json", "--type", "custom", "-y", bySignet.ref], store), "signet attest");
    ok(await runCosign(["sign", "--key", "cosign.key", "--tlog-upload=false", "-y", byCosign.ref], store), "cosign sign");
    ok(await runCosign(["attest", "--key", "cosign.key", "--tlog-upload=false", "--predicate", "predicate.json", "--type", "custom", "-y", byCosign.ref], store), "cosign attest");
    // Nothing next to the images; everything in the signature repository.
    assert.deepEqual(await tags("alt/by-signet"), ["v1"]);
    const stored = await tags("alt/signatures");
    for (const digest of [bySignet.digest, byCosign.digest]) {
      for (const suffix of ["sig", "att"]) assert.ok(stored.includes(`sha256-${digest.slice(7)}.${suffix}`), `${suffix} of ${digest} in ${stored.join(",")}`);
    }
    for (const target of [bySignet.ref, byCosign.ref]) {
      ok(await runCosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", target], store), `cosign verify ${target}`);
      ok(await signet(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", target], store), `signet verify ${target}`);
      ok(await runCosign(["verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog", "--type", "custom", target], store), `cosign verify-attestation ${target}`);
      ok(await signet(["verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog", "--type", "custom", target], store), `signet verify-attestation ${target}`);
      // Without the variable neither finds a signature: 10 for both tools.
      const without = await signet(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--output-format", "json", target]);
      assert.equal(without.status, 10);
      assert.deepEqual(jsonErrorCodes(without.stdout), ["SIG_MISSING"]);
    }
    const triangulated = await signet(["triangulate", bySignet.ref], store);
    assert.equal(triangulated.stdout, `${registry.host}/alt/signatures:sha256-${bySignet.digest.slice(7)}.sig\n`);
    const bad = await signet(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", bySignet.ref], { COSIGN_REPOSITORY: `${registry.host}/alt/signatures:v1` });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /COSIGN_REPOSITORY=.* names a tag or digest/);
  });
});
