/**
 * The swr-cosign flow with a KMS key (#11): an image is signed with `signet sign --key awskms://…` (P-256 and SM2,
 * the key types swr-cosign's guide uses) against a local server speaking AWS KMS's JSON protocol over HTTPS, then
 * admitted by the webhook whose ClusterImagePolicy names the same key as `key.kms`: the webhook fetches the public
 * key from the KMS once, and allows the signed image and denies the unsigned one with the code. `check-policy`
 * accepts the policy only when the KMS can be reached.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { signSm2 } from "../../src/keys/sm2.js";
import { runSignet } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { createLoopbackTls, signDigest, startJsonServer, type RecordedRequest, type TestServer } from "../helpers/kms-servers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { admissionReview, workload } from "../unit/webhook/server/admission-reviews.js";
import { postReview } from "../unit/webhook/server/https-client.js";
import { startWebhookProcess, webhookFiles, type WebhookProcess } from "./webhook-server-harness.js";

const REGION = "eu-west-3";
/** policy-controller's validation takes a key with an endpoint only as an ARN (awskms://HOST:PORT/arn:…:alias/NAME). */
const aliasArn = (alias: string) => `arn:aws:kms:${REGION}:111122223333:alias/${alias}`;

describe("KMS keys: signet sign --key awskms://, admitted by the webhook's key.kms authority", () => {
  const keys = new Map<string, { spec: string; algorithm: string; privateKey: KeyObject; sm2: boolean; spki: Buffer }>();
  let kms: TestServer;
  let registry: TestRegistry;
  let webhook: WebhookProcess;
  let dir: string;
  let awsEnv: NodeJS.ProcessEnv;
  const saved: NodeJS.ProcessEnv = {};
  const reference = (alias: string) => `awskms://localhost:${kms.port}/${aliasArn(alias)}`;

  function answer(request: RecordedRequest) {
    const fail = (type: string) => ({ status: 400, headers: { "content-type": "application/x-amz-json-1.1" }, body: { __type: type, message: type } });
    if (!/^AWS4-HMAC-SHA256 Credential=AKIDSIGNETFLOW/.test(String(request.headers["authorization"] ?? ""))) return fail("UnrecognizedClientException");
    const body = JSON.parse(request.body.toString()) as { KeyId: string; Message?: string; MessageType?: string; SigningAlgorithm?: string };
    const key = keys.get(body.KeyId);
    if (key === undefined) return fail("NotFoundException");
    if (request.headers["x-amz-target"] === "TrentService.GetPublicKey") {
      return { status: 200, body: { KeyId: body.KeyId, KeySpec: key.spec, KeyUsage: "SIGN_VERIFY", PublicKey: key.spki.toString("base64"), SigningAlgorithms: [key.algorithm] } };
    }
    if (request.headers["x-amz-target"] !== "TrentService.Sign" || body.SigningAlgorithm !== key.algorithm) return fail("ValidationException");
    const message = Buffer.from(body.Message ?? "", "base64");
    const signature = key.sm2 ? signSm2(key.privateKey, message) : signDigest(key.privateKey, message);
    return { status: 200, body: { KeyId: body.KeyId, Signature: signature.toString("base64"), SigningAlgorithm: key.algorithm } };
  }

  before(async () => {
    const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const sm2 = generateKeyPairSync("ec", { namedCurve: "SM2" });
    keys.set(aliasArn("release"), { spec: "ECC_NIST_P256", algorithm: "ECDSA_SHA_256", privateKey: p256.privateKey, sm2: false, spki: p256.publicKey.export({ type: "spki", format: "der" }) });
    keys.set(aliasArn("release-sm2"), { spec: "SM2", algorithm: "SM2DSA", privateKey: sm2.privateKey, sm2: true, spki: sm2.publicKey.export({ type: "spki", format: "der" }) });
    const tls = createLoopbackTls();
    kms = await startJsonServer(answer, tls);
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-kms-flow-"));
    awsEnv = { AWS_ACCESS_KEY_ID: "AKIDSIGNETFLOW", AWS_SECRET_ACCESS_KEY: "not-a-real-secret", AWS_REGION: REGION, AWS_CA_BUNDLE: tls.caFile, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };

    for (const repo of ["p256", "sm2", "unsigned"]) await pushTestImage(registry.host, `swr/${repo}`, "v1", `kms flow ${repo}`);
    for (const [repo, alias] of [["p256", "release"], ["sm2", "release-sm2"]] as const) {
      const signed = await runSignet(["sign", "--key", reference(alias), "--tlog-upload=false", `${registry.host}/swr/${repo}:v1`], { env: { ...process.env, ...awsEnv, HOME: dir } });
      assert.equal(signed.status, 0, `signet sign --key ${reference(alias)}: ${signed.stderr}`);
    }

    const policy = (name: string, repo: string, alias: string) =>
      [
        "apiVersion: policy.sigstore.dev/v1beta1",
        "kind: ClusterImagePolicy",
        `metadata:\n  name: ${name}`,
        "spec:",
        `  images:\n  - glob: "${registry.host}/swr/${repo}*"`,
        "  authorities:",
        `  - key:\n      kms: "${reference(alias)}"`,
        "",
      ].join("\n");
    const cips = { "p256.yaml": policy("swr-p256", "p256", "release"), "sm2.yaml": policy("swr-sm2", "sm2", "release-sm2"), "unsigned.yaml": policy("swr-unsigned", "unsigned", "release") };
    for (const [name, text] of Object.entries(cips)) writeFileSync(join(dir, name), text);
    // The webhook process inherits this process's environment: the AWS credentials and the KMS server's CA.
    for (const [name, value] of Object.entries(awsEnv)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    webhook = await startWebhookProcess(webhookFiles(cips), ["--deadline", "20s", "--no-match-action", "deny"]);
  });

  after(async () => {
    await webhook?.stop();
    await registry?.stop();
    await kms?.close();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const admit = async (image: string) =>
    (await postReview(webhook.target, "/mutate", admissionReview(workload("Pod", { containers: { app: image } })))).json<{ response: { allowed: boolean; status?: { message?: string } } }>().response;

  test("the images signed with the P-256 and the SM2 KMS keys are admitted; the unsigned one is denied with SIG_MISSING", async () => {
    assert.equal((await admit(`${registry.host}/swr/p256:v1`)).allowed, true);
    assert.equal((await admit(`${registry.host}/swr/sm2:v1`)).allowed, true);
    const denied = await admit(`${registry.host}/swr/unsigned:v1`);
    assert.equal(denied.allowed, false);
    assert.match(denied.status?.message ?? "", /code: SIG_MISSING/);
  });

  test("the public key was fetched from the KMS, never signed with by the webhook", () => {
    const targets = kms.requests.map((request) => request.headers["x-amz-target"]);
    assert.ok(targets.includes("TrentService.GetPublicKey"));
    assert.equal(targets.filter((target) => target === "TrentService.Sign").length, 2, "one Sign per image signed by the CLI, none by the webhook");
  });

  test("signet verify --key awskms:// verifies with the KMS's public key, and check-policy reaches the KMS", async () => {
    const env = { ...process.env, ...awsEnv, HOME: dir };
    const verified = await runSignet(["verify", "--key", reference("release-sm2"), "--insecure-ignore-tlog", `${registry.host}/swr/sm2:v1`], { env });
    assert.equal(verified.status, 0, verified.stderr);
    const wrong = await runSignet(["verify", "--key", reference("release"), "--insecure-ignore-tlog", "--output-format", "json", `${registry.host}/swr/sm2:v1`], { env });
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stdout, /"SIG_INVALID"/);
    const checked = await runSignet(["webhook", "check-policy", join(dir, "p256.yaml")], { env });
    assert.equal(checked.status, 0, checked.stderr + checked.stdout);
  });
});
