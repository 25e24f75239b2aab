import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { after, before, describe, test } from "node:test";
import { createServingCertificates } from "../../../../src/webhook/server/certificates/serving-certificates.js";
import { admissionReview, patchOf, workload, type ReviewAnswer } from "./admission-reviews.js";
import { digestOf, fakeEvaluator } from "./fixtures.js";
import { httpsRequest, postReview, type HttpsTarget } from "./https-client.js";
import { keyPolicyYaml, startTestWebhook, type TestWebhook } from "./webhook-setup.js";

const SIGNED = digestOf("a");
const UNSIGNED = digestOf("b");
const SLOW = digestOf("c");

describe("webhook server (in process, fake evaluation)", () => {
  let running: TestWebhook;
  let target: HttpsTarget;
  const evaluator = fakeEvaluator({ signed: new Set([SIGNED, SLOW]) });
  const evaluateImage: typeof evaluator.evaluate = async (image, policies, deps) => {
    if (deps.pinnedDigest === SLOW) await new Promise((resolve) => setTimeout(resolve, 1500));
    return evaluator.evaluate(image, policies, deps);
  };

  before(async () => {
    running = await startTestWebhook({ evaluateImage, settings: { deadline: "500ms", maxRequestBytes: 128 * 1024 } });
    target = { port: running.webhook.port, ca: running.ca };
  });
  after(async () => {
    await running.webhook.close();
  });

  test("/healthz and /readyz answer; /metrics is Prometheus text", async () => {
    assert.equal((await httpsRequest(target, "GET", "/healthz")).status, 200);
    assert.equal((await httpsRequest(target, "GET", "/readyz")).text, "ready\n");
    const metrics = await httpsRequest(target, "GET", "/metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers["content-type"] as string, /text\/plain/);
    assert.match(metrics.text, /signet_webhook_admission_requests_total/);
    assert.match(metrics.text, /signet_webhook_policy_info\{version="[a-f0-9]{64}"\} 1/);
  });

  test("a signed pod is allowed, an unsigned one denied with the container, image and reason", async () => {
    const allowed = await postReview(target, "/validate", admissionReview(workload("Pod", { containers: { app: `registry.example/app@${SIGNED}` } }), { uid: "uid-1" }));
    assert.equal(allowed.status, 200);
    const answer = allowed.json<{ apiVersion: string; kind: string; response: ReviewAnswer }>();
    assert.equal(answer.apiVersion, "admission.k8s.io/v1");
    assert.equal(answer.kind, "AdmissionReview");
    assert.deepEqual({ uid: answer.response.uid, allowed: answer.response.allowed }, { uid: "uid-1", allowed: true });

    const denied = (
      await postReview(target, "/validate", admissionReview(workload("Deployment", { containers: { app: `registry.example/app@${SIGNED}` }, initContainers: { setup: `registry.example/setup@${UNSIGNED}` } })))
    ).json<{ response: ReviewAnswer }>().response;
    assert.equal(denied.allowed, false);
    assert.equal(denied.status?.code, 403);
    assert.match(denied.status!.message, /init container "setup"/);
    assert.match(denied.status!.message, new RegExp(`registry.example/setup@${UNSIGNED}`));
    assert.match(denied.status!.message, /no signature/);
  });

  test("every workload kind is inspected", async () => {
    for (const kind of ["Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController"]) {
      const denied = (await postReview(target, "/validate", admissionReview(workload(kind, { containers: { app: `registry.example/app@${UNSIGNED}` } })))).json<{ response: ReviewAnswer }>();
      assert.equal(denied.response.allowed, false, kind);
      const allowed = (await postReview(target, "/validate", admissionReview(workload(kind, { containers: { app: `registry.example/app@${SIGNED}` } })))).json<{ response: ReviewAnswer }>();
      assert.equal(allowed.response.allowed, true, kind);
    }
  });

  test("an image not verified before the deadline is denied with the reason, and the answer comes in time", async () => {
    const started = Date.now();
    const answer = (await postReview(target, "/validate", admissionReview(workload("Pod", { containers: { app: `registry.example/slow@${SLOW}` } })))).json<{ response: ReviewAnswer }>();
    const elapsed = Date.now() - started;
    assert.equal(answer.response.allowed, false);
    assert.match(answer.response.status!.message, /deadline of 0\.5s/);
    assert.ok(elapsed < 1400, `answered after ${elapsed} ms`);
    const metrics = await httpsRequest(target, "GET", "/metrics");
    assert.match(metrics.text, /signet_webhook_deadline_exceeded_total\{endpoint="validate"\} [1-9]/);
  });

  test("/mutate pins a digest reference's spelling; a DELETE is allowed without evaluation", async () => {
    const review = admissionReview(workload("Pod", { containers: { app: `registry.example/app:1.0@${SIGNED}` } }));
    const answer = (await postReview(target, "/mutate", review)).json<{ response: ReviewAnswer }>().response;
    assert.equal(answer.allowed, true);
    assert.equal(answer.patchType, "JSONPatch");
    assert.deepEqual(patchOf(answer), [{ op: "replace", path: "/spec/containers/0/image", value: `registry.example/app@${SIGNED}` }]);
    const deletion = (await postReview(target, "/validate", admissionReview(workload("Pod", { containers: { app: "unsigned:latest" } }), { operation: "DELETE" }))).json<{ response: ReviewAnswer }>();
    assert.equal(deletion.response.allowed, true);
  });

  test("bad requests are refused: wrong method, content type, size, JSON, AdmissionReview version", async () => {
    assert.equal((await httpsRequest(target, "GET", "/validate")).status, 405);
    assert.equal((await httpsRequest(target, "POST", "/healthz", "{}")).status, 405);
    assert.equal((await httpsRequest(target, "POST", "/validate", "{}", { "content-type": "text/plain" })).status, 415);
    assert.equal((await httpsRequest(target, "GET", "/nowhere")).status, 404);
    assert.equal((await httpsRequest(target, "POST", "/validate", "x".repeat(200 * 1024))).status, 413);
    assert.equal((await httpsRequest(target, "POST", "/validate", "{not json")).status, 400);
    const v1beta1 = { ...admissionReview(workload("Pod", { containers: { app: `registry.example/app@${SIGNED}` } }), { uid: "old" }), apiVersion: "admission.k8s.io/v1beta1" };
    const answer = await postReview(target, "/validate", v1beta1);
    assert.equal(answer.status, 200);
    assert.equal(answer.json<{ response: ReviewAnswer }>().response.allowed, false, "an unreadable review with a uid is denied");
  });

  test("keep-alive connections serve many requests", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 20; i++) {
        const answer = await postReview({ ...target, agent }, "/validate", admissionReview(workload("Pod", { containers: { app: `registry.example/app@${SIGNED}` } })));
        assert.equal(answer.status, 200);
      }
    } finally {
      agent.destroy();
    }
  });

  test("logs are JSON lines with the decision and no secrets", () => {
    const decisions = running.logs.filter((line) => typeof line["msg"] === "string" && (line["msg"] as string).startsWith("admission "));
    assert.ok(decisions.length > 0);
    const denied = decisions.find((line) => line["result"] === "denied")!;
    assert.ok(Array.isArray(denied["images"]));
    assert.equal(typeof denied["uid"], "string");
    assert.ok(!JSON.stringify(running.logs).includes("PRIVATE KEY"));
  });
});

