import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { CacheStore } from "../../../../src/webhook/cache/cache-store.js";
import { createMemoryStore } from "../../../../src/webhook/cache/memory-store.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { CACHE_SCHEMA_VERSION, createVerdictCache, verdictKeyHash, type VerdictKeyParts } from "../../../../src/webhook/cache/verdict-cache.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const RECORD_KEY = Buffer.from("k".repeat(32));
const PARTS: VerdictKeyParts = { repository: "registry.example/app", digest: DIGEST, policyVersion: "v1", inputs: { "identity.subject": "ci@example.com" } };

function setup(stores: CacheStore[] = [createMemoryStore({ maxEntries: 100 })]) {
  const events: string[] = [];
  const cache = createVerdictCache<{ ok: boolean }>({
    stores,
    validate: (value) => (typeof value === "object" && value !== null && typeof (value as { ok?: unknown }).ok === "boolean" ? (value as { ok: boolean }) : undefined),
    onHit: (kind, source) => events.push(`hit:${kind}:${source}`),
    onMiss: (kind) => events.push(`miss:${kind}`),
    recordKeys: [RECORD_KEY],
    onRejected: (kind, reason) => events.push(`rejected:${kind}:${reason}`),
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

describe("shared-store records are authenticated (issue #9 item 3)", () => {
  const OLD = `sha256:${"0".repeat(64)}`;

  test("a forged record (right shape, no or wrong MAC) is a miss, and is reported as bad_mac", async () => {
    const store = rawStore();
    const { cache, events } = setup([store]);
    await cache.putVerdict(PARTS, { ok: false }, 60_000);
    const [key, record] = [...store.data.entries()][0]! as [string, Record<string, unknown>];
    assert.match(String(record["mac"]), /^[0-9a-f]{64}$/);
    // The denial record turned into an allow by someone who can write Redis.
    store.data.set(key, { ...record, value: { ok: true } });
    assert.equal(await cache.getVerdict(PARTS), undefined);
    const { mac: _mac, ...withoutMac } = record;
    store.data.set(key, { ...withoutMac, value: { ok: true } });
    assert.equal(await cache.getVerdict(PARTS), undefined);
    // A longer life is not granted either.
    store.data.set(key, { ...record, expiresAt: (record["expiresAt"] as number) + 3_600_000 });
    assert.equal(await cache.getVerdict(PARTS), undefined);
    assert.deepEqual(events.filter((e) => e.startsWith("rejected")), ["rejected:verdict:bad_mac", "rejected:verdict:bad_mac", "rejected:verdict:bad_mac"]);
    // The untouched record still verifies.
    store.data.set(key, record);
    assert.deepEqual(await cache.getVerdict(PARTS), { verdict: { ok: false }, source: "redis" });
  });

  test("a tag pin moved to another (older, signed) digest does not verify", async () => {
    const store = rawStore();
    const { cache, events } = setup([store]);
    await cache.putPinnedDigest("registry.example/app:1", DIGEST, 30_000);
    await cache.putPinnedDigest("registry.example/app:old", OLD, 30_000);
    const entries = [...store.data.entries()] as [string, Record<string, unknown>][];
    const [pinKey, pin] = entries[0]!;
    const [, oldPin] = entries[1]!;
    store.data.set(pinKey, { ...pin, value: OLD });
    assert.equal(await cache.getPinnedDigest("registry.example/app:1"), undefined);
    // The other tag's genuine record, copied under this tag's key (with its hash fixed up): bound to its own tag.
    store.data.set(pinKey, { ...oldPin, keyHash: pin["keyHash"] });
    assert.equal(await cache.getPinnedDigest("registry.example/app:1"), undefined);
    assert.deepEqual(events.filter((e) => e.startsWith("rejected")), ["rejected:tag:bad_mac", "rejected:tag:bad_mac"]);
  });

  test("a verdict is bound to its policy version and digest: a record copied across keys does not verify", async () => {
    const store = rawStore();
    const { cache } = setup([store]);
    const allowedOld = { ...PARTS, policyVersion: "v0" };
    await cache.putVerdict(allowedOld, { ok: true }, 60_000);
    await cache.putVerdict(PARTS, { ok: false }, 60_000);
    const entries = [...store.data.entries()] as [string, Record<string, unknown>][];
    const [, oldRecord] = entries[0]!;
    const [currentKey, current] = entries[1]!;
    store.data.set(currentKey, { ...oldRecord, keyHash: current["keyHash"] });
    assert.equal(await cache.getVerdict(PARTS), undefined);
  });

  test("records made with another key are misses; a rotated key list still reads the old key's records", async () => {
    const store = rawStore();
    const validate = (value: unknown) => value as { ok: boolean };
    const oldKey = Buffer.from("o".repeat(32));
    const newKey = Buffer.from("n".repeat(40));
    const writer = createVerdictCache<{ ok: boolean }>({ stores: [store], validate, recordKeys: [oldKey] });
    await writer.putVerdict(PARTS, { ok: true }, 60_000);
    const rejected: string[] = [];
    const stranger = createVerdictCache<{ ok: boolean }>({ stores: [store], validate, recordKeys: [newKey], onRejected: (_kind, reason) => rejected.push(reason) });
    assert.equal(await stranger.getVerdict(PARTS), undefined);
    assert.deepEqual(rejected, ["bad_mac"]);
    const rotated = createVerdictCache<{ ok: boolean }>({ stores: [store], validate, recordKeys: [newKey, oldKey] });
    assert.deepEqual(await rotated.getVerdict(PARTS), { verdict: { ok: true }, source: "redis" });
  });

  test("a shared store without a key, or with a short key, is refused (WEBHOOK_CONFIG_INVALID)", async () => {
    const validate = (value: unknown) => value;
    await assertRejectsWithCode(() => createVerdictCache({ stores: [rawStore()], validate }), "WEBHOOK_CONFIG_INVALID");
    await assertRejectsWithCode(() => createVerdictCache({ stores: [rawStore()], validate, recordKeys: [Buffer.from("short")] }), "WEBHOOK_CONFIG_INVALID");
    // The memory store alone needs none.
    assert.ok(createVerdictCache({ stores: [createMemoryStore({ maxEntries: 1 })], validate }));
  });
});
