/**
 * Where cached records live: this process's memory, or a Redis shared by the replicas. A store never throws:
 * a failed read is a miss and a failed write is dropped (security case E.35: a cache fault is logged, never
 * fatal, never a pass). Callers validate what they read; a store only moves JSON values.
 */
export interface CacheStore {
  readonly kind: "memory" | "redis";
  /**
   * True when only this process writes the store (memory): values come back exactly as stored and are not
   * re-validated. A shared store (Redis) holds whatever anyone wrote: its values are checked on every read.
   */
  readonly trusted: boolean;
  /** The value stored under `key`, or undefined on a miss, an expired entry, or any store error. */
  get(key: string): Promise<unknown>;
  /** Stores `value` (a JSON value) for `ttlMs`; errors are reported to the store's `onError` and swallowed. */
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

export type CacheOperation = "get" | "set" | "connect";

/** Told about every store failure (the server logs it and counts it). */
export type CacheErrorListener = (operation: CacheOperation, error: Error) => void;
