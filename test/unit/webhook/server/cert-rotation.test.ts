// The webhook's own serving certificate against a fake API server on loopback: issued into a Secret shared by
// the replicas, the caBundle set in both webhook configurations through the API, written to the files the
// server reads, renewed before expiry under the same CA, a new CA bundled with the old one before use, and
// concurrent writers resolved by the API server's optimistic concurrency.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, beforeEach, describe, test } from "node:test";
import type { CertRotationConfig } from "../../../../src/webhook/config/webhook-config.js";
import { createKubeClient, type KubeClient } from "../../../../src/webhook/kube/kube-client.js";
import { createCertRotation, startCertRotation } from "../../../../src/webhook/server/cert-rotation.js";
import { createWebhookLogger, type WebhookLogger } from "../../../../src/webhook/server/logger.js";
import { loadServingTls } from "../../../../src/webhook/server/serving-tls.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { startFakeApiServer, type FakeApiServer } from "../kube/fake-apiserver.js";

const NS = "signet-system";
const SECRETS = `api/v1/namespaces/${NS}/secrets`;
const MUTATING = "apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";
const VALIDATING = "apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
const DAY = 86_400_000;
const CONFIG: CertRotationConfig = {
  secretName: "signet-webhook-tls",
  service: "signet-webhook",
  mutatingWebhookConfiguration: "signet-webhook",
  validatingWebhookConfiguration: "signet-webhook",
  validityMs: 90 * DAY,
  checkIntervalMs: 3_600_000,
};

function webhookConfiguration(kind: string, names: string[]): Record<string, unknown> {
  return { apiVersion: "admissionregistration.k8s.io/v1", kind, metadata: { name: "signet-webhook" }, webhooks: names.map((name) => ({ name, clientConfig: { service: { name: "signet-webhook", namespace: NS, path: "/validate" } } })) };
}

function caBundles(api: FakeApiServer): string[] {
  return [MUTATING, VALIDATING].flatMap((collection) => ((api.get(collection, "signet-webhook")?.["webhooks"] ?? []) as { clientConfig: { caBundle?: string } }[]).map((webhook) => webhook.clientConfig.caBundle ?? ""));
}

function secretData(api: FakeApiServer): Record<string, string> {
  const data = api.get(SECRETS, "signet-webhook-tls")?.["data"] as Record<string, string>;
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]));
}

function pems(bundle: string): X509Certificate[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
}

