import { createHash } from "node:crypto";
import type { CacheStore } from "./cache-store.js";

/** Bumped whenever the stored record's shape changes: replicas of different versions never read each other's records. */
export const CACHE_SCHEMA_VERSION = 1;

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

  /**
   * Looks `canonical` up in each store in turn. A trusted store (memory) is keyed by the canonical text and
   * its values are used as stored; a shared one (Redis) is keyed by its hash, and its records are checked.
   */
  const read = async (kind: "verdict" | "tag", canonical: string): Promise<{ value: unknown; source: CacheSource } | undefined> => {
    let keyHash: string | undefined;
    for (const [index, store] of options.stores.entries()) {
      keyHash ??= store.trusted ? undefined : sha256(canonical);
      const record = await store.get(keyOf(store, kind, canonical));
      if (!isValidRecord(record, kind, store.trusted ? undefined : keyHash, now())) continue;
      const value = store.trusted ? record.value : validateShared(kind, record.value);
      if (value === undefined) continue;
      // Fill the faster stores in front with what a slower one had, for the time it has left.
      const remaining = record.expiresAt - now();
      for (const earlier of options.stores.slice(0, index)) void earlier.set(keyOf(earlier, kind, canonical), { ...record, value }, remaining);
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
    await Promise.all(
      options.stores.map((store) => {
        const keyHash = store.trusted ? "" : sha256(canonical);
        const record: StoredRecord = { schema: CACHE_SCHEMA_VERSION, kind, keyHash, expiresAt, value };
        return store.set(keyOf(store, kind, canonical), record, ttlMs);
      }),
    );
  };

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

/** A record of this schema, kind and (for shared stores) key, not expired. */
function isValidRecord(value: unknown, kind: "verdict" | "tag", keyHash: string | undefined, now: number): value is StoredRecord {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Partial<StoredRecord>;
  if (keyHash !== undefined && record.keyHash !== keyHash) return false;
  return record.schema === CACHE_SCHEMA_VERSION && record.kind === kind && typeof record.expiresAt === "number" && record.expiresAt > now;
}
