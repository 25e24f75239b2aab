/**
 * The bytes Notary signs: the `signed` object decoded as Go's encoding/json decodes into map[string]interface{}
 * (every number a float64) and re-encoded with docker/go's canonical/json MarshalCanonical (notary
 * tuf/signed/verify.go VerifySignatures). Its rules: object keys sorted by their UTF-8 bytes, no whitespace,
 * strings with only `"` and `\` escaped (every other byte, control characters included, written as is), numbers
 * written as integers (a number with a fraction cannot be encoded: the metadata is refused), null, booleans.
 */

export class CanonicalJsonError extends Error {}

export function notaryCanonicalJson(value: unknown): Buffer {
  const parts: Buffer[] = [];
  write(value, parts, 0);
  return Buffer.concat(parts);
}

const QUOTE = Buffer.from('"');

function write(value: unknown, out: Buffer[], depth: number): void {
  if (depth > 256) throw new CanonicalJsonError("values are nested too deeply");
  if (value === null) {
    out.push(Buffer.from("null"));
  } else if (typeof value === "boolean") {
    out.push(Buffer.from(value ? "true" : "false"));
  } else if (typeof value === "number") {
    out.push(Buffer.from(canonicalNumber(value)));
  } else if (typeof value === "string") {
    out.push(canonicalString(value));
  } else if (Array.isArray(value)) {
    out.push(Buffer.from("["));
    value.forEach((item, index) => {
      if (index > 0) out.push(Buffer.from(","));
      write(item, out, depth + 1);
    });
    out.push(Buffer.from("]"));
  } else if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => ({ key: canonicalString(key), item }));
    // Go's map encoder sorts keys as Go strings: by their UTF-8 bytes (not UTF-16 code units).
    entries.sort((a, b) => Buffer.compare(a.key, b.key));
    out.push(Buffer.from("{"));
    entries.forEach(({ key, item }, index) => {
      if (index > 0) out.push(Buffer.from(","));
      out.push(key, Buffer.from(":"));
      write(item, out, depth + 1);
    });
    out.push(Buffer.from("}"));
  } else {
    throw new CanonicalJsonError(`a ${typeof value} cannot be in canonical JSON`);
  }
}

/** float64 -> strconv.AppendInt(int64(f)); a fraction, NaN or infinity is an encoding error. */
function canonicalNumber(value: number): string {
  if (!Number.isFinite(value) || Math.floor(value) !== value) throw new CanonicalJsonError(`the number ${value} is not an integer; canonical JSON has no fractions`);
  if (Math.abs(value) >= 2 ** 63) throw new CanonicalJsonError(`the number ${value} does not fit in 64 bits`);
  return BigInt(value).toString();
}

function canonicalString(value: string): Buffer {
  // A lone surrogate (from a \ud800 escape) has no UTF-8 form; Go would write U+FFFD. Refuse it instead.
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) {
    throw new CanonicalJsonError("a string holds a lone UTF-16 surrogate");
  }
  return Buffer.concat([QUOTE, Buffer.from(value.replace(/["\\]/g, (c) => `\\${c}`), "utf8"), QUOTE]);
}