describe("serving certificate rotation (certRotation)", () => {
  let api: FakeApiServer;
  let client: KubeClient;
  let logger: WebhookLogger;
  const logs: Record<string, unknown>[] = [];
  const files = () => {
    const dir = mkdtempSync(join(tmpdir(), "signet-cert-rotation-"));
    return { certFile: join(dir, "tls.crt"), keyFile: join(dir, "tls.key") };
  };

  before(async () => {
    api = await startFakeApiServer();
    client = createKubeClient({ kubeconfig: api.kubeconfig, env: {}, timeoutMs: 5_000 });
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
        callback();
      },
    });
    logger = await createWebhookLogger({ level: "debug", destination });
  });
  after(async () => {
    await client.close();
    await api.stop();
  });
  beforeEach(() => {
    api.remove(SECRETS, "signet-webhook-tls");
    api.apply(MUTATING, webhookConfiguration("MutatingWebhookConfiguration", ["mutate.signet.dev"]));
    api.apply(VALIDATING, webhookConfiguration("ValidatingWebhookConfiguration", ["validate.signet.dev", "validate-2.signet.dev"]));
    logs.length = 0;
  });

  test("first start: a CA and a serving certificate are issued into the Secret, the caBundle set, the files written", async () => {
    const paths = files();
    const rotation = await startCertRotation({ client, namespace: NS, config: CONFIG, files: paths, logger });
    rotation.close();
    const stored = secretData(api);
    assert.equal(api.get(SECRETS, "signet-webhook-tls")!["type"], "kubernetes.io/tls");
    const tls = await loadServingTls(paths);
    assert.equal(readFileSync(paths.certFile, "utf8"), stored["tls.crt"]);
    assert.equal(statSync(paths.keyFile).mode & 0o777, 0o600, "the key file is private");
    const leaf = new X509Certificate(tls.cert);
    assert.match(leaf.subjectAltName!, /DNS:signet-webhook\.signet-system\.svc\b/);
    const [ca] = pems(stored["ca.crt"]!);
    assert.ok(leaf.verify(ca!.publicKey), "the serving certificate is signed by the stored CA");
    assert.ok(Math.abs(Date.parse(leaf.validTo) - Date.now() - 90 * DAY) < 2 * DAY);
    // Every webhook of both configurations trusts the CA.
    assert.deepEqual(caBundles(api), Array(3).fill(Buffer.from(stored["ca.crt"]!).toString("base64")));
    assert.ok(logs.some((line) => line["msg"] === "serving certificate issued" && line["newCa"] === true));
  });

  test("a second replica uses the Secret as it is: no new certificate, the same files", async () => {
    const first = files();
    const second = files();
    (await startCertRotation({ client, namespace: NS, config: CONFIG, files: first, logger })).close();
    const version = api.get(SECRETS, "signet-webhook-tls")!.metadata["resourceVersion"];
    const writesBefore = api.requests.filter((line) => /^(PUT|POST|PATCH) /.test(line)).length;
    (await startCertRotation({ client, namespace: NS, config: CONFIG, files: second, logger })).close();
    assert.equal(api.get(SECRETS, "signet-webhook-tls")!.metadata["resourceVersion"], version);
    assert.equal(api.requests.filter((line) => /^(PUT|POST|PATCH) /.test(line)).length, writesBefore, "nothing written");
    assert.equal(readFileSync(second.certFile, "utf8"), readFileSync(first.certFile, "utf8"));
  });

  test("renewed when a third of the lifetime is left, under the same CA (the caBundle does not change)", async () => {
    const paths = files();
    (await startCertRotation({ client, namespace: NS, config: CONFIG, files: paths, logger })).close();
    const before = secretData(api);
    const bundle = caBundles(api)[0];
    // 59 days later 31 are left: more than a third (30), nothing to do.
    const early = createCertRotation({ client, namespace: NS, config: CONFIG, files: paths, logger, now: () => new Date(Date.now() + 59 * DAY) });
    assert.deepEqual(await early.check(), { ok: true, renewed: false });
    early.close();
    // 61 days later: renewed.
    const late = createCertRotation({ client, namespace: NS, config: CONFIG, files: paths, logger, now: () => new Date(Date.now() + 61 * DAY) });
    assert.deepEqual(await late.check(), { ok: true, renewed: true });
    late.close();
    const after = secretData(api);
    assert.notEqual(after["tls.crt"], before["tls.crt"]);
    assert.equal(after["ca.crt"], before["ca.crt"]);
    assert.equal(after["ca.key"], before["ca.key"]);
    assert.deepEqual(caBundles(api), Array(3).fill(bundle));
    assert.equal(readFileSync(paths.certFile, "utf8"), after["tls.crt"]);
    assert.ok(Date.parse(new X509Certificate(after["tls.crt"]!).validTo) > Date.now() + 150 * DAY);
  });

  test("a CA near its end: a new CA, bundled with the old one in the webhook configurations before it is used", async () => {
    const paths = files();
    (await startCertRotation({ client, namespace: NS, config: CONFIG, files: paths, logger })).close();
    const oldCa = pems(secretData(api)["ca.crt"]!)[0]!;
    const later = new Date(Date.parse(oldCa.validTo) - 100 * DAY);
    const rotation = createCertRotation({ client, namespace: NS, config: CONFIG, files: paths, logger, now: () => later });
    const before = api.requests.length;
    assert.deepEqual(await rotation.check(), { ok: true, renewed: true });
    rotation.close();
    const stored = secretData(api);
    const [newCa, keptCa] = pems(stored["ca.crt"]!);
    assert.equal(keptCa?.fingerprint256, oldCa.fingerprint256, "the old CA stays in the bundle");
    assert.notEqual(newCa!.fingerprint256, oldCa.fingerprint256);
    assert.ok(new X509Certificate(stored["tls.crt"]!).verify(newCa!.publicKey));
    assert.deepEqual(caBundles(api), Array(3).fill(Buffer.from(stored["ca.crt"]!).toString("base64")));
    const order = api.requests.slice(before).filter((line) => /^(PUT|POST|PATCH) /.test(line));
    assert.match(order[0]!, /^PATCH .*webhookconfigurations/, "the caBundle is patched before the new certificate is stored");
    assert.ok(order.findIndex((line) => line.startsWith("PUT ")) > order.findIndex((line) => line.startsWith("PATCH ")));
  });

  test("another replica wrote first (409): the Secret is read again and used", async () => {
    const paths = files();
    (await startCertRotation({ client, namespace: NS, config: CONFIG, files: paths, logger })).close();
    api.failNext(`PUT /${SECRETS}/signet-webhook-tls`, 409);
    const before = api.requests.length;
    const rotation = createCertRotation({ client, namespace: NS, config: CONFIG, files: paths, logger, now: () => new Date(Date.now() + 61 * DAY) });
    assert.deepEqual(await rotation.check(), { ok: true, renewed: true });
    rotation.close();
    assert.equal(api.requests.slice(before).filter((line) => line.startsWith(`PUT /${SECRETS}/signet-webhook-tls`)).length, 2);
    assert.equal(readFileSync(paths.certFile, "utf8"), secretData(api)["tls.crt"]);
  });

  test("replicas starting together agree on one certificate, and the caBundle is the winner's", async () => {
    const paths = [files(), files(), files()];
    const rotations = await Promise.all(paths.map((item) => startCertRotation({ client, namespace: NS, config: CONFIG, files: item, logger })));
    for (const rotation of rotations) rotation.close();
    const stored = secretData(api);
    for (const item of paths) assert.equal(readFileSync(item.certFile, "utf8"), stored["tls.crt"]);
    assert.deepEqual(caBundles(api), Array(3).fill(Buffer.from(stored["ca.crt"]!).toString("base64")));
  });

  test("a missing webhook configuration is reported and set later; a stale caBundle is corrected", async () => {
    api.remove(MUTATING, "signet-webhook");
    const paths = files();
    (await startCertRotation({ client, namespace: NS, config: CONFIG, files: paths, logger })).close();
    assert.ok(logs.some((line) => line["msg"] === "webhook configuration not found: its caBundle is set when it appears"));
    api.apply(MUTATING, { ...webhookConfiguration("MutatingWebhookConfiguration", ["mutate.signet.dev"]), webhooks: [{ name: "mutate.signet.dev", clientConfig: { caBundle: "c3RhbGU=" } }] });
    const rotation = createCertRotation({ client, namespace: NS, config: CONFIG, files: paths, logger });
    assert.deepEqual(await rotation.check(), { ok: true, renewed: false });
    rotation.close();
    assert.deepEqual(caBundles(api), Array(3).fill(Buffer.from(secretData(api)["ca.crt"]!).toString("base64")));
  });

  test("the API refusing (403) stops the start with KUBE_API_FAILED; later checks report without throwing", async () => {
    api.failNext(`GET /${SECRETS}/signet-webhook-tls`, 403);
    const error = await assertRejectsWithCode(() => startCertRotation({ client, namespace: NS, config: CONFIG, files: files(), logger }), "KUBE_API_FAILED");
    assert.equal(error.details["status"], 403);
    api.failNext(`GET /${SECRETS}/signet-webhook-tls`, 500);
    const rotation = createCertRotation({ client, namespace: NS, config: CONFIG, files: files(), logger });
    const result = await rotation.check();
    rotation.close();
    assert.equal(result.ok, false);
    assert.ok(logs.some((line) => line["msg"] === "serving certificate check failed; retrying at the next check"));
  });

  test("a Secret with a broken or foreign pair is replaced", async () => {
    api.apply(SECRETS, { apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls", metadata: { name: "signet-webhook-tls", namespace: NS }, data: { "tls.crt": "bm90IGEgY2VydA==", "tls.key": "bm8=", "ca.crt": "bm8=", "ca.key": "bm8=" } });
    const paths = files();
    (await startCertRotation({ client, namespace: NS, config: CONFIG, files: paths, logger })).close();
    await loadServingTls(paths);
    assert.ok(logs.some((line) => line["msg"] === "serving certificate issued" && String(line["reason"]).startsWith("the stored certificates are unusable")));
  });
});
