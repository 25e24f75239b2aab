import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CacheStore } from "../../../../src/webhook/cache/cache-store.js";
import { createMemoryStore } from "../../../../src/webhook/cache/memory-store.js";
import { CACHE_SCHEMA_VERSION, createVerdictCache, verdictKeyHash, type VerdictKeyParts } from "../../../../src/webhook/cache/verdict-cache.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const PARTS: VerdictKeyParts = { repository: "registry.example/app", digest: DIGEST, policyVersion: "v1", inputs: { "identity.subject": "ci@example.com" } };

function setup(stores: CacheStore[] = [createMemoryStore({ maxEntries: 100 })]) {
  const events: string[] = [];
  const cache = createVerdictCache<{ ok: boolean }>({
    stores,
    validate: (value) => (typeof value === "object" && value !== null && typeof (value as { ok?: unknown }).ok === "boolean" ? (value as { ok: boolean }) : undefined),
    onHit: (kind, source) => events.push(`hit:${kind}:${source}`),
    onMiss: (kind) => events.push(`miss:${kind}`),
  });
  return { cache, events, stores };
}

/** A store that records what it holds, to tamper with records. */
function rawStore(): CacheStore & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return {
    kind: "redis",
    trusted: false,
    data,
    async get(key) {
      return data.get(key);
    },
    async set(key, value) {
      data.set(key, JSON.parse(JSON.stringify(value)));
    },
    async close() {},
  };
}

describe("createVerdictCache", () => {
  test("a verdict is found under the same key parts", async () => {
    const { cache, events } = setup();
    await cache.putVerdict(PARTS, { ok: true }, 60_000);
    assert.deepEqual(await cache.getVerdict({ ...PARTS, inputs: { ...PARTS.inputs } }), { verdict: { ok: true }, source: "memory" });
    assert.deepEqual(events, ["hit:verdict:memory"]);
  });

  test("any change to a key part is a miss: digest, repository, policy version, each input", async () => {
    const { cache, events } = setup();
    await cache.putVerdict(PARTS, { ok: true }, 60_000);
    const variants: VerdictKeyParts[] = [
      { ...PARTS, digest: `sha256:${"b".repeat(64)}` },
      { ...PARTS, repository: "registry.example/other" },
      { ...PARTS, policyVersion: "v2" },
      { ...PARTS, inputs: {} },
      { ...PARTS, inputs: { "identity.subject": "attacker@example.com" } },
      { ...PARTS, inputs: { ...PARTS.inputs, "identity.issuer": "https://issuer" } },
    ];
    for (const variant of variants) assert.equal(await cache.getVerdict(variant), undefined, JSON.stringify(variant));
    assert.equal(events.filter((e) => e === "miss:verdict").length, variants.length);
  });

  test("input order does not change the key", () => {
    assert.equal(verdictKeyHash({ ...PARTS, inputs: { a: "1", b: "2" } }), verdictKeyHash({ ...PARTS, inputs: { b: "2", a: "1" } }));
    assert.notEqual(verdictKeyHash({ ...PARTS, inputs: { a: "1b" } }), verdictKeyHash({ ...PARTS, inputs: { a1: "b" } }));
  });

  test("records with another schema version, key, kind or an expiry in the past are misses", async () => {
    const store = rawStore();
    const { cache } = setup([store]);
    await cache.putVerdict(PARTS, { ok: true }, 60_000);
    const [key, record] = [...store.data.entries()][0]! as [string, Record<string, unknown>];
    assert.equal(record["schema"], CACHE_SCHEMA_VERSION);
    for (const tampered of [
      { ...record, schema: CACHE_SCHEMA_VERSION + 1 },
      { ...record, keyHash: "0".repeat(64) },
      { ...record, kind: "tag" },
      { ...record, expiresAt: Date.now() - 1 },
      { ...record, value: { ok: "yes" } },
      "not a record",
      null,
    ]) {
      store.data.set(key, tampered);
      assert.equal(await cache.getVerdict(PARTS), undefined, JSON.stringify(tampered));
    }
    store.data.set(key, record);
    assert.ok(await cache.getVerdict(PARTS));
  });

  test("a hit in a later store fills the earlier one", async () => {
    const memory = createMemoryStore({ maxEntries: 10 });
    const shared = rawStore();
    const writer = setup([createMemoryStore({ maxEntries: 10 }), shared]);
    await writer.cache.putVerdict(PARTS, { ok: false }, 60_000);
    const reader = setup([memory, shared]);
    assert.deepEqual(await reader.cache.getVerdict(PARTS), { verdict: { ok: false }, source: "redis" });
    assert.deepEqual(await reader.cache.getVerdict(PARTS), { verdict: { ok: false }, source: "memory" });
    assert.deepEqual(reader.events, ["hit:verdict:redis", "hit:verdict:memory"]);
  });

  test("tag pins hold only valid digests", async () => {
    const store = rawStore();
    const { cache } = setup([store]);
    await cache.putPinnedDigest("registry.example/app:1", DIGEST, 30_000);
    assert.deepEqual(await cache.getPinnedDigest("registry.example/app:1"), { digest: DIGEST, source: "redis" });
    assert.equal(await cache.getPinnedDigest("registry.example/app:2"), undefined);
    const [key, record] = [...store.data.entries()][0]! as [string, Record<string, unknown>];
    store.data.set(key, { ...record, value: "sha256:../../etc/passwd" });
    assert.equal(await cache.getPinnedDigest("registry.example/app:1"), undefined);
  });

  test("long per-container inputs still key exactly (hashed in memory, never truncated)", async () => {
    const { cache } = setup();
    const long = { ...PARTS, inputs: { "identity.subject": "a".repeat(5000) } };
    await cache.putVerdict(long, { ok: true }, 60_000);
    assert.ok(await cache.getVerdict(long));
    assert.equal(await cache.getVerdict({ ...PARTS, inputs: { "identity.subject": `${"a".repeat(4999)}b` } }), undefined);
  });

  test("nothing is stored for a time to live of zero", async () => {
    const store = rawStore();
    const { cache } = setup([store]);
    await cache.putVerdict(PARTS, { ok: true }, 0);
    assert.equal(store.data.size, 0);
  });
});
