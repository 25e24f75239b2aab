// cosign's save layout both ways with the real cosign 2.5 on a real registry: what cosign saves signet loads and
// verifies (from the registry and with --local-image); what signet saves cosign loads and verifies.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jsonErrorCodes, runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

describe("save / load in cosign's layout, both ways with cosign 2.5", () => {
  let registry: TestRegistry;
  let dir: string;
  let cosign: string;
  let env: NodeJS.ProcessEnv;
  const runCosign = (args: string[]): Promise<RunResult> => runProgram(cosign, args, { env, cwd: dir });
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });
  const ok = (result: RunResult, what: string): void => assert.equal(result.status, 0, `${what}: ${result.stderr}`);
  const verifyBoth = async (ref: string, extra: string[] = []): Promise<void> => {
    for (const [tool, run] of [["cosign", runCosign], ["signet", signet]] as const) {
      ok(await run(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", ...extra, ref]), `${tool} verify ${ref}`);
      ok(await run(["verify-attestation", "--key", "cosign.pub", "--insecure-ignore-tlog", "--type", "slsaprovenance", ...extra, ref]), `${tool} verify-attestation ${ref}`);
    }
  };

  before(async () => {
    registry = await startRegistry();
    cosign = cosignPath();
    dir = mkdtempSync(join(tmpdir(), "signet-save-load-"));
    env = cosignEnv({ COSIGN_PASSWORD: "save-load" });
    ok(await runCosign(["generate-key-pair", "--output-key-prefix", "cosign"]), "generate-key-pair");
    ok(await runCosign(["generate-key-pair", "--output-key-prefix", "other"]), "generate-key-pair other");
    writeFileSync(join(dir, "slsa.json"), JSON.stringify({ builder: { id: "https://example.test/builder" }, buildType: "https://example.test/type" }));
  });
  after(() => registry?.stop());

  const signAndAttest = async (run: typeof signet, ref: string): Promise<void> => {
    ok(await run(["sign", "--key", "cosign.key", "--tlog-upload=false", "-y", ref]), "sign");
    ok(await run(["attest", "--key", "cosign.key", "--tlog-upload=false", "--predicate", "slsa.json", "--type", "slsaprovenance", "-y", ref]), "attest");
  };

  test("cosign save -> signet load and verify --local-image; a saved signature of another key is rejected (12)", async () => {
    await pushTestImage(registry.host, "save/by-cosign", "v1", "saved by cosign");
    const ref = `${registry.host}/save/by-cosign:v1`;
    await signAndAttest(runCosign, ref);
    ok(await runCosign(["save", "--dir", "cosign-saved", ref]), "cosign save");
    await verifyBoth("cosign-saved", ["--local-image"]);
    const otherKey = await signet(["verify", "--key", "other.pub", "--insecure-ignore-tlog", "--local-image", "--output-format", "json", "cosign-saved"]);
    assert.equal(otherKey.status, 12, otherKey.stderr);
    assert.deepEqual(jsonErrorCodes(otherKey.stdout), ["SIG_INVALID"]);
    const loaded = `${registry.host}/save/loaded-by-signet:v2`;
    ok(await signet(["load", "--dir", "cosign-saved", loaded]), "signet load");
    await verifyBoth(loaded);
  });

  test("signet save -> cosign load and verify; the layout lists what cosign's does", async () => {
    await pushTestImage(registry.host, "save/by-signet", "v1", "saved by signet");
    const ref = `${registry.host}/save/by-signet:v1`;
    await signAndAttest(signet, ref);
    ok(await signet(["save", "--dir", "signet-saved", ref]), "signet save");
    ok(await runCosign(["save", "--dir", "cosign-saved-too", ref]), "cosign save of the same image");
    const kinds = (path: string) => (JSON.parse(readFileSync(join(dir, path, "index.json"), "utf8")) as { manifests: { digest: string; annotations: { kind: string } }[] }).manifests.map((m) => `${m.annotations.kind} ${m.digest}`).sort();
    assert.deepEqual(kinds("signet-saved"), kinds("cosign-saved-too"));
    const loaded = `${registry.host}/save/loaded-by-cosign:v3`;
    ok(await runCosign(["load", "--dir", "signet-saved", loaded]), "cosign load");
    await verifyBoth(loaded);
    ok(await runCosign(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--local-image", "signet-saved"]), "cosign verify --local-image");
  });

  test("a layout that is not cosign's is refused with LAYOUT_INVALID; load refuses a digest target", async () => {
    ok(await signet(["copy", `${registry.host}/save/by-signet:v1`, "oci:plain-layout:v1"]), "copy into an OCI layout");
    const notSaved = await signet(["load", "--dir", "plain-layout", "--output-format", "json", `${registry.host}/save/x:v1`]);
    assert.equal(notSaved.status === 0, false);
    assert.equal((JSON.parse(notSaved.stdout) as { error: { code: string } }).error.code, "LAYOUT_INVALID");
    const digestTarget = await signet(["load", "--dir", "signet-saved", `${registry.host}/save/x@sha256:${"0".repeat(64)}`]);
    assert.equal(digestTarget.status, 2);
  });
});
