import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import type { CacheStore } from "./cache-store.js";

/** Bumped whenever the stored record's shape changes: replicas of different versions never read each other's records. */
export const CACHE_SCHEMA_VERSION = 2;

/** An HMAC key shorter than this is refused: it must be a secret, not a password someone could guess. */
export const RECORD_KEY_MIN_BYTES = 32;

/**
 * Everything a verdict depends on. Two checks share a cached verdict only when all of it is equal, so a hit
 * never stands in for a check it did not cover: another digest, another repository (signatures live next to
 * the image), another policy version, other per-container identity annotations, another resource context.
 */
export interface VerdictKeyParts {
  /** The repository as cosign names it (registry/path), without tag or digest. */
  readonly repository: string;
  readonly digest: string;
  /** Versions of whatever decides the image (the matching policies, the no-match action, trust roots…). */
  readonly policyVersion: string;
  /** Any other input of the evaluation, as strings (identity annotations, resource kind and labels…). */
  readonly inputs: Readonly<Record<string, string>>;
}

export type CacheSource = "memory" | "redis";

export interface VerdictCacheOptions<V> {
  /** Looked up in order (memory first, then Redis); written to all. */
  readonly stores: readonly CacheStore[];
  /** Checks a value read back (a shared Redis holds whatever anyone wrote): undefined rejects it. */
  readonly validate: (untrusted: unknown) => V | undefined;
  readonly now?: () => number;
  readonly onHit?: (kind: "verdict" | "tag", source: CacheSource) => void;
  readonly onMiss?: (kind: "verdict" | "tag") => void;
  /**
   * HMAC-SHA256 keys for the records of shared stores (Redis): the first signs what is written, any of them
   * verifies what is read (so a key can be rotated). Required when a store is not trusted: a record anyone with
   * access to Redis could write must prove it was written by a replica holding the key.
   */
  readonly recordKeys?: readonly Buffer[];
  /** Told about every record of a shared store that is refused (each is a miss); never given the key. */
  readonly onRejected?: (kind: "verdict" | "tag", reason: "bad_mac" | "invalid") => void;
}

export interface VerdictCache<V> {
  getVerdict(parts: VerdictKeyParts): Promise<{ verdict: V; source: CacheSource } | undefined>;
  putVerdict(parts: VerdictKeyParts, verdict: V, ttlMs: number): Promise<void>;
  /** The digest a tag reference was pinned to a moment ago. */
  getPinnedDigest(reference: string): Promise<{ digest: string; source: CacheSource } | undefined>;
  putPinnedDigest(reference: string, digest: string, ttlMs: number): Promise<void>;
}

interface StoredRecord {
  schema: number;
  kind: "verdict" | "tag";
  /** sha256 of the key's canonical form (shared stores): checked on read, so a record filed under the wrong key is a miss. */
  keyHash: string;
  expiresAt: number;
  value: unknown;
  /**
   * Shared stores: HMAC-SHA256 (hex) over the schema, kind, canonical key (repository, digest, policy version and
   * inputs; for a tag pin, the tag reference), expiry and value. A record moved to another key, given a longer
   * life or another value (an `allowed: true`, a tag pin to another digest) no longer verifies.
   */
  mac?: string;
}

const DIGEST = /^sha(256|384|512):[a-f0-9]{64,128}$/;
/** Per-container inputs (identity annotations) can be long; longer keys are hashed so the LRU's memory stays bounded. */
const MEMORY_KEY_MAX_LENGTH = 512;

/**
 * Verification results and tag pins, over one or more stores. In a shared store (Redis) keys are hashes of
 * the canonical key parts, and each record repeats the hash, its schema version and its expiry and is
 * validated on the way out, so an old replica's record, a truncated value or a hand-edited entry is a miss,
 * never a verdict. The memory store, written only by this process, is keyed by the canonical text itself.
 */
