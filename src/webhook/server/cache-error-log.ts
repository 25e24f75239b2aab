import type { CacheOperation } from "../cache/cache-store.js";
import type { WebhookLogger } from "./logger.js";

export interface CacheErrorLogOptions {
  readonly logger: WebhookLogger;
  /** Names the store in every line, e.g. the Redis URL without its password. */
  readonly store: string;
  /** While the store is up, at most one line per this interval about failed commands (timeouts). Default 60 s. */
  readonly commandErrorIntervalMs?: number;
  readonly now?: () => number;
}

export interface CacheErrorLog {
  /** A failed connection attempt or command. */
  error(operation: CacheOperation, error: Error): void;
  /** The store (re)connected. */
  ready(): void;
}

/**
 * Bounded logging of a shared cache's health: one line when it becomes unreachable, one when it is back, and
 * while it is up at most one line a minute about failed commands (with how many were not logged). A Redis
 * that stays down, reconnecting every 2 s, and admissions that each see a miss meanwhile, produce no more
 * lines; every failure is still counted (signet_webhook_cache_errors_total).
 */
export function createCacheErrorLog(options: CacheErrorLogOptions): CacheErrorLog {
  const { logger, store } = options;
  const interval = options.commandErrorIntervalMs ?? 60_000;
  const now = options.now ?? Date.now;
  let state: "starting" | "up" | "down" = "starting";
  let failuresWhileDown = 0;
  let lastCommandLog = -Infinity;
  let unlogged = 0;

  return {
    error(operation, error) {
      if (state === "down") {
        failuresWhileDown += 1;
        return;
      }
      if (operation === "connect" || state === "starting") {
        state = "down";
        failuresWhileDown = 1;
        logger.warn({ store, operation, error: error.message }, "cache store unreachable: every lookup is a miss (images are verified again) until it is back; retrying in the background");
        return;
      }
      if (now() - lastCommandLog < interval) {
        unlogged += 1;
        return;
      }
      logger.warn({ store, operation, error: error.message, ...(unlogged > 0 ? { notLogged: unlogged } : {}) }, "cache store failed; treating it as a miss");
      lastCommandLog = now();
      unlogged = 0;
    },
    ready() {
      if (state === "down") logger.info({ store, failuresWhileDown }, "cache store reachable again");
      else if (state === "starting") logger.info({ store }, "cache store connected");
      state = "up";
      failuresWhileDown = 0;
    },
  };
}
