// The webhook process over its life: configuration from a file with flags over it, a serving certificate
// replaced on disk without a restart, and a graceful shutdown on SIGTERM that answers what is in flight.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createServingCertificates } from "../../src/webhook/server/certificates/serving-certificates.js";
import { pushTestImage } from "../helpers/images.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { runSignet } from "../helpers/cli.js";
import { admissionReview, workload, type ReviewAnswer } from "../unit/webhook/server/admission-reviews.js";
import { httpsRequest, postReview } from "../unit/webhook/server/https-client.js";
import { keyPolicyYaml, signingSetup, startWebhookProcess, webhookFiles, type SigningSetup } from "./webhook-server-harness.js";

type Answer = { response: ReviewAnswer };

describe("webhook process lifecycle", () => {
  let registry: TestRegistry;
  let signer: SigningSetup;
  let host: string;

  before(async () => {
    registry = await startRegistry();
    host = registry.host;
    signer = signingSetup();
    for (const name of ["signed", "slow"]) {
      await pushTestImage(host, `apps/${name}`, "1.0", name);
      await signer.sign(`${host}/apps/${name}:1.0`);
    }
  });
  after(async () => {
    await signer?.close();
    await registry?.stop();
  });

  test("the serving certificate is rotated on disk; new connections get the new one, with no restart", async () => {
    const files = webhookFiles({ "apps.yaml": keyPolicyYaml("apps", `${host}/apps/**`, signer.publicKeyPem) });
    const config = join(files.dir, "config.yaml");
    writeFileSync(config, "tlsReloadInterval: 200ms\n");
    const webhook = await startWebhookProcess(files, ["--config", config]);
    try {
      const pid = webhook.child.pid;
      const before = await httpsRequest(webhook.target, "GET", "/healthz");
      const next = createServingCertificates({ service: "signet-webhook", namespace: "signet-system" });
      writeFileSync(files.keyFile, next.keyPem);
      writeFileSync(files.certFile, next.certPem);
      let rotated;
      for (let i = 0; i < 50; i++) {
        await sleep(100);
        rotated = await httpsRequest({ ...webhook.target, ca: next.caCertPem }, "GET", "/healthz").catch(() => undefined);
        if (rotated !== undefined) break;
      }
      assert.ok(rotated, "a client trusting only the new CA connects");
      assert.notEqual(rotated.certificate, before.certificate);
      assert.equal(webhook.child.pid, pid);
      assert.equal(webhook.child.exitCode, null);
      const answer = (await postReview({ ...webhook.target, ca: next.caCertPem }, "/mutate", admissionReview(workload("Pod", { containers: { app: `${host}/apps/signed:1.0` } })))).json<Answer>();
      assert.equal(answer.response.allowed, true);
      assert.ok(webhook.logs.some((line) => line["msg"] === "serving certificate reloaded"));
    } finally {
      assert.equal(await webhook.stop(), 0);
    }
  });

  test("SIGTERM: /readyz says not ready, the request in flight is answered, then the process exits 0", async () => {
    const files = webhookFiles({ "apps.yaml": keyPolicyYaml("apps", `${host}/apps/**`, signer.publicKeyPem) });
    const config = join(files.dir, "config.yaml");
    writeFileSync(config, "shutdownDelay: 1s\nshutdownGrace: 10s\ndeadline: 8s\n");
    const webhook = await startWebhookProcess(files, ["--config", config]);
    // A request that waits on the registry: stop the registry, send it, then ask the webhook to stop.
    process.kill(registry.pid, "SIGSTOP");
    let inFlight: Promise<Answer>;
    try {
      inFlight = postReview(webhook.target, "/mutate", admissionReview(workload("Pod", { containers: { app: `${host}/apps/slow:1.0` } }))).then((a) => a.json<Answer>());
      await sleep(300);
      webhook.terminate();
      await sleep(200);
      const ready = await httpsRequest(webhook.target, "GET", "/readyz");
      assert.equal(ready.status, 503);
      assert.match(ready.text, /shutting down/);
    } finally {
      process.kill(registry.pid, "SIGCONT");
    }
    const answer = await inFlight;
    assert.equal(answer.response.allowed, true, "the request in flight was answered after verification, not cut off");
    assert.equal(await webhook.stop(), 0, JSON.stringify(webhook.logs.slice(-5)));
    assert.ok(webhook.logs.some((line) => line["msg"] === "stopped"));
  });

  test("--config sets values and flags override them; a bad setting stops the start with its reason", async () => {
    const files = webhookFiles({ "apps.yaml": keyPolicyYaml("apps", `${host}/apps/**`, signer.publicKeyPem) });
    const config = join(files.dir, "config.yaml");
    writeFileSync(config, "noMatchAction: allow\n");
    const allowing = await startWebhookProcess(files, ["--config", config]);
    const denying = await startWebhookProcess(files, ["--config", config, "--no-match-action", "deny"]);
    try {
      const review = () => admissionReview(workload("Pod", { containers: { app: "unmatched.example/app:1" } }));
      assert.equal((await postReview(allowing.target, "/validate", review())).json<Answer>().response.allowed, true);
      assert.equal((await postReview(denying.target, "/validate", review())).json<Answer>().response.allowed, false);
    } finally {
      await allowing.stop();
      await denying.stop();
    }
    writeFileSync(config, "noMatchActoin: allow\n");
    const bad = await runSignet(["webhook", "serve", "--config", config, "--tls-cert-file", files.certFile, "--tls-key-file", files.keyFile, "--policy", files.policyDir]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unknown setting noMatchActoin.*\[WEBHOOK_CONFIG_INVALID\]/);
  });

  test("an invalid ClusterImagePolicy stops the start with its reason", async () => {
    const files = webhookFiles({ "bad.yaml": "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: bad}\nspec:\n  images: [{glob: 'x'}]\n  authorities: [{key: {data: 'not a key'}, keyless: {url: 'https://fulcio'}}]\n" });
    const result = await runSignet(["webhook", "serve", "--tls-cert-file", files.certFile, "--tls-key-file", files.keyFile, "--policy", files.policyDir, "--log-level", "silent"]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /CLUSTER_IMAGE_POLICY_INVALID/);
  });

  test("signet webhook certs writes a pair the server serves and prints the caBundle", async () => {
    const files = webhookFiles({ "apps.yaml": keyPolicyYaml("apps", `${host}/apps/**`, signer.publicKeyPem) });
    const out = join(files.dir, "made");
    const made = await runSignet(["webhook", "certs", "--service", "signet-webhook", "--namespace", "signet-system", "--out-dir", out]);
    assert.equal(made.status, 0, made.stderr);
    const caPem = Buffer.from(made.stdout.trim(), "base64").toString("utf8");
    assert.match(caPem, /^-----BEGIN CERTIFICATE-----/);
    const again = await runSignet(["webhook", "certs", "--service", "signet-webhook", "--namespace", "signet-system", "--out-dir", out]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /FILE_EXISTS/);
    const webhook = await startWebhookProcess({ ...files, certFile: join(out, "tls.crt"), keyFile: join(out, "tls.key"), caPem });
    try {
      assert.equal((await httpsRequest(webhook.target, "GET", "/healthz")).status, 200);
    } finally {
      await webhook.stop();
    }
    const renewed = await runSignet(["webhook", "certs", "--service", "signet-webhook", "--namespace", "signet-system", "--out-dir", join(files.dir, "renewed"), "--ca-cert", join(out, "ca.crt"), "--ca-key", join(out, "ca.key")]);
    assert.equal(renewed.status, 0, renewed.stderr);
    assert.equal(renewed.stdout, made.stdout, "the same caBundle");
  });
});
