import type { Redis, RedisOptions } from "ioredis";
import { SignetError } from "../../errors/index.js";
import type { CacheErrorListener, CacheStore } from "./cache-store.js";
import { LIMITS } from "../../internal/limits.js";

export interface RedisStoreOptions {
  /** redis://[:password@]host:port[/db], rediss://… (TLS), or unix:///path/to/redis.sock[?db=N]. */
  readonly url: string;
  /** The password (AUTH), when not written in the URL: e.g. from a Secret through SIGNET_REDIS_PASSWORD. */
  readonly password?: string;
  /** Every key starts with this, so several webhooks (or other programs) can share one Redis. */
  readonly keyPrefix: string;
  /** A command that takes longer is a miss (reads) or dropped (writes). Default 100 ms: the cache must stay cheap. */
  readonly commandTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  /** Values larger than this are not read (a shared Redis is not trusted to be small). Default 256 KiB. */
  readonly maxValueBytes?: number;
  readonly onError: CacheErrorListener;
  /** Told each time the connection is (re)established and authenticated. */
  readonly onReady?: () => void;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 100;
const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
const DEFAULT_MAX_VALUE_BYTES = LIMITS.redisValueBytes;

/**
 * A store in Redis, shared by the webhook's replicas. Commands are never queued while Redis is down
 * (`enableOfflineQueue: false`) and never retried: an admission must not wait for a Redis that is gone. Any
 * error or timeout is reported and becomes a miss, so the image is verified again, never allowed unverified.
 * ioredis is loaded only when a Redis URL is configured.
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<CacheStore> {
  const { Redis: RedisClient } = await import("ioredis");
  const maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  const client: Redis = new RedisClient({
    ...redisConnectionOptions(options.url),
    ...(options.password !== undefined ? { password: options.password } : {}),
    keyPrefix: options.keyPrefix,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    lazyConnect: true,
    // Keep reconnecting in the background, at most every 2 s; requests meanwhile see misses.
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
  });
  // ioredis emits "error" on every failed (re)connection; without a listener Node would crash the process.
  client.on("error", (error: Error) => options.onError("connect", error));
  client.on("ready", () => options.onReady?.());
  client.connect().catch(() => {
    // Reported through the "error" event; the store works as "always miss" until Redis answers.
  });

  return {
    kind: "redis",
    trusted: false,
    async get(key) {
      try {
        const text = await client.getBuffer(key);
        if (text === null) return undefined;
        if (text.length > maxValueBytes) throw new Error(`value of ${text.length} bytes is above the ${maxValueBytes}-byte limit`);
        return JSON.parse(text.toString("utf8")) as unknown;
      } catch (error) {
        options.onError("get", asError(error));
        return undefined;
      }
    },
    async set(key, value, ttlMs) {
      if (!(ttlMs > 0)) return;
      try {
        await client.set(key, JSON.stringify(value), "PX", Math.ceil(ttlMs));
      } catch (error) {
        options.onError("set", asError(error));
      }
    },
    async close() {
      client.disconnect();
    },
  };
}

/** Turns the configured URL into ioredis options; a unix socket is given as unix:///path. */
export function redisConnectionOptions(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidUrl(url, "it is not a URL");
  }
  const password = parsed.password === "" ? undefined : decodeURIComponent(parsed.password);
  const username = parsed.username === "" ? undefined : decodeURIComponent(parsed.username);
  const auth = { ...(password !== undefined ? { password } : {}), ...(username !== undefined ? { username } : {}) };
  switch (parsed.protocol) {
    case "unix:": {
      if (parsed.pathname === "" || parsed.pathname === "/") throw invalidUrl(url, "it names no socket path");
      const db = parsed.searchParams.get("db");
      return { path: decodeURIComponent(parsed.pathname), ...auth, ...(db !== null ? { db: parseDb(url, db) } : {}) };
    }
    case "redis:":
    case "rediss:": {
      if (parsed.hostname === "") throw invalidUrl(url, "it names no host");
      const db = parsed.pathname.replace(/^\//, "");
      return {
        host: parsed.hostname.replace(/^\[|\]$/g, ""),
        port: parsed.port === "" ? 6379 : Number(parsed.port),
        ...auth,
        ...(db !== "" ? { db: parseDb(url, db) } : {}),
        ...(parsed.protocol === "rediss:" ? { tls: { servername: parsed.hostname } } : {}),
      };
    }
    default:
      throw invalidUrl(url, `the scheme ${parsed.protocol} is not redis:, rediss: or unix:`);
  }
}

/** The URL without its password, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "REDACTED";
    return parsed.toString();
  } catch {
    return "(invalid URL)";
  }
}

function parseDb(url: string, text: string): number {
  if (!/^\d{1,2}$/.test(text)) throw invalidUrl(url, `database ${JSON.stringify(text)} is not a number`);
  return Number(text);
}

function invalidUrl(url: string, problem: string): SignetError {
  return new SignetError("WEBHOOK_CONFIG_INVALID", `--redis-url ${redactRedisUrl(url)}: ${problem}`, {
    hint: "Write redis://[:password@]host:port[/db], rediss://host:port for TLS, or unix:///path/to/redis.sock.",
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
