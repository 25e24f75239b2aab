// Keyless ClusterImagePolicy authorities end to end: images signed keyless by `signet sign` against a local
// OIDC issuer, Fulcio-compatible CA and Rekor-compatible log (test/helpers/fake-sigstore.ts), pushed to a real
// registry, and judged by a `signet webhook serve` child process given that deployment's trusted root with
// --trusted-root. A root that cannot be loaded keeps /readyz unready and denies.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runSignet, type RunResult } from "../helpers/cli.js";
import { startFakeSigstore, type FakeSigstore } from "../helpers/fake-sigstore.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { admissionReview, workload, type ReviewAnswer } from "../unit/webhook/server/admission-reviews.js";
import { httpsRequest, postReview } from "../unit/webhook/server/https-client.js";
import { startWebhookProcess, webhookFiles, type WebhookProcess } from "./webhook-server-harness.js";

const ALICE = "alice@example.test";
type Answer = { response: ReviewAnswer };

function keylessPolicyYaml(name: string, glob: string, issuer: string, subject: string, fulcioUrl: string): string {
  return [
    "apiVersion: policy.sigstore.dev/v1beta1",
    "kind: ClusterImagePolicy",
    `metadata: {name: ${name}}`,
    "spec:",
    `  images: [{glob: ${JSON.stringify(glob)}}]`,
    "  authorities:",
    "    - keyless:",
    `        url: ${JSON.stringify(fulcioUrl)}`,
    `        identities: [{issuer: ${JSON.stringify(issuer)}, subject: ${JSON.stringify(subject)}}]`,
    "",
  ].join("\n");
}

async function waitReady(webhook: WebhookProcess): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    status = (await httpsRequest(webhook.target, "GET", "/readyz")).status;
    if (status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return status;
}

describe("signet webhook serve with keyless authorities (local Fulcio, Rekor, OIDC)", () => {
  let registry: TestRegistry;
  let sigstore: FakeSigstore;
  let dir: string;
  let webhook: WebhookProcess;
  let unready: WebhookProcess | undefined;
  const images: Record<string, string> = {};

  before(async () => {
    registry = await startRegistry();
    sigstore = await startFakeSigstore();
    dir = mkdtempSync(join(tmpdir(), "signet-webhook-keyless-"));
    writeFileSync(join(dir, "root.json"), sigstore.trustedRoot);
    const env = { ...cosignEnv({}), SIGNET_TUF_ROOT: join(dir, "tuf") };
    const token = sigstore.token({ email: ALICE });
    const sign = (args: string[]): Promise<RunResult> => runSignet(["sign", "--identity-token", token, "--fulcio-url", sigstore.fulcioUrl, "--rekor-url", sigstore.rekorUrl, ...args], { env, cwd: dir });
    for (const [name, format] of [
      ["apps/legacy", []],
      ["apps/bundle", ["--new-bundle-format"]],
      ["other/legacy", []],
    ] as const) {
      const digest = await pushTestImage(registry.host, name, "v1", `${name}-${Date.now()}`);
      images[name] = `${registry.host}/${name}@${digest}`;
      const signed = await sign([...format, images[name]!]);
      assert.equal(signed.status, 0, signed.stderr);
    }
    images["apps/unsigned"] = `${registry.host}/apps/unsigned@${await pushTestImage(registry.host, "apps/unsigned", "v1", `unsigned-${Date.now()}`)}`;
    const files = webhookFiles({
      "apps.yaml": keylessPolicyYaml("apps-alice", `${registry.host}/apps/**`, sigstore.issuer, ALICE, sigstore.fulcioUrl),
      "other.yaml": keylessPolicyYaml("other-bob", `${registry.host}/other/**`, sigstore.issuer, "bob@example.test", sigstore.fulcioUrl),
    });
    webhook = await startWebhookProcess(files, ["--deadline", "5s", "--trusted-root", join(dir, "root.json")]);
    unready = await startWebhookProcess(files, ["--deadline", "5s", "--trusted-root", join(dir, "missing-root.json")]);
  });

  after(async () => {
    await webhook?.stop();
    await unready?.stop();
    await sigstore?.stop();
    await registry?.stop();
  });

  const validate = async (target: WebhookProcess, image: string) => (await postReview(target.target, "/validate", admissionReview(workload("Pod", { containers: { app: image } })))).json<Answer>().response;

  test("ready once the trusted root is loaded; images signed keyless by the policy's identity are allowed (legacy .sig and bundle)", async () => {
    assert.equal(await waitReady(webhook), 200);
    const legacy = await validate(webhook, images["apps/legacy"]!);
    assert.equal(legacy.allowed, true, legacy.status?.message);
    const bundle = await validate(webhook, images["apps/bundle"]!);
    assert.equal(bundle.allowed, true, bundle.status?.message);
  });

  test("another subject is denied, naming who signed; an unsigned image is denied", async () => {
    const other = await validate(webhook, images["other/legacy"]!);
    assert.equal(other.allowed, false);
    assert.match(other.status!.message, /policy "other-bob"/);
    assert.match(other.status!.message, /bob@example\.test/);
    assert.match(other.status!.message, new RegExp(`signed by "${ALICE.replace(/\./g, "\\.")}"`));
    const unsigned = await validate(webhook, images["apps/unsigned"]!);
    assert.equal(unsigned.allowed, false);
    assert.match(unsigned.status!.message, /no signatures/i);
  });

  test("a trusted root that cannot be loaded: /readyz is 503 with the reason, and keyless images are denied", async () => {
    const ready = await httpsRequest(unready!.target, "GET", "/readyz");
    assert.equal(ready.status, 503);
    assert.match(ready.text, /trust root/);
    const answer = await validate(unready!, images["apps/legacy"]!);
    assert.equal(answer.allowed, false);
    assert.match(answer.status!.message, /trust root/);
  });
});
