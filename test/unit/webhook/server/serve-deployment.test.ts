// What a deployment relies on, through serveWebhook in this process: metrics on a port of their own with the
// standard process_/nodejs_ names; ClusterImagePolicies from the API (list and watch against a fake API
// server) enforced next to the files; the serving certificate issued by the webhook itself (certRotation);
// and a Redis that is down logged once, not once per retry.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startFakeApiServer, type FakeApiServer } from "../kube/fake-apiserver.js";
import { eventually } from "../../../helpers/eventually.js";
import { digestOf, fakeEvaluator } from "./fixtures.js";
import { httpsRequest } from "./https-client.js";
import { keyPolicyYaml, startTestWebhook } from "./webhook-setup.js";

const CIPS = "apis/policy.sigstore.dev/v1beta1/clusterimagepolicies";
const evaluator = fakeEvaluator({ signed: new Set([digestOf("a")]) });

function cip(name: string, glob: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: "policy.sigstore.dev/v1beta1", kind: "ClusterImagePolicy", metadata: { name }, spec: { images: [{ glob }], authorities: [{ static: { action: "pass" } }], ...extra } };
}

describe("serveWebhook: deployment features", () => {
  let api: FakeApiServer;
  before(async () => {
    api = await startFakeApiServer();
  });
  after(async () => {
    await api.stop();
  });

  test("metrics: plain HTTP on their own port, standard process_/nodejs_ names, only GET /metrics", async () => {
    const running = await startTestWebhook({ evaluateImage: evaluator.evaluate, processMetrics: true });
    try {
      const { metricsPort, port } = running.webhook;
      assert.ok(metricsPort > 0 && metricsPort !== port);
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_heap_size_used_bytes", "nodejs_eventloop_lag_seconds", "signet_webhook_admission_requests_total", "signet_webhook_policy_info"]) {
        assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
      }
      assert.doesNotMatch(text, /signet_webhook_process_|signet_webhook_nodejs_/);
      const expiry = Number(/^signet_webhook_serving_certificate_expiry_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
      assert.ok(Math.abs(expiry - (Date.now() / 1000 + 365 * 86_400)) < 2 * 86_400, "the expiry of the certificate served");
      assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: "POST", body: "x" })).status, 405);
      assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/mutate`, { method: "POST", body: "{}" })).status, 404);
      assert.ok(running.logs.some((line) => line["msg"] === "webhook serving" && line["metricsPort"] === metricsPort));
    } finally {
      await running.webhook.close();
    }
  });

  test("ClusterImagePolicies of the cluster are enforced with the files', and follow kubectl apply/delete", async () => {
    api.apply(CIPS, cip("from-cluster", "registry.example.com/team/**"));
    const running = await startTestWebhook({
      evaluateImage: evaluator.evaluate,
      policyYaml: keyPolicyYaml("from-file", "other.example.com/**"),
      settings: { watchClusterImagePolicies: true, kubeconfig: api.kubeconfig },
      clusterImagePolicyWatch: { backoff: { initialMs: 20, maxMs: 100 } },
    });
    const names = () => running.webhook.policies.clusterImagePolicies.policies.map((policy) => policy.name).sort();
    try {
      assert.deepEqual(names(), ["from-cluster", "from-file"]);
      api.apply(CIPS, cip("added", "registry.example.com/added/**"));
      await eventually(() => names().includes("added"), "the applied policy in force");
      const version = running.webhook.policies.version;
      api.apply(CIPS, cip("added", "registry.example.com/changed/**"));
      await eventually(() => running.webhook.policies.version !== version, "the changed policy in force");
      api.remove(CIPS, "from-cluster");
      await eventually(() => !names().includes("from-cluster"), "the deleted policy gone");

      // An invalid policy (no authorities) is refused whole: the previous policies stay in force.
      const before = running.webhook.policies.version;
      api.apply(CIPS, { ...cip("broken", "registry.example.com/**"), spec: { images: [{ glob: "registry.example.com/**" }] } });
      await eventually(() => running.logs.some((line) => line["msg"] === "policy reload refused; the previous policies stay in force" && line["code"] === "CLUSTER_IMAGE_POLICY_INVALID"), "the refusal logged");
      assert.equal(running.webhook.policies.version, before);
      api.remove(CIPS, "broken");
      // A name used by a file and by the cluster is refused too.
      api.apply(CIPS, cip("from-file", "registry.example.com/**"));
      await eventually(() => running.logs.some((line) => String(line["error"]).includes('"from-file" is defined both in the cluster')), "the clash logged");
      api.remove(CIPS, "from-file");
      await eventually(() => names().join() === "added,from-file", "back to a valid set");
      assert.ok(api.requests.some((line) => line.startsWith(`GET /${CIPS}?watch=true`)));
    } finally {
      await running.webhook.close();
    }
  });

  test("certRotation: the server starts with a certificate it issued, trusted through the caBundle it set", async () => {
    const secrets = "api/v1/namespaces/signet-system/secrets";
    api.remove(secrets, "signet-webhook-tls");
    for (const collection of ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]) {
      api.apply(`apis/admissionregistration.k8s.io/v1/${collection}`, { metadata: { name: "signet-webhook" }, webhooks: [{ name: "x.signet.dev", clientConfig: {} }] });
    }
    const running = await startTestWebhook({
      evaluateImage: evaluator.evaluate,
      settings: { kubeconfig: api.kubeconfig, certRotation: { secretName: "signet-webhook-tls", service: "signet-webhook", mutatingWebhookConfiguration: "signet-webhook", validatingWebhookConfiguration: "signet-webhook" } },
    });
    try {
      const bundle = (api.get("apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", "signet-webhook")!["webhooks"] as { clientConfig: { caBundle: string } }[])[0]!.clientConfig.caBundle;
      const ca = Buffer.from(bundle, "base64").toString("utf8");
      // What the API server does: trust the caBundle, dial signet-webhook.signet-system.svc.
      const answer = await httpsRequest({ port: running.webhook.port, ca }, "GET", "/readyz");
      assert.equal(answer.status, 200);
      const stored = Buffer.from((api.get(secrets, "signet-webhook-tls")!["data"] as Record<string, string>)["tls.crt"]!, "base64");
      assert.equal(answer.certificate, new X509Certificate(stored).fingerprint256.replaceAll(":", "").toLowerCase());
    } finally {
      await running.webhook.close();
    }
  });

  test("a Redis that is down is logged once, not once per reconnection attempt", async () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), "signet-hmac-")), "hmac-key");
    writeFileSync(keyFile, `${"k".repeat(32)}\n`);
    const running = await startTestWebhook({ evaluateImage: evaluator.evaluate, settings: { redisUrl: "redis://127.0.0.1:1", redisHmacKeyFile: keyFile } });
    try {
      // ioredis retries every 50 ms, 100 ms, 200 ms, ...: several failed attempts in 1.5 s.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const metrics = await (await fetch(`http://127.0.0.1:${running.webhook.metricsPort}/metrics`)).text();
      const attempts = Number(/^signet_webhook_cache_errors_total\{store="redis",operation="connect"\} (\d+)/m.exec(metrics)?.[1] ?? "0");
      assert.ok(attempts >= 3, `${attempts} connection attempts counted`);
      const lines = running.logs.filter((line) => line["store"] !== undefined && String(line["msg"]).startsWith("cache store"));
      assert.deepEqual(lines.map((line) => line["msg"]), ["cache store unreachable: every lookup is a miss (images are verified again) until it is back; retrying in the background"]);
    } finally {
      await running.webhook.close();
    }
  });
});
