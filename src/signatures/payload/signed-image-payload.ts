/**
 * The reader shared by both "simple signing" payload formats, the cosign one (`critical.type` "cosign container
 * image signature") and the containers/image atomic one ("atomic container signature"). Both are
 * `{"critical": {"identity": {"docker-reference"}, "image": {"docker-manifest-digest"}, "type"}, "optional": {...}}`
 * and containers/image reads both the same way (signature/simple.go, signature/sigstore.go): the top level and
 * every object under `critical` hold exactly the known fields, once each; `optional` is an object whose keys are
 * unique, `creator` a string and `timestamp` an integer when present, other fields ignored.
 *
 * cosign reads the same bytes with Go's encoding/json into its payload struct, which ignores unknown fields,
 * keeps the last of two equal keys and matches keys case-insensitively. Refusing unknown fields and duplicates
 * covers all of that: a second or case-variant `docker-manifest-digest` is a duplicate or an unknown field, so
 * no payload signet accepts can name another digest for cosign. The JSON itself goes through the one reader
 * (internal/json-reader.ts): no byte order mark, no trailing bytes, valid UTF-8.
 */
import { SignetError } from "../../errors/index.js";
import { isDigest, type Digest } from "../../internal/digest.js";
import { caseVariantProblem, parseSignedJson } from "../../internal/json-reader.js";
import { isRecord } from "../../internal/strict-json.js";

export interface SignedImagePayloadFormat {
  /** The required `critical.type`. */
  readonly type: string;
  /** How errors name the payload: "cosign signature payload", "atomic signature payload". */
  readonly name: string;
  readonly hint: string;
  /** cosign writes `"optional": null` when there are no annotations; atomic signatures always carry an object. */
  readonly optionalMayBeNull: boolean;
}

/** A payload whose structure is checked; its claims are still only what the signer wrote. */
export interface SignedImagePayload {
  readonly dockerReference: string;
  readonly manifestDigest: Digest;
  /** The `optional` section as written (null when the signer wrote null). */
  readonly optional: Readonly<Record<string, unknown>> | null;
  /** `optional.creator` when present (Go reads null as ""). */
  readonly creator?: string;
  /** `optional.timestamp` when present, whole seconds (Go reads null as 0). */
  readonly timestamp?: number;
}

/** Reads payload bytes whose signature has verified; throws SIG_PAYLOAD_INVALID. */
export function readSignedImagePayload(untrustedBytes: Uint8Array, format: SignedImagePayloadFormat): SignedImagePayload {
  const invalid = (problem: string, details: Record<string, unknown> = {}): never => {
    throw new SignetError("SIG_PAYLOAD_INVALID", `${format.name} ${problem}`, { hint: format.hint, details });
  };
  const root = parseSignedJson(untrustedBytes, format.name, "SIG_PAYLOAD_INVALID");
  const exact = (value: unknown, where: string, fields: readonly string[]): Record<string, unknown> => {
    if (!isRecord(value)) return invalid(`has ${where} that is ${describe(value)}, not an object`);
    const variant = caseVariantProblem(value, fields, where);
    if (variant !== undefined) invalid(variant);
    for (const key of Object.keys(value)) {
      if (!fields.includes(key)) invalid(`has an unknown field ${JSON.stringify(truncate(key))} in ${where}`, { field: truncate(key) });
    }
    for (const field of fields) {
      if (!Object.hasOwn(value, field)) invalid(`lacks the field ${JSON.stringify(field)} in ${where}`, { field });
    }
    return value;
  };

  const top = exact(root, "the payload", ["critical", "optional"]);
  const critical = exact(top["critical"], "critical", ["type", "image", "identity"]);
  const type = critical["type"];
  if (type !== format.type) invalid(`has critical.type ${describe(type)}, expected ${JSON.stringify(format.type)}`, { type: describe(type) });
  const untrustedDigest = exact(critical["image"], "critical.image", ["docker-manifest-digest"])["docker-manifest-digest"];
  if (typeof untrustedDigest !== "string" || !isDigest(untrustedDigest)) invalid(`has an invalid critical.image.docker-manifest-digest ${describe(untrustedDigest)}`);
  const untrustedReference = exact(critical["identity"], "critical.identity", ["docker-reference"])["docker-reference"];
  if (typeof untrustedReference !== "string") return invalid(`has a critical.identity.docker-reference that is ${describe(untrustedReference)}, not a string`);

  const optional = top["optional"];
  const payload: { -readonly [K in keyof SignedImagePayload]: SignedImagePayload[K] } = {
    dockerReference: untrustedReference,
    manifestDigest: untrustedDigest as Digest,
    optional: null,
  };
  if (optional === null && format.optionalMayBeNull) return payload;
  if (!isRecord(optional)) return invalid(`has an optional section that is ${describe(optional)}, not an object`);
  payload.optional = optional;
  if (Object.hasOwn(optional, "creator")) {
    const creator = optional["creator"];
    if (creator !== null && typeof creator !== "string") invalid(`has an optional.creator that is ${describe(creator)}, not a string`);
    payload.creator = (creator as string | null) ?? "";
  }
  if (Object.hasOwn(optional, "timestamp")) {
    const timestamp = optional["timestamp"];
    if (timestamp !== null && typeof timestamp !== "number") invalid(`has an optional.timestamp that is ${describe(timestamp)}, not a number`);
    // containers/image keeps an int64 and refuses fractions ("Field optional.timestamp is not an integer").
    if (typeof timestamp === "number" && (!Number.isInteger(timestamp) || Math.abs(timestamp) >= 2 ** 63)) invalid(`has an optional.timestamp that is not an integer: ${timestamp}`);
    payload.timestamp = (timestamp as number | null) ?? 0;
  }
  return payload;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return truncate(JSON.stringify(value));
}

function truncate(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}
