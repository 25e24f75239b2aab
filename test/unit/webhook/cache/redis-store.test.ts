import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { CacheOperation } from "../../../../src/webhook/cache/cache-store.js";
import { createRedisStore, redactRedisUrl, redisConnectionOptions } from "../../../../src/webhook/cache/redis-store.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { startRedis, type TestRedis } from "../../../helpers/redis.js";

describe("redis store (real redis-server)", () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  async function store(keyPrefix = "test:") {
    const errors: { operation: CacheOperation; message: string }[] = [];
    const created = await createRedisStore({ url: redis.url, keyPrefix, commandTimeoutMs: 200, onError: (operation, error) => errors.push({ operation, message: error.message }) });
    // The store connects in the background; wait until it answers.
    for (let i = 0; i < 100; i++) {
      await created.set("ping", 1, 1000);
      if ((await created.get("ping")) === 1) break;
      await sleep(10);
    }
    errors.length = 0; // misses while connecting are expected
    return { store: created, errors };
  }

  test("stores JSON values with a time to live", async () => {
    const { store: s, errors } = await store();
    try {
      await s.set("k", { verdict: true, list: [1, 2] }, 60_000);
      assert.deepEqual(await s.get("k"), { verdict: true, list: [1, 2] });
      await s.set("short", "v", 50);
      await sleep(120);
      assert.equal(await s.get("short"), undefined);
      assert.equal(await s.get("absent"), undefined);
      assert.deepEqual(errors, []);
    } finally {
      await s.close();
    }
  });

  test("prefixes keep two users of one Redis apart", async () => {
    const a = await store("a:");
    const b = await store("b:");
    try {
      await a.store.set("same", "from a", 60_000);
      assert.equal(await b.store.get("same"), undefined);
    } finally {
      await a.store.close();
      await b.store.close();
    }
  });

  test("a value that is not JSON, or too large, is a miss and reported", async () => {
    const { store: s, errors } = await store("raw:");
    const { Redis } = await import("ioredis");
    const raw = new Redis({ ...redisConnectionOptions(redis.url), keyPrefix: "raw:" });
    try {
      await raw.set("garbage", "{not json");
      await raw.set("huge", "x".repeat(300 * 1024));
      assert.equal(await s.get("garbage"), undefined);
      assert.equal(await s.get("huge"), undefined);
      assert.deepEqual(
        errors.map((e) => e.operation),
        ["get", "get"],
      );
    } finally {
      raw.disconnect();
      await s.close();
    }
  });

  test("a Redis that stops answering is a miss after the command timeout, never an error thrown (E.35)", async () => {
    const { store: s, errors } = await store("pause:");
    await s.set("k", "v", 60_000);
    redis.pause();
    try {
      const started = Date.now();
      assert.equal(await s.get("k"), undefined);
      await s.set("k2", "v", 60_000); // dropped, not thrown
      assert.ok(Date.now() - started < 2_000, "each command gives up after its timeout");
      assert.ok(errors.some((e) => e.operation === "get"));
    } finally {
      redis.resume();
      await s.close();
    }
  });

  test("an unreachable Redis is a miss, and reported", async () => {
    const errors: string[] = [];
    const s = await createRedisStore({ url: "unix:///nonexistent/redis.sock", keyPrefix: "x:", commandTimeoutMs: 100, onError: (operation) => errors.push(operation) });
    try {
      assert.equal(await s.get("k"), undefined);
      await s.set("k", "v", 1000);
      await sleep(50);
      assert.ok(errors.includes("get"));
      assert.ok(errors.includes("set"));
    } finally {
      await s.close();
    }
  });
});

describe("redis URLs", () => {
  test("redis://, rediss:// and unix:// become connection options", () => {
    assert.deepEqual(redisConnectionOptions("redis://cache.ns.svc:6380/2"), { host: "cache.ns.svc", port: 6380, db: 2 });
    assert.deepEqual(redisConnectionOptions("redis://:s3cret@cache"), { host: "cache", port: 6379, password: "s3cret" });
    assert.deepEqual(redisConnectionOptions("rediss://user:pw@cache:6379"), { host: "cache", port: 6379, password: "pw", username: "user", tls: { servername: "cache" } });
    assert.deepEqual(redisConnectionOptions("unix:///run/redis.sock?db=1"), { path: "/run/redis.sock", db: 1 });
    assert.deepEqual(redisConnectionOptions("redis://[::1]:6379"), { host: "::1", port: 6379 });
  });

  test("anything else is a configuration error", async () => {
    for (const url of ["http://cache:6379", "cache:6379", "redis://", "unix://", "redis://cache/x"]) {
      await assertRejectsWithCode(() => redisConnectionOptions(url), "WEBHOOK_CONFIG_INVALID");
    }
  });

  test("passwords never reach logs or errors", async () => {
    assert.equal(redactRedisUrl("redis://:s3cret@cache:6379"), "redis://:REDACTED@cache:6379");
    const error = await assertRejectsWithCode(() => redisConnectionOptions("http://:s3cret@cache"), "WEBHOOK_CONFIG_INVALID");
    assert.doesNotMatch(error.message, /s3cret/);
  });
});
