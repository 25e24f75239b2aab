// `signet triangulate` names the same place as `cosign triangulate`; `signet tree` lists what is attached.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jsonErrorCodes, runProgram, runSignet } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

describe("triangulate and tree", () => {
  let registry: TestRegistry;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-inspect-"));
    env = cosignEnv({ COSIGN_PASSWORD: "pw" });
    assert.equal((await runSignet(["generate-key-pair", "--output-key-prefix", "k"], { env, cwd: dir })).status, 0);
  });
  after(() => registry?.stop());

  test("triangulate agrees with cosign", async () => {
    const digest = await pushTestImage(registry.host, "inspect/app", "v1", "inspect");
    const image = `${registry.host}/inspect/app:v1`;
    const ours = await runSignet(["triangulate", image], { env, cwd: dir });
    const theirs = await runProgram(cosignPath(), ["triangulate", image], { env, cwd: dir });
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(ours.stdout.trim(), theirs.stdout.trim());
    assert.equal(ours.stdout.trim(), `${registry.host}/inspect/app:sha256-${digest.slice(7)}.sig`);
    const att = await runSignet(["triangulate", "--type", "attestation", image], { env, cwd: dir });
    assert.match(att.stdout, /\.att\n$/);
  });

  test("tree lists each signature layer once signed, and nothing before", async () => {
    const image = `${registry.host}/inspect/tree:v1`;
    await pushTestImage(registry.host, "inspect/tree", "v1", "tree");
    const empty = await runSignet(["tree", "--output-format", "json", image], { env, cwd: dir });
    assert.deepEqual((JSON.parse(empty.stdout) as { attachments: unknown[] }).attachments, []);
    for (const n of ["1", "2"]) assert.equal((await runSignet(["sign", "--tlog-upload=false", "--key", "k.key", "-a", `n=${n}`, image], { env, cwd: dir })).status, 0);
    const tree = await runSignet(["tree", "--output-format", "json", image], { env, cwd: dir });
    const parsed = JSON.parse(tree.stdout) as { attachments: { kind: string; layers: string[] }[] };
    assert.equal(parsed.attachments.length, 1);
    assert.equal(parsed.attachments[0]!.kind, "sig");
    assert.equal(parsed.attachments[0]!.layers.length, 2);
    const text = await runSignet(["tree", image], { env, cwd: dir });
    assert.match(text.stdout, /Signatures: .*\.sig\n.*sha256:[0-9a-f]{64}\n.*sha256:[0-9a-f]{64}\n/);
  });

  test("a missing tag is REGISTRY_NOT_FOUND", async () => {
    const missing = await runSignet(["triangulate", "--output-format", "json", `${registry.host}/inspect/none:v1`], { env, cwd: dir });
    assert.equal(missing.status, 11, "not found: cosign's NonExistentTag exit code");
    assert.deepEqual(jsonErrorCodes(missing.stdout), ["REGISTRY_NOT_FOUND"]);
  });
});
