// Several `signet webhook serve` replicas sharing one Redis (a real redis-server), and what happens when
// Redis stops answering: every image is still verified, nothing unverified is ever allowed (E.35).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Digest } from "../../src/internal/digest.js";
import { pushTestImage } from "../helpers/images.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { admissionReview, workload, type ReviewAnswer } from "../unit/webhook/server/admission-reviews.js";
import { postReview } from "../unit/webhook/server/https-client.js";
import { keyPolicyYaml, metricValue, signingSetup, startWebhookProcess, webhookFiles, type SigningSetup, type WebhookFiles, type WebhookProcess } from "./webhook-server-harness.js";

type Answer = { response: ReviewAnswer };

describe("webhook replicas sharing a Redis cache", () => {
  let registry: TestRegistry;
  let redis: TestRedis;
  let signer: SigningSetup;
  let files: WebhookFiles;
  let first: WebhookProcess;
  let second: WebhookProcess;
  let host: string;
  const images: Record<string, Digest> = {};

  before(async () => {
    registry = await startRegistry();
    redis = await startRedis();
    host = registry.host;
    signer = signingSetup();
    const backs = Array.from({ length: 10 }, (_, i) => `back-${i}`);
    for (const name of ["shared", "while-down-signed", "while-down-unsigned", "after-stop", ...backs]) {
      images[name] = await pushTestImage(host, `apps/${name}`, "1.0", name);
    }
    for (const name of ["shared", "while-down-signed", "after-stop", ...backs]) await signer.sign(`${host}/apps/${name}:1.0`);
    files = webhookFiles({ "apps.yaml": keyPolicyYaml("apps-signed", `${host}/apps/**`, signer.publicKeyPem) });
    // Both replicas hold the same key: each authenticates what the other wrote (issue #9 item 3).
    const keyFile = join(files.dir, "redis-hmac.key");
    writeFileSync(keyFile, `${randomBytes(32).toString("hex")}\n`);
    const redisArgs = ["--redis-url", redis.url, "--redis-hmac-key-file", keyFile];
    [first, second] = await Promise.all([startWebhookProcess(files, redisArgs), startWebhookProcess(files, redisArgs)]);
  });

  after(async () => {
    await first?.stop();
    await second?.stop();
    await signer?.close();
    await redis?.stop();
    await registry?.stop();
  });

  const validate = async (webhook: WebhookProcess, image: string) =>
    (await postReview(webhook.target, "/mutate", admissionReview(workload("Pod", { containers: { app: image } })))).json<Answer>().response;

  test("the second replica answers from what the first verified: a Redis hit, no registry request", async () => {
    const image = `${host}/apps/shared@${images["shared"]}`;
    assert.equal((await validate(first, image)).allowed, true);
    assert.ok(metricValue(await first.metrics(), "signet_webhook_registry_requests_total") > 0, "the first replica verified it");
    const before = await second.metrics();
    assert.equal((await validate(second, image)).allowed, true);
    const afterText = await second.metrics();
    assert.equal(metricValue(afterText, "signet_webhook_cache_hits_total", { cache: "verdict", store: "redis" }) - metricValue(before, "signet_webhook_cache_hits_total", { cache: "verdict", store: "redis" }), 1);
    assert.equal(metricValue(afterText, "signet_webhook_registry_requests_total"), 0, "the second replica never asked the registry");
    // Now it is in the second replica's memory too.
    await validate(second, image);
    assert.equal(metricValue(await second.metrics(), "signet_webhook_cache_hits_total", { cache: "verdict", store: "memory" }), 1);
  });

  test("a tag pinned by one replica is reused by the other", async () => {
    const tag = `${host}/apps/shared:1.0`;
    assert.equal((await validate(first, tag)).allowed, true);
    const before = metricValue(await second.metrics(), "signet_webhook_cache_hits_total", { cache: "tag", store: "redis" });
    assert.equal((await validate(second, tag)).allowed, true);
    assert.equal(metricValue(await second.metrics(), "signet_webhook_cache_hits_total", { cache: "tag", store: "redis" }) - before, 1);
  });

  test("Redis stops answering: each image is verified again; unsigned stays denied, signed is allowed only once verified", async () => {
    redis.pause();
    try {
      const requestsBefore = metricValue(await first.metrics(), "signet_webhook_registry_requests_total");
      const unsigned = await validate(first, `${host}/apps/while-down-unsigned:1.0`);
      assert.equal(unsigned.allowed, false, "fail closed: an unverified image is never allowed");
      const signed = await validate(first, `${host}/apps/while-down-signed:1.0`);
      assert.equal(signed.allowed, true, "a signed image is still admitted, after verification");
      const metrics = await first.metrics();
      assert.ok(metricValue(metrics, "signet_webhook_registry_requests_total") > requestsBefore, "it was verified against the registry");
      assert.ok(metricValue(metrics, "signet_webhook_cache_errors_total", { store: "redis" }) > 0, "the Redis failures are counted");
      assert.ok(first.logs.some((line) => line["msg"] === "cache store failed; treating it as a miss"));
      // Repeated: still denied, never a pass from a broken cache.
      for (let i = 0; i < 3; i++) assert.equal((await validate(second, `${host}/apps/while-down-unsigned@${images["while-down-unsigned"]}`)).allowed, false);
    } finally {
      redis.resume();
    }
  });

  test("Redis gone for good: the replicas keep verifying (and keep denying what is unsigned)", async () => {
    const url = redis.url;
    await redis.stop();
    try {
      assert.equal((await validate(first, `${host}/apps/after-stop:1.0`)).allowed, true);
      assert.equal((await validate(second, `${host}/apps/while-down-unsigned:1.0`)).allowed, false);
      assert.equal(first.child.exitCode, null, "a Redis failure is never fatal");
    } finally {
      redis = await startRedisAt(url);
    }
  });

  test("when Redis is back, the replicas share verdicts again", async () => {
    // ioredis reconnects in the background (at most every 2 s); each attempt uses an image neither replica has seen.
    let shared = false;
    for (let attempt = 0; attempt < 10 && !shared; attempt++) {
      const image = `${host}/apps/back-${attempt}@${images[`back-${attempt}`]}`;
      await validate(first, image);
      const before = metricValue(await second.metrics(), "signet_webhook_cache_hits_total", { cache: "verdict", store: "redis" });
      await validate(second, image);
      shared = metricValue(await second.metrics(), "signet_webhook_cache_hits_total", { cache: "verdict", store: "redis" }) > before;
      if (!shared) await sleep(500);
    }
    assert.ok(shared, "the second replica read the first one's verdict from Redis again");
  });
});

/** A new redis-server on the same unix socket path (the replicas reconnect to the URL they were given). */
async function startRedisAt(url: string): Promise<TestRedis> {
  const { spawn } = await import("node:child_process");
  const { existsSync, mkdirSync } = await import("node:fs");
  const { dirname } = await import("node:path");
  const socket = url.slice("unix://".length);
  mkdirSync(dirname(socket), { recursive: true });
  const child = spawn("redis-server", ["--port", "0", "--unixsocket", socket, "--save", "", "--appendonly", "no", "--dir", dirname(socket)], { stdio: "ignore" });
  for (let i = 0; i < 500 && !existsSync(socket); i++) await sleep(10);
  return {
    url,
    dir: dirname(socket),
    pid: child.pid ?? 0,
    pause: () => void child.kill("SIGSTOP"),
    resume: () => void child.kill("SIGCONT"),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
