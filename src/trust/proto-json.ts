/**
 * Strict readers for the protobuf JSON encoding the sigstore formats use (trusted_root.json, bundles): unknown
 * fields are refused as Go's protojson refuses them, bytes must be real base64, int64 values real integers,
 * timestamps RFC 3339. Every failure names the field path, e.g. `tlogs[1].publicKey.validFor.start`.
 */
import { SignetError, type ErrorCode } from "../errors/index.js";
import { decodeBase64Strict } from "../internal/base64.js";

export type JsonRecord = Readonly<Record<string, unknown>>;

export class ProtoJsonReader {
  constructor(
    private readonly code: ErrorCode,
    private readonly what: string,
  ) {}

  fail(path: string, problem: string): never {
    throw new SignetError(this.code, `${this.what}: ${path === "" ? "" : `${path} `}${problem}`, { details: { field: path } });
  }

  /** An object with only the listed keys (protojson also accepts nulls for absent fields). */
  object(value: unknown, path: string, allowedKeys: readonly string[]): JsonRecord {
    if (typeof value !== "object" || value === null || Array.isArray(value)) this.fail(path, "must be an object");
    for (const key of Object.keys(value)) {
      if (!allowedKeys.includes(key)) this.fail(path === "" ? key : `${path}.${key}`, "is not a known field");
    }
    return value as JsonRecord;
  }

  optionalObject(parent: JsonRecord, key: string, path: string, allowedKeys: readonly string[]): JsonRecord | undefined {
    const value = parent[key];
    return value === undefined || value === null ? undefined : this.object(value, join(path, key), allowedKeys);
  }

  requiredObject(parent: JsonRecord, key: string, path: string, allowedKeys: readonly string[]): JsonRecord {
    const value = this.optionalObject(parent, key, path, allowedKeys);
    if (value === undefined) this.fail(join(path, key), "is missing");
    return value;
  }

  array(parent: JsonRecord, key: string, path: string): readonly unknown[] {
    const value = parent[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(join(path, key), "must be an array");
    return value;
  }

  optionalString(parent: JsonRecord, key: string, path: string): string | undefined {
    const value = parent[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") this.fail(join(path, key), "must be a string");
    return value;
  }

  requiredString(parent: JsonRecord, key: string, path: string): string {
    const value = this.optionalString(parent, key, path);
    if (value === undefined || value === "") this.fail(join(path, key), "is missing");
    return value;
  }

  /** protojson bytes: standard or URL-safe base64, padded or not; nothing else. */
  optionalBytes(parent: JsonRecord, key: string, path: string): Buffer<ArrayBuffer> | undefined {
    const value = this.optionalString(parent, key, path);
    if (value === undefined) return undefined;
    const bytes = decodeBase64Strict(value, "std-or-url");
    if (bytes === undefined) this.fail(join(path, key), "is not valid base64");
    return bytes;
  }

  requiredBytes(parent: JsonRecord, key: string, path: string): Buffer<ArrayBuffer> {
    const value = this.optionalBytes(parent, key, path);
    if (value === undefined || value.length === 0) this.fail(join(path, key), "is missing");
    return value;
  }

  /** protojson int64/uint64: a decimal string or a JSON integer. Returns the exact value. */
  optionalInt64(parent: JsonRecord, key: string, path: string): bigint | undefined {
    const value = parent[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) this.fail(join(path, key), "must be an integer");
      return BigInt(value);
    }
    if (typeof value !== "string" || !/^-?(0|[1-9][0-9]{0,19})$/.test(value)) this.fail(join(path, key), "must be an integer");
    const result = BigInt(value);
    if (result > 9_223_372_036_854_775_807n || result < -9_223_372_036_854_775_808n) this.fail(join(path, key), "is out of range");
    return result;
  }

  /** google.protobuf.Timestamp in JSON: RFC 3339 with a Z or an offset. */
  optionalTimestamp(parent: JsonRecord, key: string, path: string): Date | undefined {
    const value = this.optionalString(parent, key, path);
    if (value === undefined) return undefined;
    const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.exec(value);
    const time = match ? Date.parse(value.replace(/(\.\d{3})\d+/, "$1")) : Number.NaN;
    if (Number.isNaN(time)) this.fail(join(path, key), `is not an RFC 3339 time: ${JSON.stringify(value.slice(0, 40))}`);
    return new Date(time);
  }

  enumValue<T extends string>(parent: JsonRecord, key: string, path: string, allowed: readonly T[]): T | undefined {
    const value = this.optionalString(parent, key, path);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) this.fail(join(path, key), `has an unknown value ${JSON.stringify(value.slice(0, 60))}`);
    return value as T;
  }
}

export function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

