import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LruCache } from "../../../src/internal/lru-cache.js";

function clock(start = 1000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("LruCache", () => {
  test("keeps at most maxEntries, dropping the least recently used", () => {
    const cache = new LruCache<number>({ maxEntries: 2 });
    cache.set("a", 1, 1000);
    cache.set("b", 2, 1000);
    assert.equal(cache.get("a"), 1); // a is now the most recent
    cache.set("c", 3, 1000);
    assert.equal(cache.size, 2);
    assert.equal(cache.get("b"), undefined);
    assert.equal(cache.get("a"), 1);
    assert.equal(cache.get("c"), 3);
  });

  test("an entry expires after its time to live", () => {
    const time = clock();
    const cache = new LruCache<string>({ maxEntries: 10, now: time.now });
    cache.set("short", "x", 100);
    cache.set("long", "y", 10_000);
    time.advance(99);
    assert.equal(cache.get("short"), "x");
    time.advance(1);
    assert.equal(cache.get("short"), undefined);
    assert.equal(cache.get("long"), "y");
    assert.equal(cache.size, 1, "the expired entry is dropped when read");
  });

  test("a zero or negative time to live stores nothing and removes the old value", () => {
    const cache = new LruCache<string>({ maxEntries: 10 });
    cache.set("k", "old", 1000);
    cache.set("k", "new", 0);
    assert.equal(cache.get("k"), undefined);
    cache.set("n", "v", -5);
    assert.equal(cache.size, 0);
  });

  test("refuses a size that is not a positive integer", () => {
    assert.throws(() => new LruCache({ maxEntries: 0 }), RangeError);
    assert.throws(() => new LruCache({ maxEntries: 1.5 }), RangeError);
  });

  test("memory stays bounded under many distinct keys", () => {
    const cache = new LruCache<number>({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i, 60_000);
    assert.equal(cache.size, 100);
    assert.equal(cache.get("k9999"), 9999);
    assert.equal(cache.get("k0"), undefined);
  });
});
