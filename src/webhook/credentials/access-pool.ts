import { ImageAccess, type ImageAccessOptions } from "../../oci/image-access.js";
import type { CredentialStore } from "../../oci/registry/credentials.js";
import { createPullSecretCredentialStore } from "./pull-secret-store.js";
import type { ResolvedPullSecrets } from "./pull-secret-reader.js";

export interface AccessPoolOptions {
  /** Registry settings shared by every ImageAccess (TLS, timeouts); `credentials` is the configured auth file. */
  readonly registry: ImageAccessOptions;
  /** Used when a pod has no pull secrets. */
  readonly defaultAccess: ImageAccess;
  readonly maxEntries?: number;
  /** How long an evicted ImageAccess stays open for requests still using it (default 60 s). */
  readonly closeDelayMs?: number;
}

export interface AccessPool {
  accessFor(resolved: ResolvedPullSecrets): ImageAccess;
  readonly size: number;
  close(): Promise<void>;
}

/**
 * One ImageAccess (one registry client: pooled connections, cached tokens) per distinct credential set,
 * reused across requests. Bounded: the least recently used one is closed once its requests are done.
 */
export function createAccessPool(options: AccessPoolOptions): AccessPool {
  const maxEntries = options.maxEntries ?? 256;
  const pool = new Map<string, ImageAccess>();
  const closing = new Set<NodeJS.Timeout>();
  const evicted = new Set<ImageAccess>();
  const fallback: CredentialStore | undefined = options.registry.credentials;
  return {
    accessFor(resolved) {
      if (resolved.fingerprint === "") return options.defaultAccess;
      let access = pool.get(resolved.fingerprint);
      if (access !== undefined) {
        pool.delete(resolved.fingerprint);
      } else {
        access = new ImageAccess({ ...options.registry, credentials: createPullSecretCredentialStore(resolved.secrets, fallback) });
      }
      pool.set(resolved.fingerprint, access);
      while (pool.size > maxEntries) {
        const [oldestKey, oldest] = pool.entries().next().value as [string, ImageAccess];
        pool.delete(oldestKey);
        evicted.add(oldest);
        const timer = setTimeout(() => {
          closing.delete(timer);
          evicted.delete(oldest);
          void oldest.close();
        }, options.closeDelayMs ?? 60_000);
        timer.unref();
        closing.add(timer);
      }
      return access;
    },
    get size() {
      return pool.size;
    },
    async close() {
      for (const timer of closing) clearTimeout(timer);
      closing.clear();
      const all = [...pool.values(), ...evicted];
      pool.clear();
      evicted.clear();
      await Promise.all(all.map((access) => access.close()));
    },
  };
}
