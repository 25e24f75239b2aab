/**
 * JSON encoded the way Go's encoding/json does, so that bytes signet writes are identical to the bytes cosign
 * writes for the same value: `<`, `>`, `&`, U+2028 and U+2029 are escaped as \u003c etc., and map keys are
 * sorted. Struct fields keep the order the caller gives (Go keeps declaration order).
 */
export function goJsonStringify(value: unknown): string {
  return escapeLikeGo(JSON.stringify(value));
}

/** Like goJsonStringify, but sorts the keys of this object (a Go map). */
export function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  const sorted: Record<string, T> = {};
  for (const key of Object.keys(record).sort(compareUtf8)) sorted[key] = record[key]!;
  return sorted;
}

function escapeLikeGo(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Go sorts map keys by byte order of their UTF-8 encoding. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
