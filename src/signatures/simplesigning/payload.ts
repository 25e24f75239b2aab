import { SignetError } from "../../errors/index.js";
import { isDigest, parseDigest, type Digest } from "../../internal/digest.js";
import { goJsonStringify } from "../../internal/go-json.js";
import { parseNormalizedName } from "../../oci/reference/index.js";
import { JsonObject, parseJsonKeepingDuplicates, type JsonValue } from "./paranoid-json.js";

/** `critical.type` of containers/image simple signing (docs/containers-signature.5.md). */
export const ATOMIC_SIGNATURE_TYPE = "atomic container signature";

/** The claims of an atomic container signature. Only `dockerReference` and `manifestDigest` are signed claims a policy may use. */
export interface AtomicPayload {
  /** As the signer wrote it, e.g. "registry.example/ns/app:1.0"; it is a valid docker reference. */
  dockerReference: string;
  manifestDigest: Digest;
  /** Informational only (`optional.creator`), e.g. "atomic 5.23.1". */
  creator?: string;
  /** Informational only (`optional.timestamp`), seconds since the epoch. */
  timestamp?: number;
}

const PAYLOAD_HINT = "The signed payload is not a containers/image atomic container signature (docs/containers-signature.5.md).";
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * The payload bytes exactly as containers/image writes them (`untrustedSignature.MarshalJSON`): Go's
 * encoding/json over maps, so keys sorted, HTML characters escaped, no trailing newline.
 */
export function createAtomicPayload(claims: { dockerReference: string; manifestDigest: Digest | string; creator?: string; timestamp?: number }): Buffer {
  parseNormalizedName(claims.dockerReference); // never sign something no verifier could match
  const manifestDigest = parseDigest(claims.manifestDigest);
  if (claims.timestamp !== undefined && !Number.isSafeInteger(claims.timestamp)) {
    throw new SignetError("USAGE", `the signature timestamp must be whole seconds, got ${claims.timestamp}`);
  }
  const optional: Record<string, string | number> = {};
  if (claims.creator !== undefined) optional["creator"] = claims.creator;
  if (claims.timestamp !== undefined) optional["timestamp"] = claims.timestamp;
  const payload = {
    critical: {
      identity: { "docker-reference": claims.dockerReference },
      image: { "docker-manifest-digest": manifestDigest },
      type: ATOMIC_SIGNATURE_TYPE,
    },
    optional,
  };
  return Buffer.from(goJsonStringify(payload), "utf8");
}

/**
 * Parses payload bytes as strictly as containers/image's `strictUnmarshalJSON` (signature/simple.go): the
 * top level and `critical` with each of its objects must hold exactly the known fields, once each; unknown
 * fields in `optional` are ignored. Beyond upstream's parser, `docker-reference` must be a valid reference
 * (upstream refuses an invalid one later, when matching the policy).
 */
export function parseAtomicPayload(untrustedBytes: Uint8Array): AtomicPayload {
  let text: string;
  try {
    text = decoder.decode(untrustedBytes);
  } catch {
    throw invalid("is not valid UTF-8");
  }
  let root: JsonValue;
  try {
    root = parseJsonKeepingDuplicates(text);
  } catch (error) {
    throw invalid(`is not JSON: ${(error as Error).message}`);
  }

  const top = exactFields(root, "the payload", ["critical", "optional"]);
  const critical = exactFields(top.get("critical")!, "critical", ["type", "image", "identity"]);
  const type = critical.get("type");
  if (type !== ATOMIC_SIGNATURE_TYPE) {
    throw invalid(`has critical.type ${describe(type)}, expected ${JSON.stringify(ATOMIC_SIGNATURE_TYPE)}`, { type: describe(type) });
  }
  const image = exactFields(critical.get("image")!, "critical.image", ["docker-manifest-digest"]);
  const untrustedDigest = image.get("docker-manifest-digest");
  if (typeof untrustedDigest !== "string" || !isDigest(untrustedDigest)) {
    throw invalid(`has an invalid critical.image.docker-manifest-digest ${describe(untrustedDigest)}`);
  }
  const identity = exactFields(critical.get("identity")!, "critical.identity", ["docker-reference"]);
  const untrustedReference = identity.get("docker-reference");
  if (typeof untrustedReference !== "string") {
    throw invalid(`has a critical.identity.docker-reference that is not a string: ${describe(untrustedReference)}`);
  }
  try {
    parseNormalizedName(untrustedReference);
  } catch (error) {
    throw invalid(`names an invalid docker reference ${describe(untrustedReference)}`, { dockerReference: truncate(untrustedReference) }, error);
  }

  const payload: AtomicPayload = { dockerReference: untrustedReference, manifestDigest: untrustedDigest };
  readOptional(top.get("optional")!, payload);
  return payload;
}

/** `optional` must be an object without repeated keys; only `creator` and `timestamp` are read, with upstream's types. */
function readOptional(value: JsonValue, payload: AtomicPayload): void {
  const optional = objectOf(value, "optional");
  if (optional.has("creator")) {
    const creator = optional.get("creator");
    // Go decodes null into a string as "" (the field is then present but empty).
    if (creator !== null && typeof creator !== "string") throw invalid(`has an optional.creator that is not a string: ${describe(creator)}`);
    payload.creator = creator ?? "";
  }
  if (optional.has("timestamp")) {
    const timestamp = optional.get("timestamp");
    if (timestamp !== null && typeof timestamp !== "number") throw invalid(`has an optional.timestamp that is not a number: ${describe(timestamp)}`);
    // Upstream keeps an int64 and refuses fractions (simple.go: "Field optional.timestamp is not an integer").
    if (timestamp !== null && (!Number.isInteger(timestamp) || Math.abs(timestamp) >= 2 ** 63)) {
      throw invalid(`has an optional.timestamp that is not an integer: ${timestamp}`);
    }
    payload.timestamp = timestamp ?? 0;
  }
}

function exactFields(value: JsonValue, where: string, names: readonly string[]): Map<string, JsonValue> {
  const fields = objectOf(value, where);
  for (const key of fields.keys()) {
    if (!names.includes(key)) throw invalid(`has an unknown field ${JSON.stringify(truncate(key))} in ${where}`, { field: truncate(key) });
  }
  for (const name of names) {
    if (!fields.has(name)) throw invalid(`lacks the field ${JSON.stringify(name)} in ${where}`, { field: name });
  }
  return fields;
}

function objectOf(value: JsonValue, where: string): Map<string, JsonValue> {
  if (!(value instanceof JsonObject)) throw invalid(`has ${where} that is not a JSON object`);
  if (value.duplicateKey !== undefined) {
    throw invalid(`repeats the key ${JSON.stringify(truncate(value.duplicateKey))} in ${where}`, { field: truncate(value.duplicateKey) });
  }
  return value.fields;
}

function describe(value: JsonValue | undefined): string {
  if (value instanceof JsonObject) return "an object";
  if (Array.isArray(value)) return "an array";
  return truncate(JSON.stringify(value) ?? "nothing");
}

function truncate(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}

function invalid(problem: string, details: Record<string, unknown> = {}, cause?: unknown): SignetError {
  return new SignetError("SIG_PAYLOAD_INVALID", `atomic signature payload ${problem}`, { hint: PAYLOAD_HINT, details, cause });
}
