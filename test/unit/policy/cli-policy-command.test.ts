/**
 * `signet policy verify|lint|init` through the command object (as src/cli/main.ts runs it), on an OCI layout
 * signed with a fresh key, so the default fetchers, key reading and output formats are exercised end to end.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parseFlags } from "../../../src/cli/flags.js";
import { VECTORS } from "../../helpers/peers.js";
import { toSignetError, type SignetError } from "../../../src/errors/index.js";
import { sha256Digest, type Digest } from "../../../src/internal/digest.js";
import { generateSigningKey, publicKeyToPem, signWithKey, type SigningKey } from "../../../src/keys/index.js";
import { MediaType } from "../../../src/oci/manifest/media-types.js";
import { createTestImage, openLayout } from "../../../src/oci/layout/index.js";
import type { Repository } from "../../../src/oci/repository.js";
import { createSimpleSigningPayload } from "../../../src/signatures/payload/simple-signing.js";
import { buildSignatureImage, CosignAnnotation } from "../../../src/signatures/cosign/signature-manifest.js";
import { attachmentTag } from "../../../src/signatures/cosign/tags.js";
import { policyCommand } from "../../../src/cli/commands/policy.js";
import type { CommandContext } from "../../../src/cli/command.js";

/** Writes a cosign `.sig` attachment with one signature, as cosign lays it out. */
async function attachCosignSignature(repository: Repository, digest: Digest, key: SigningKey, identity: string): Promise<void> {
  const payload = createSimpleSigningPayload({ dockerReference: identity, manifestDigest: digest });
  const layer = {
    mediaType: MediaType.CosignSimpleSigning,
    size: payload.length,
    digest: sha256Digest(payload),
    annotations: { [CosignAnnotation.signature]: signWithKey(key, payload).toString("base64") },
  };
  const image = buildSignatureImage([layer]);
  await repository.putBlob(payload, layer.digest);
  await repository.putBlob(image.configBytes, image.configDigest);
  await repository.putManifest(image.manifestBytes, MediaType.OciManifest, attachmentTag(digest));
}

interface CliResult { exit: number; stdout: string; stderr: string; error?: SignetError }

function collector(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return { stream: new Writable({ write(chunk: Buffer, _encoding, done) { chunks.push(chunk.toString()); done(); } }), text: () => chunks.join("") };
}

async function runPolicy(args: string[], env: NodeJS.ProcessEnv = { HOME: "/nonexistent" }): Promise<CliResult> {
  const stdout = collector();
  const stderr = collector();
  try {
    const parsed = parseFlags(args, policyCommand.options);
    const exit = await policyCommand.run({ values: parsed.values as CommandContext["values"], positionals: parsed.positionals, io: { stdout: stdout.stream, stderr: stderr.stream, env, interactive: false } });
    return { exit, stdout: stdout.text(), stderr: stderr.text() };
  } catch (error) {
    const signetError = toSignetError(error);
    return { exit: signetError.exitCode, stdout: stdout.text(), stderr: stderr.text(), error: signetError };
  }
}

