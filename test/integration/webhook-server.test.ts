// `signet webhook serve` as the API server sees it: a child process on loopback HTTPS, AdmissionReview
// requests for every kind, a real registry (docker-registry) holding signed and unsigned images.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Digest } from "../../src/internal/digest.js";
import { pushTestImage } from "../helpers/images.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { admissionReview, patchOf, podSpec, workload, type ReviewAnswer } from "../unit/webhook/server/admission-reviews.js";
import { httpsRequest, postReview } from "../unit/webhook/server/https-client.js";
import { keyPolicyYaml, metricValue, signingSetup, startWebhookProcess, webhookFiles, type SigningSetup, type WebhookProcess } from "./webhook-server-harness.js";

type Answer = { response: ReviewAnswer };

describe("signet webhook serve (real registry)", () => {
  let registry: TestRegistry;
  let signer: SigningSetup;
  let otherSigner: SigningSetup;
  let webhook: WebhookProcess;
  const digests: Record<string, Digest> = {};
  let host: string;

  before(async () => {
    registry = await startRegistry();
    host = registry.host;
    signer = signingSetup();
    otherSigner = signingSetup();
    for (const [name, content] of [
      ["apps/signed", "signed"],
      ["apps/unsigned", "unsigned"],
      ["apps/other-key", "other-key"],
      ["apps/transplant", "transplant"],
      ["audit/unsigned", "audit-unsigned"],
    ] as const) {
      digests[name] = await pushTestImage(host, name, "1.0", content);
    }
    await signer.sign(`${host}/apps/signed:1.0`);
    await otherSigner.sign(`${host}/apps/other-key:1.0`);
    // The trusted key's valid signature of apps/signed, attached to apps/transplant (security case B.15).
    await signer.transplant(`${host}/apps/transplant:1.0`, digests["apps/signed"]!);
    const files = webhookFiles({
      "apps.yaml": keyPolicyYaml("apps-signed", `${host}/apps/**`, signer.publicKeyPem),
      "audit.yaml": keyPolicyYaml("audit-only", `${host}/audit/**`, signer.publicKeyPem, "warn"),
    });
    webhook = await startWebhookProcess(files, ["--deadline", "5s"]);
  });

  after(async () => {
    await webhook?.stop();
    await signer?.close();
    await otherSigner?.close();
    await registry?.stop();
  });

  const review = (images: Parameters<typeof workload>[1], kind = "Pod", options: Parameters<typeof admissionReview>[1] = {}) => admissionReview(workload(kind, images), options);
  // /validate alone denies governed tags it cannot pin (ADMISSION_TAG_UNPINNED, webhook-hardening.test.ts):
  // decisions about tags are asked through /mutate, which pins them.
  const validate = async (body: unknown) => (await postReview(webhook.target, "/mutate", body)).json<Answer>().response;
  const mutate = async (body: unknown) => (await postReview(webhook.target, "/mutate", body)).json<Answer>().response;

  test("a signed image is allowed, by tag and by digest", async () => {
    assert.equal((await validate(review({ containers: { app: `${host}/apps/signed:1.0` } }))).allowed, true);
    assert.equal((await validate(review({ containers: { app: `${host}/apps/signed@${digests["apps/signed"]}` } }))).allowed, true);
  });

  test("an unsigned image is denied, saying which container, image, policy and how to fix it", async () => {
    const answer = await validate(review({ containers: { web: `${host}/apps/unsigned:1.0` } }));
    assert.equal(answer.allowed, false);
    assert.equal(answer.status?.code, 403);
    const message = answer.status!.message;
    assert.match(message, /container "web"/);
    assert.match(message, new RegExp(`${host}/apps/unsigned:1\\.0`));
    assert.match(message, /policy "apps-signed"/);
    assert.match(message, /fix: /);
  });

  test("a signature by another key is denied; a trusted signature of another digest (transplant) is denied", async () => {
    const otherKey = await validate(review({ containers: { app: `${host}/apps/other-key:1.0` } }));
    assert.equal(otherKey.allowed, false);
    assert.match(otherKey.status!.message, /SIG_INVALID|no signature verified|did not verify/i);
    const transplant = await validate(review({ containers: { app: `${host}/apps/transplant:1.0` } }));
    assert.equal(transplant.allowed, false, "the signature is for another digest");
    assert.match(transplant.status!.message, /another (image )?digest|digest/i);
  });

  test("an unsigned init container denies the pod, even when the app container is signed", async () => {
    const answer = await validate(review({ containers: { app: `${host}/apps/signed:1.0` }, initContainers: { setup: `${host}/apps/unsigned:1.0` } }));
    assert.equal(answer.allowed, false);
    assert.match(answer.status!.message, /init container "setup"/);
  });

  test("an unsigned ephemeral container (UPDATE of pods/ephemeralcontainers) is denied; a signed one allowed", async () => {
    const pod = workload("Pod", { containers: { app: `${host}/apps/signed@${digests["apps/signed"]}` } });
    const withDebugger = (image: string) => ({ ...pod, spec: podSpec({ containers: { app: `${host}/apps/signed@${digests["apps/signed"]}` }, ephemeralContainers: { debugger: image } }) });
    const denied = await validate(admissionReview(withDebugger(`${host}/apps/unsigned:1.0`), { operation: "UPDATE", subResource: "ephemeralcontainers", oldObject: pod }));
    assert.equal(denied.allowed, false);
    assert.match(denied.status!.message, /ephemeral container "debugger"/);
    const allowed = await validate(admissionReview(withDebugger(`${host}/apps/signed:1.0`), { operation: "UPDATE", subResource: "ephemeralcontainers", oldObject: pod }));
    assert.equal(allowed.allowed, true);
  });

  test("every workload kind: signed pod templates allowed, unsigned denied", async () => {
    for (const kind of ["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController"]) {
      assert.equal((await validate(review({ containers: { app: `${host}/apps/signed:1.0` } }, kind))).allowed, true, kind);
      assert.equal((await validate(review({ containers: { app: `${host}/apps/unsigned:1.0` } }, kind))).allowed, false, kind);
    }
  });

  test("/mutate pins each tag to the digest it verified", async () => {
    const answer = await mutate(review({ containers: { app: `${host}/apps/signed:1.0` }, initContainers: { init: `${host}/apps/signed@${digests["apps/signed"]}` } }, "Deployment"));
    assert.equal(answer.allowed, true);
    assert.deepEqual(patchOf(answer), [{ op: "replace", path: "/spec/template/spec/containers/0/image", value: `${host}/apps/signed@${digests["apps/signed"]}` }]);
  });

  test("warn mode: an unsigned image under a warn-only policy is allowed with a warning", async () => {
    const answer = await validate(review({ containers: { app: `${host}/audit/unsigned:1.0` } }));
    assert.equal(answer.allowed, true);
    assert.equal(answer.warnings?.length, 1);
    assert.match(answer.warnings![0]!, /audit-only/);
  });

  test("an image no policy matches is denied (the default no-match action)", async () => {
    const answer = await validate(review({ containers: { app: "docker.io/library/busybox:latest" } }));
    assert.equal(answer.allowed, false);
    assert.match(answer.status!.message, /no ClusterImagePolicy matches/);
  });

  test("many pods with signed and unsigned images at once: each decision and patch is its own (B.19)", async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const name = i % 3 === 0 ? "apps/unsigned" : "apps/signed";
        return mutate(review({ containers: { [`c${i}`]: `${host}/${name}:1.0` } }, "Pod", { uid: `uid-${i}` })).then((answer) => ({ i, name, answer }));
      }),
    );
    for (const { i, name, answer } of answers) {
      assert.equal(answer.uid, `uid-${i}`);
      assert.equal(answer.allowed, name === "apps/signed", `request ${i}`);
      if (answer.allowed) assert.deepEqual(patchOf(answer)[0]?.value, `${host}/apps/signed@${digests["apps/signed"]}`);
    }
  });

  test("repeated decisions come from the cache (metrics say so) and make no registry request for digests", async () => {
    const image = `${host}/apps/signed@${digests["apps/signed"]}`;
    await validate(review({ containers: { app: image } }));
    const before = await webhook.metrics();
    for (let i = 0; i < 10; i++) assert.equal((await validate(review({ containers: { app: image } }))).allowed, true);
    const afterText = await webhook.metrics();
    assert.equal(metricValue(afterText, "signet_webhook_registry_requests_total") - metricValue(before, "signet_webhook_registry_requests_total"), 0);
    assert.ok(metricValue(afterText, "signet_webhook_cache_hits_total", { cache: "verdict" }) - metricValue(before, "signet_webhook_cache_hits_total", { cache: "verdict" }) >= 10);
    assert.ok(metricValue(afterText, "signet_webhook_image_decisions_total", { result: "allowed", policy: "apps-signed" }) > 0);
    assert.ok(metricValue(afterText, "signet_webhook_admission_duration_seconds_count", { endpoint: "mutate" }) > 0);
  });

  test("a registry that stops answering: the request is denied before the deadline, with the reason", async () => {
    await pushTestImage(host, "apps/fresh", "1.0", "fresh");
    process.kill(registry.pid, "SIGSTOP");
    try {
      const started = Date.now();
      const answer = await validate(review({ containers: { app: `${host}/apps/fresh:1.0` } }));
      assert.equal(answer.allowed, false);
      assert.ok(Date.now() - started < 6_500, `answered after ${Date.now() - started} ms`);
      assert.match(answer.status!.message, /could not|deadline|did not/);
    } finally {
      process.kill(registry.pid, "SIGCONT");
    }
  });

  test("--policy-json: a containers-policy.json decides (here alone, without ClusterImagePolicies)", async () => {
    const files = webhookFiles({});
    const keyPath = join(files.dir, "cosign.pub");
    writeFileSync(keyPath, signer.publicKeyPem);
    const policyJson = join(files.dir, "policy.json");
    writeFileSync(
      policyJson,
      JSON.stringify({
        default: [{ type: "reject" }],
        transports: { docker: { [`${host}/apps`]: [{ type: "sigstoreSigned", keyPath, signedIdentity: { type: "matchRepository" } }] } },
      }),
    );
    const withPolicyJson = await startWebhookProcess({ ...files, policyDir: "" }, ["--policy-json", policyJson]);
    try {
      const ask = async (image: string) => (await postReview(withPolicyJson.target, "/mutate", review({ containers: { app: image } }))).json<Answer>().response;
      const signed = await ask(`${host}/apps/signed:1.0`);
      assert.equal(signed.allowed, true);
      assert.deepEqual(patchOf(signed), [{ op: "replace", path: "/spec/containers/0/image", value: `${host}/apps/signed@${digests["apps/signed"]}` }]);
      assert.equal((await ask(`${host}/apps/unsigned:1.0`)).allowed, false);
      assert.equal((await ask(`${host}/apps/other-key:1.0`)).allowed, false);
      assert.equal((await ask("docker.io/library/busybox:latest")).allowed, false, "the policy's default rejects");
    } finally {
      await withPolicyJson.stop();
    }
  });

  test("/healthz, /readyz; structured logs carry decisions and never key material", async () => {
    assert.equal((await httpsRequest(webhook.target, "GET", "/healthz")).status, 200);
    assert.equal((await httpsRequest(webhook.target, "GET", "/readyz")).status, 200);
    assert.ok(webhook.logs.some((line) => line["msg"] === "admission denied" && Array.isArray(line["images"])));
    assert.ok(!JSON.stringify(webhook.logs).includes("PRIVATE KEY"));
  });
});