describe("webhook server lifecycle", () => {
  test("the serving certificate is replaced without a restart; a broken pair keeps the old one", async () => {
    const running = await startTestWebhook({ evaluateImage: fakeEvaluator({ signed: new Set() }).evaluate });
    try {
      const first = await httpsRequest({ port: running.webhook.port, ca: running.ca }, "GET", "/healthz");
      const next = createServingCertificates({ service: "signet-webhook", namespace: "signet-system" });
      writeFileSync(running.certFile, next.certPem); // the key is not there yet
      await running.webhook.reloadTls();
      const during = await httpsRequest({ port: running.webhook.port, ca: running.ca }, "GET", "/healthz");
      assert.equal(during.certificate, first.certificate, "still the old pair");
      writeFileSync(running.keyFile, next.keyPem);
      await running.webhook.reloadTls();
      const afterReload = await httpsRequest({ port: running.webhook.port, ca: next.caCertPem }, "GET", "/healthz");
      assert.equal(afterReload.status, 200);
      assert.notEqual(afterReload.certificate, first.certificate);
      await assert.rejects(httpsRequest({ port: running.webhook.port, ca: running.ca }, "GET", "/healthz"), "the old CA no longer verifies the new certificate");
      assert.ok(running.logs.some((line) => line["msg"] === "serving certificate reloaded"));
      assert.ok(running.logs.some((line) => line["msg"] === "new serving certificate refused; still serving the previous one"));
    } finally {
      await running.webhook.close();
    }
  });

  test("a policy change is picked up; an invalid policy file is refused and the old policies stay", async () => {
    const running = await startTestWebhook({ evaluateImage: fakeEvaluator({ signed: new Set() }).evaluate });
    try {
      const before = running.webhook.policies.version;
      writeFileSync(running.policyFile, keyPolicyYaml("other-policy", "registry.example/**"));
      await running.webhook.reloadPolicies();
      const changed = running.webhook.policies.version;
      assert.notEqual(changed, before);
      assert.deepEqual(
        running.webhook.policies.clusterImagePolicies.policies.map((p) => p.name),
        ["other-policy"],
      );
      writeFileSync(running.policyFile, "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: broken}\nspec: {images: [{glob: '['}]}\n");
      await running.webhook.reloadPolicies();
      assert.equal(running.webhook.policies.version, changed);
      assert.ok(running.logs.some((line) => line["msg"] === "policy reload refused; the previous policies stay in force"));
    } finally {
      await running.webhook.close();
    }
  });

  test("graceful shutdown: not ready at once, requests in flight finish, then the port closes", async () => {
    const slow = digestOf("d");
    const evaluator = fakeEvaluator({ signed: new Set([slow]), delayMs: 400 });
    const running = await startTestWebhook({ evaluateImage: evaluator.evaluate, settings: { deadline: "5s" } });
    const target = { port: running.webhook.port, ca: running.ca };
    const inFlight = postReview(target, "/validate", admissionReview(workload("Pod", { containers: { app: `registry.example/app@${slow}` } })));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = running.webhook.close();
    const answer = await inFlight;
    assert.equal(answer.status, 200);
    assert.equal(answer.json<{ response: ReviewAnswer }>().response.allowed, true, "the request in flight was answered, not cut");
    await closing;
    await assert.rejects(httpsRequest(target, "GET", "/healthz"), /ECONNREFUSED/);
  });

  test("the server does not start with invalid policies or an unusable certificate", async () => {
    const evaluateImage = fakeEvaluator({ signed: new Set() }).evaluate;
    await assert.rejects(startTestWebhook({ evaluateImage, policyYaml: "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: x}\nspec: {}\n" }), (error: { code?: string }) => error.code === "CLUSTER_IMAGE_POLICY_INVALID");
  });
});