describe("signet policy", () => {
  let dir: string;
  let layout: string;
  const identity = "registry.example/team/app";
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "signet-policy-cli-"));
    layout = join(dir, "layout");
    const repository = await openLayout(layout, { create: true });
    const signed = await createTestImage(repository, "v1");
    await createTestImage(repository, "unsigned", { content: "other" });
    const key = generateSigningKey("ecdsa-p256");
    writeFileSync(join(dir, "cosign.pub"), publicKeyToPem(key.publicKey));
    writeFileSync(join(dir, "other.pub"), publicKeyToPem(generateSigningKey("ecdsa-p256").publicKey));
    await attachCosignSignature(repository, signed.digest, key, identity);
    const policyFor = (keyFile: string): string =>
      JSON.stringify({
        default: [{ type: "reject" }],
        transports: { oci: { [realpathSync(layout)]: [{ type: "sigstoreSigned", keyPath: join(dir, keyFile), signedIdentity: { type: "exactRepository", dockerRepository: identity } }] } },
      }, null, 2);
    writeFileSync(join(dir, "policy.json"), policyFor("cosign.pub"));
    writeFileSync(join(dir, "policy-other-key.json"), policyFor("other.pub"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("verify: a signed image in an OCI layout is allowed (exit 0) and the tree says why", async () => {
    const result = await runPolicy(["verify", `oci:${layout}:v1`, "--policy", join(dir, "policy.json")]);
    assert.equal(result.exit, 0, result.stdout + result.stderr + (result.error?.message ?? ""));
    assert.match(result.stdout, /^ALLOWED oci:.*:v1 \(sha256:[0-9a-f]{64}\)$/m);
    assert.match(result.stdout, /scope: transport oci scope ".*layout" \(.*policy.json:\d+:\d+\)/);
    assert.match(result.stdout, /signature 1 \(oci:.*sha256-[0-9a-f]{64}\.sig layer sha256:[0-9a-f]{64}\): accepted/);
  });

  test("verify: unsigned, other key, unknown scope: exit 1, JSON tree with each reason", async () => {
    const result = await runPolicy(["verify", `oci:${layout}:unsigned`, `oci:${layout}:v1`, "busybox", "--policy", join(dir, "policy-other-key.json"), "--output-format", "json"]);
    assert.equal(result.exit, 1);
    const value = JSON.parse(result.stdout) as { allowed: boolean; images: Array<{ allowed: boolean; outcome: string; code: string; requirements: Array<{ code: string }>; hint: string }> };
    assert.equal(value.allowed, false);
    assert.deepEqual(value.images.map((i) => [i.outcome, i.requirements[0]!.code]), [["denied", "SIG_MISSING"], ["denied", "SIG_INVALID"], ["denied", "POLICY_DENIED"]]);
    assert.match(value.images[1]!.hint, /signed, but by a key that is not in keyPath/);
  });

  test("verify: a missing policy file and a bad policy are errors naming the file", async () => {
    const missing = await runPolicy(["verify", "busybox", "--policy", join(dir, "nope.json")]);
    assert.equal(missing.error?.code, "FILE_NOT_FOUND");
    writeFileSync(join(dir, "bad.json"), '{"default": [{"type": "reject"}], "transports": {"dockr": {}}}');
    const bad = await runPolicy(["verify", "busybox", "--policy", join(dir, "bad.json")]);
    assert.equal(bad.error?.code, "POLICY_CONFIG_INVALID");
    assert.match(bad.error!.message, /bad\.json:1:50: transports\.dockr: unknown transport "dockr"/);
  });

  test("verify without --policy uses ~/.config/containers/policy.json when it exists", async () => {
    const home = join(dir, "home");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(home, ".config", "containers"), { recursive: true });
    writeFileSync(join(home, ".config", "containers", "policy.json"), '{"default": [{"type": "insecureAcceptAnything"}]}');
    const result = await runPolicy(["verify", `oci:${layout}:unsigned`], { HOME: home });
    assert.equal(result.exit, 0, result.stdout);
  });

  test("lint: findings with line and column; exit 1 on errors, 0 otherwise", async () => {
    writeFileSync(join(dir, "risky.json"), '{\n  "default": [{"type": "insecureAcceptAnything"}],\n  "transports": {"docker": {"a.example": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/nonexistent/k.gpg"}]}}\n}\n');
    const result = await runPolicy(["lint", join(dir, "risky.json")]);
    assert.equal(result.exit, 1);
    assert.match(result.stdout, /risky\.json:2:3: warning: default: .*\[default-not-reject\]/);
    assert.match(result.stdout, /risky\.json:3:86: error: .*keyPath "\/nonexistent\/k.gpg" cannot be read.*\[unreadable-key\]/);
    assert.match(result.stderr, /1 error\(s\), 1 warning\(s\)/);
    const clean = await runPolicy(["lint", join(dir, "policy.json")]);
    assert.equal(clean.exit, 0, clean.stdout);
    assert.match(clean.stdout, /no problems found/);
    const json = await runPolicy(["lint", join(dir, "risky.json"), "--output-format", "json"]);
    assert.equal((JSON.parse(json.stdout) as { ok: boolean }).ok, false);
  });

  test("init: prints a default-reject policy, writes it with --file, never overwrites without --force", async () => {
    const printed = await runPolicy(["init", "--image", "registry.example/team/app", "--key", join(dir, "cosign.pub"), "--gpg-key", join(VECTORS, "containers__image", "signature", "fixtures", "public-key.gpg")]);
    assert.equal(printed.exit, 0, printed.error?.message);
    const value = JSON.parse(printed.stdout) as { default: unknown; transports: { docker: Record<string, Array<{ type: string }>> } };
    assert.deepEqual(value.default, [{ type: "reject" }]);
    assert.deepEqual(value.transports.docker["registry.example/team/app"]!.map((r) => r.type), ["sigstoreSigned", "signedBy"]);
    const file = join(dir, "init.json");
    assert.equal((await runPolicy(["init", "--image", "a.example/x", "--key", join(dir, "cosign.pub"), "--file", file])).exit, 0);
    assert.equal(readFileSync(file, "utf8"), (await runPolicy(["init", "--image", "a.example/x", "--key", join(dir, "cosign.pub")])).stdout);
    assert.equal((await runPolicy(["init", "--image", "a.example/x", "--key", join(dir, "cosign.pub"), "--file", file])).error?.code, "FILE_EXISTS");
    assert.equal((await runPolicy(["init", "--image", "a.example/x", "--key", join(dir, "cosign.pub"), "--file", file, "--force"])).exit, 0);
  });

  test("init refuses keys it cannot use, so it never writes a policy that rejects everything", async () => {
    assert.equal((await runPolicy(["init", "--image", "a.example/x", "--key", join(dir, "missing.pub")])).error?.code, "KEY_NOT_FOUND");
    assert.equal((await runPolicy(["init", "--image", "a.example/x", "--key", join(dir, "policy.json")])).error?.code, "KEY_INVALID");
    assert.equal((await runPolicy(["init", "--image", "a.example/x", "--gpg-key", join(dir, "cosign.pub")])).error?.code, "KEY_INVALID");
    // KBS and Kubernetes locations are written as given.
    assert.equal((await runPolicy(["init", "--image", "a.example/x", "--key", "kbs:///default/cosign-key/1"])).exit, 0);
  });

  test("usage errors: no subcommand, unknown subcommand, an option of another subcommand", async () => {
    assert.equal((await runPolicy([])).error?.code, "USAGE");
    assert.equal((await runPolicy(["bogus"])).error?.code, "USAGE");
    assert.equal((await runPolicy(["lint", "x.json", "--image", "a"])).error?.code, "USAGE");
    assert.equal((await runPolicy(["verify"])).error?.code, "USAGE");
  });
});