export function createVerdictCache<V>(options: VerdictCacheOptions<V>): VerdictCache<V> {
  const now = options.now ?? Date.now;
  const keys = options.recordKeys ?? [];
  if (options.stores.some((store) => !store.trusted) && keys.length === 0) {
    throw new SignetError("WEBHOOK_CONFIG_INVALID", "a shared cache store (Redis) needs an HMAC key to authenticate its records", {
      hint: "Give redisHmacKeyFile (a file from a Secret) or SIGNET_REDIS_HMAC_KEY: at least 32 random bytes, e.g. `openssl rand -hex 32`.",
    });
  }
  for (const key of keys) {
    if (key.length < RECORD_KEY_MIN_BYTES) throw new SignetError("WEBHOOK_CONFIG_INVALID", `a cache HMAC key must be at least ${RECORD_KEY_MIN_BYTES} bytes long (one is ${key.length})`);
  }
  const macOf = (key: Buffer, kind: "verdict" | "tag", canonical: string, expiresAt: number, value: unknown): Buffer =>
    createHmac("sha256", key).update(JSON.stringify([CACHE_SCHEMA_VERSION, kind, canonical, expiresAt, value])).digest();
  /** True when one of the keys made this record's MAC. */
  const macVerifies = (record: StoredRecord, kind: "verdict" | "tag", canonical: string): boolean => {
    if (typeof record.mac !== "string" || !/^[0-9a-f]{64}$/.test(record.mac)) return false;
    const given = Buffer.from(record.mac, "hex");
    return keys.some((key) => timingSafeEqual(given, macOf(key, kind, canonical, record.expiresAt, record.value)));
  };

  /**
   * Looks `canonical` up in each store in turn. A trusted store (memory) is keyed by the canonical text and
   * its values are used as stored; a shared one (Redis) is keyed by its hash, and its records are checked.
   */
  const read = async (kind: "verdict" | "tag", canonical: string): Promise<{ value: unknown; source: CacheSource } | undefined> => {
    let keyHash: string | undefined;
    for (const [index, store] of options.stores.entries()) {
      keyHash ??= store.trusted ? undefined : sha256(canonical);
      const record = await store.get(keyOf(store, kind, canonical));
      if (record === undefined || record === null) continue;
      if (!isValidRecord(record, kind, store.trusted ? undefined : keyHash, now())) {
        if (!store.trusted && !isExpiredRecord(record, now())) options.onRejected?.(kind, "invalid");
        continue;
      }
      if (!store.trusted && !macVerifies(record, kind, canonical)) {
        options.onRejected?.(kind, "bad_mac");
        continue;
      }
      const value = store.trusted ? record.value : validateShared(kind, record.value);
      if (value === undefined) {
        options.onRejected?.(kind, "invalid");
        continue;
      }
      // Fill the faster stores in front with what a slower one had, for the time it has left.
      const remaining = record.expiresAt - now();
      for (const earlier of options.stores.slice(0, index)) void earlier.set(keyOf(earlier, kind, canonical), sealed(earlier, kind, canonical, record.expiresAt, value), remaining);
      return { value, source: store.kind };
    }
    return undefined;
  };

  const validateShared = (kind: "verdict" | "tag", value: unknown): unknown => {
    if (kind === "verdict") return options.validate(value);
    return typeof value === "string" && DIGEST.test(value) ? value : undefined;
  };

  /** Memory keys are the canonical text when short (no hashing on the hot path), else its hash: keys stay small. */
  const keyOf = (store: CacheStore, kind: "verdict" | "tag", canonical: string): string =>
    `${kind}:${store.trusted && canonical.length <= MEMORY_KEY_MAX_LENGTH ? canonical : sha256(canonical)}`;

  const write = async (kind: "verdict" | "tag", canonical: string, value: unknown, ttlMs: number): Promise<void> => {
    if (!(ttlMs > 0)) return;
    const expiresAt = now() + ttlMs;
    await Promise.all(options.stores.map((store) => store.set(keyOf(store, kind, canonical), sealed(store, kind, canonical, expiresAt, value), ttlMs)));
  };

  /** The record as stored: for a shared store with its key hash and MAC (the value as JSON will carry it). */
  function sealed(store: CacheStore, kind: "verdict" | "tag", canonical: string, expiresAt: number, value: unknown): StoredRecord {
    if (store.trusted) return { schema: CACHE_SCHEMA_VERSION, kind, keyHash: "", expiresAt, value };
    // The MAC is over the value as it will be read back (JSON), so what is verified is exactly what is used.
    const json = JSON.parse(JSON.stringify(value)) as unknown;
    return { schema: CACHE_SCHEMA_VERSION, kind, keyHash: sha256(canonical), expiresAt, value: json, mac: macOf(keys[0]!, kind, canonical, expiresAt, json).toString("hex") };
  }

  return {
    async getVerdict(parts) {
      const found = await read("verdict", verdictKeyCanonical(parts));
      if (found === undefined) {
        options.onMiss?.("verdict");
        return undefined;
      }
      options.onHit?.("verdict", found.source);
      return { verdict: found.value as V, source: found.source };
    },
    putVerdict(parts, verdict, ttlMs) {
      return write("verdict", verdictKeyCanonical(parts), verdict, ttlMs);
    },
    async getPinnedDigest(reference) {
      const found = await read("tag", tagKeyCanonical(reference));
      if (found === undefined || typeof found.value !== "string") {
        options.onMiss?.("tag");
        return undefined;
      }
      options.onHit?.("tag", found.source);
      return { digest: found.value, source: found.source };
    },
    putPinnedDigest(reference, digest, ttlMs) {
      return write("tag", tagKeyCanonical(reference), digest, ttlMs);
    },
  };
}

/** The key's canonical JSON (sorted input names): every part, unambiguously delimited. */
export function verdictKeyCanonical(parts: VerdictKeyParts): string {
  const inputs = Object.keys(parts.inputs)
    .sort()
    .map((name) => [name, parts.inputs[name]]);
  return JSON.stringify([CACHE_SCHEMA_VERSION, parts.repository, parts.digest, parts.policyVersion, inputs]);
}

/** The key as stored in a shared store: the canonical form, hashed (bounded length, nothing readable). */
export function verdictKeyHash(parts: VerdictKeyParts): string {
  return sha256(verdictKeyCanonical(parts));
}

function tagKeyCanonical(reference: string): string {
  return JSON.stringify([CACHE_SCHEMA_VERSION, reference]);
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A record whose expiry has passed (Redis may hand one back for a moment): a plain miss, not a rejection. */
function isExpiredRecord(value: unknown, now: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  const expiresAt = (value as Partial<StoredRecord>).expiresAt;
  return typeof expiresAt === "number" && expiresAt <= now;
}

/** A record of this schema, kind and (for shared stores) key, not expired. */
function isValidRecord(value: unknown, kind: "verdict" | "tag", keyHash: string | undefined, now: number): value is StoredRecord {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Partial<StoredRecord>;
  if (keyHash !== undefined && record.keyHash !== keyHash) return false;
  return record.schema === CACHE_SCHEMA_VERSION && record.kind === kind && typeof record.expiresAt === "number" && record.expiresAt > now;
}
