// Issue #9 item 3: someone who can write the webhook's Redis (a real redis-server, with a password) forges the
// records the replicas share: turns a cached denial into `allowed: true`, and moves a tag pin to an old, signed
// digest. Every record is authenticated with an HMAC key the replicas hold: a forged record is a miss (counted,
// logged without the key), and the image is verified again, from the registry.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import type { Digest } from "../../src/internal/digest.js";
import { runSignet } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { startRedis, type TestRedis } from "../helpers/redis.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { admissionReview, patchOf, workload, type ReviewAnswer } from "../unit/webhook/server/admission-reviews.js";
import { postReview } from "../unit/webhook/server/https-client.js";
import { keyPolicyYaml, metricValue, signingSetup, startWebhookProcess, webhookFiles, type SigningSetup, type WebhookFiles, type WebhookProcess } from "./webhook-server-harness.js";

type Answer = { response: ReviewAnswer };
type LoggedImage = { image: string; code?: string; allowed: boolean; digest?: string };

const PREFIX = "signet:webhook:";

describe("forged Redis records (issue #9 item 3)", () => {
  let registry: TestRegistry;
  let redis: TestRedis;
  let attacker: Redis;
  let signer: SigningSetup;
  let files: WebhookFiles;
  let hmacKey: string;
  let keyFile: string;
  const replicas: WebhookProcess[] = [];
  const digests: Record<string, Digest> = {};
  let host: string;
  let uid = 0;

  before(async () => {
    registry = await startRegistry();
    host = registry.host;
    const password = randomBytes(16).toString("hex");
    redis = await startRedis({ tcp: true, password });
    const { Redis: RedisClient } = await import("ioredis");
    attacker = new RedisClient(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await attacker.connect();
    signer = signingSetup();
    digests["apps/unsigned"] = await pushTestImage(host, "apps/unsigned", "1.0", "unsigned");
    // apps/moving:1.0 was signed once (old); the tag now names new, unsigned content.
    digests["apps/moving-old"] = await pushTestImage(host, "apps/moving", "1.0", "moving-old");
    await signer.sign(`${host}/apps/moving:1.0`);
    digests["apps/moving-new"] = await pushTestImage(host, "apps/moving", "1.0", "moving-new");
    files = webhookFiles({ "apps.yaml": keyPolicyYaml("apps-signed", `${host}/apps/**`, signer.publicKeyPem) });
    hmacKey = randomBytes(32).toString("hex");
    keyFile = join(files.dir, "redis-hmac.key");
    writeFileSync(keyFile, `${hmacKey}\n`);
  });

  after(async () => {
    for (const replica of replicas) await replica.stop();
    attacker?.disconnect();
    await signer?.close();
    await redis?.stop();
    await registry?.stop();
  });

  /** A new replica (empty memory cache) sharing the Redis and the key. */
  async function replica(): Promise<WebhookProcess> {
    const started = await startWebhookProcess(files, ["--redis-url", redis.url, "--redis-hmac-key-file", keyFile]);
    replicas.push(started);
    // Until Redis answers, every lookup is a miss: wait for the connection, so the forged records are read.
    for (let i = 0; i < 250 && !started.logs.some((line) => line["msg"] === "cache store connected"); i++) await sleep(20);
    assert.ok(started.logs.some((line) => line["msg"] === "cache store connected"), "the replica did not connect to Redis");
    return started;
  }

  async function ask(target: WebhookProcess, image: string): Promise<{ response: ReviewAnswer; images: LoggedImage[] }> {
    const id = `forgery-${++uid}`;
    const response = (await postReview(target.target, "/mutate", admissionReview(workload("Pod", { containers: { app: image } }), { uid: id }))).json<Answer>().response;
    for (let i = 0; i < 50; i++) {
      const line = target.logs.find((entry) => entry["uid"] === id && Array.isArray(entry["images"]));
      if (line !== undefined) return { response, images: line["images"] as LoggedImage[] };
      await sleep(20);
    }
    return { response, images: [] };
  }

  /** The records under `kind` that Redis holds now, parsed. */
  async function records(kind: "verdict" | "tag"): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    for (const key of await attacker.keys(`${PREFIX}${kind}:*`)) found.set(key, JSON.parse((await attacker.get(key))!) as Record<string, unknown>);
    return found;
  }

  async function waitForRecords(kind: "verdict" | "tag", count: number): Promise<Map<string, Record<string, unknown>>> {
    for (let i = 0; i < 100; i++) {
      const found = await records(kind);
      if (found.size >= count) return found;
      await sleep(20);
    }
    return records(kind);
  }

  test("a cached denial rewritten to allowed: true is refused (bad MAC); the next replica verifies and denies (SIG_MISSING)", async () => {
    const first = await replica();
    const image = `${host}/apps/unsigned@${digests["apps/unsigned"]}`;
    const denied = await ask(first, image);
    assert.equal(denied.response.allowed, false);
    assert.equal(denied.images[0]?.code, "SIG_MISSING");
    const stored = await waitForRecords("verdict", 1);
    assert.equal(stored.size, 1, "the denial is shared through Redis");
    for (const [key, record] of stored) {
      const value = record["value"] as Record<string, unknown>;
      const forged = { ...record, value: { ...value, allowed: true, reason: "allowed by policy \"apps-signed\"", policies: [], warnings: [] } };
      delete (forged.value as Record<string, unknown>)["code"];
      delete (forged.value as Record<string, unknown>)["hint"];
      await attacker.set(key, JSON.stringify(forged), "PX", 60_000);
    }

    const second = await replica();
    const answer = await ask(second, image);
    assert.equal(answer.response.allowed, false, "a forged Redis record allowed an unsigned image");
    assert.equal(answer.images[0]?.code, "SIG_MISSING");
    const metrics = await second.metrics();
    assert.equal(metricValue(metrics, "signet_webhook_cache_rejected_total", { store: "redis", reason: "bad_mac" }), 1);
    assert.ok(metricValue(metrics, "signet_webhook_registry_requests_total") > 0, "verified again against the registry");
    assert.ok(second.logs.some((line) => line["msg"] === "Redis record with a bad MAC refused (written without this webhook's key, or altered)"));
    assert.ok(!second.logs.some((line) => JSON.stringify(line).includes(hmacKey)), "the HMAC key was logged");
  });

  test("a tag pin moved to an old signed digest is refused; the tag is resolved again and its current (unsigned) content denied", async () => {
    const first = await replica();
    const tag = `${host}/apps/moving:1.0`;
    const pinned = await ask(first, tag);
    assert.equal(pinned.response.allowed, false);
    assert.equal(pinned.images[0]?.digest, digests["apps/moving-new"]);
    const pins = await waitForRecords("tag", 1);
    let moved = 0;
    for (const [key, record] of pins) {
      if (record["value"] !== digests["apps/moving-new"]) continue;
      await attacker.set(key, JSON.stringify({ ...record, value: digests["apps/moving-old"] }), "PX", 60_000);
      moved += 1;
    }
    assert.equal(moved, 1);

    const second = await replica();
    const answer = await ask(second, tag);
    assert.equal(answer.response.allowed, false, `the moved pin admitted ${digests["apps/moving-old"]}`);
    assert.equal(answer.images[0]?.code, "SIG_MISSING");
    assert.equal(answer.images[0]?.digest, digests["apps/moving-new"], "the tag was resolved again from the registry");
    assert.equal(patchOf(answer.response).length, 0);
    assert.equal(metricValue(await second.metrics(), "signet_webhook_cache_rejected_total", { store: "redis", reason: "bad_mac" }), 1);
  });

  test("--redis-url without an HMAC key does not start (WEBHOOK_CONFIG_INVALID)", async () => {
    const result = await runSignet(["webhook", "serve", "--port", "0", "--address", "127.0.0.1", "--tls-cert-file", files.certFile, "--tls-key-file", files.keyFile, "--policy", files.policyDir, "--redis-url", redis.url], {
      env: { ...process.env, SIGNET_REDIS_HMAC_KEY: "" },
    });
    assert.notEqual(result.status, 0);
    assert.match(result.stdout + result.stderr, /WEBHOOK_CONFIG_INVALID/);
    assert.match(result.stdout + result.stderr, /HMAC key|--redis-hmac-key-file/);
  });
});
