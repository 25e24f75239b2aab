import type { CacheStore } from "./cache-store.js";
import { LruCache } from "../../internal/lru-cache.js";

export interface MemoryStoreOptions {
  readonly maxEntries: number;
  readonly now?: () => number;
}

/**
 * The default store: a bounded LRU in this process. Values are copied and deep-frozen when stored, so no
 * reader can change what another reader gets; reads cost no parsing (the hot path of cached decisions).
 */
export function createMemoryStore(options: MemoryStoreOptions): CacheStore {
  const lru = new LruCache<unknown>({ maxEntries: options.maxEntries, ...(options.now ? { now: options.now } : {}) });
  return {
    kind: "memory",
    trusted: true,
    async get(key) {
      return lru.get(key);
    },
    async set(key, value, ttlMs) {
      lru.set(key, deepFreeze(structuredClone(value)), ttlMs);
    },
    async close() {
      lru.clear();
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
