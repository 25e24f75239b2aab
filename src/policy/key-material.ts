/**
 * Loads the keys a policy names, once per policy compilation: each location is read once and each distinct
 * key content parsed once, however many scopes name it. A key that cannot be read or parsed does not stop the
 * policy from loading: the requirements that need it fail closed at evaluation, with the reason recorded here.
 */
import { createHash } from "node:crypto";
import { SignetError, type ErrorCode } from "../errors/index.js";
import { formatSourceLocation, type KeySourceConfig } from "./config/index.js";
import type { KeyReader } from "./evaluation-context.js";

/** Why a requirement cannot be evaluated with its keys; the requirement fails closed with this. */
export interface KeyFailure {
  readonly code: ErrorCode;
  /** The whole story: which key, where the policy names it, what is wrong. */
  readonly reason: string;
  /** The same without the policy location, for messages that already give it (lint). */
  readonly problem: string;
  readonly hint: string;
}

export interface LoadedKeyBytes {
  /** How the policy names this key: `keyPath "/etc/pki/key.gpg"`, `keyDatas[1]`. */
  readonly label: string;
  readonly bytes: Buffer;
}

export type KeyLoadResult<T> = { readonly ok: true; readonly keys: readonly T[] } | { readonly ok: false; readonly failure: KeyFailure };

/** Reads and parses key sources for one compilation; holds its caches (created per compilePolicy call). */
export class KeyLoader {
  private readonly reads = new Map<string, Promise<Buffer | SignetError>>();
  private readonly parsed = new Map<string, Promise<unknown>>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly readKey: KeyReader) {}

  /** The bytes of every key in the source, or why one of them cannot be read. */
  async loadBytes(source: KeySourceConfig): Promise<KeyLoadResult<LoadedKeyBytes>> {
    const place = formatSourceLocation(source.location);
    switch (source.kind) {
      case "data":
        if (source.data.length === 0) return failure("KEY_INVALID", source.field, place, "is empty", `Put the base64 of the key in ${source.field}.`);
        return { ok: true, keys: [{ label: source.field, bytes: source.data }] };
      case "datas":
        if (source.datas.length === 0) return failure("KEY_INVALID", source.field, place, "lists no keys", `List at least one key in ${source.field}.`);
        return { ok: true, keys: source.datas.map((bytes, index) => ({ label: `${source.field}[${index}]`, bytes })) };
      case "path":
      case "paths": {
        const paths = source.kind === "path" ? [source.path] : source.paths;
        if (paths.length === 0) return failure("KEY_INVALID", source.field, place, "lists no key files", `List at least one key file in ${source.field}.`);
        const keys: LoadedKeyBytes[] = [];
        for (const [index, path] of paths.entries()) {
          const label = source.kind === "path" ? `${source.field} ${JSON.stringify(path)}` : `${source.field}[${index}] ${JSON.stringify(path)}`;
          if (path === "") return failure("POLICY_KEY_UNREADABLE", label, place, "is empty", "Give the path or location of the key.");
          const read = await this.read(path);
          if (SignetError.is(read)) {
            return failure(
              // A reference that is malformed or of a scheme nobody reads says so; anything else is "unreadable".
              read.code === "KEY_REF_INVALID" || read.code === "KEY_REF_UNSUPPORTED" ? read.code : "POLICY_KEY_UNREADABLE",
              label,
              place,
              `cannot be read: ${read.message}`,
              `Make the key readable at ${path} (or fix the path in the policy); until then every image in this scope is rejected.`,
            );
          }
          keys.push({ label, bytes: read });
        }
        return { ok: true, keys };
      }
    }
  }

  /**
   * Parses each key with `parse`, caching by content so a keyring named by 1,000 scopes is parsed once. A key
   * that does not parse fails the whole source, naming which key and why.
   */
  async parseEach<T>(kind: string, source: KeySourceConfig, parse: (bytes: Buffer) => T | Promise<T>, describe: string): Promise<KeyLoadResult<{ label: string; key: T }>> {
    const loaded = await this.loadBytes(source);
    if (!loaded.ok) return loaded;
    const keys: { label: string; key: T }[] = [];
    for (const { label, bytes } of loaded.keys) {
      const cacheKey = `${kind}:${createHash("sha256").update(bytes).digest("hex")}`;
      let parsed = this.parsed.get(cacheKey) as Promise<T | SignetError> | undefined;
      if (parsed === undefined) {
        parsed = (async () => parse(bytes))().catch((error: unknown) => toKeyError(error));
        this.parsed.set(cacheKey, parsed);
      }
      const key = await parsed;
      if (SignetError.is(key)) {
        return failure(
          key.code === "POLICY_KEY_UNREADABLE" ? key.code : "KEY_INVALID",
          label,
          formatSourceLocation(source.location),
          `is not ${describe}: ${key.message}`,
          `Put ${describe} there; until then every image in this scope is rejected.`,
        );
      }
      keys.push({ label, key });
    }
    return { ok: true, keys };
  }

  private read(location: string): Promise<Buffer | SignetError> {
    let read = this.reads.get(location);
    if (read === undefined) {
      read = this.limited(() => this.readKey(location)).catch((error: unknown) => toKeyError(error));
      this.reads.set(location, read);
    }
    return read;
  }

  /** At most READ_CONCURRENCY reads at once: a policy naming 1,000 key files must not exhaust file handles. */
  private async limited<T>(task: () => Promise<T>): Promise<T> {
    // A released slot is handed straight to the next waiter, so `active` never exceeds the limit.
    if (this.active >= READ_CONCURRENCY) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.active--;
    }
  }
}

const READ_CONCURRENCY = 16;

function failure(code: ErrorCode, label: string, place: string, problem: string, hint: string): { ok: false; failure: KeyFailure } {
  return { ok: false, failure: { code, reason: `${label} (${place}) ${problem}`, problem: `${label} ${problem}`, hint } };
}

function toKeyError(error: unknown): SignetError {
  if (SignetError.is(error)) return error;
  return new SignetError("KEY_INVALID", error instanceof Error ? error.message : String(error), { cause: error });
}
