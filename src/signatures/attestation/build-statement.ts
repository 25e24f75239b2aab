/**
 * The in-toto statement `signet attest` signs, built as cosign 2.x builds it for each `--type`
 * (cosign pkg/cosign/attestation): the subject is the image repository and its sha256 digest.
 */
import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { digestAlgorithm, digestHex } from "../../internal/digest.js";
import { isRecord } from "../../internal/strict-json.js";
import { IN_TOTO_STATEMENT_V01, type InTotoStatement } from "./in-toto-statement.js";
import { isPredicateTypeName, PredicateType, resolvePredicateType } from "./predicate-types.js";
import { parseSignedJson } from "../../internal/json-reader.js";

export interface BuildStatementInput {
  /** A cosign `--type` name or a predicate type URI. */
  readonly type: string;
  /** The predicate file's bytes. */
  readonly predicate: Uint8Array;
  readonly imageDigest: Digest;
  /** The image repository as cosign names it (`registry/repo`). */
  readonly repository: string;
  /** For the custom predicate's Timestamp. */
  readonly now?: Date;
}

/** Fields cosign requires in provenance predicates (those without `omitempty` in in-toto-golang). */
const REQUIRED_FIELDS: Partial<Record<string, readonly string[]>> = {
  slsaprovenance: ["builder", "buildType"],
  slsaprovenance02: ["builder", "buildType"],
  slsaprovenance1: ["buildDefinition", "runDetails"],
};

export function buildAttestationStatement(input: BuildStatementInput): InTotoStatement {
  if (input.predicate.length === 0) throw new SignetError("USAGE", "the predicate file is empty");
  const predicateType = resolvePredicateType(input.type);
  const subject = [{ name: input.repository, digest: { [digestAlgorithm(input.imageDigest)]: digestHex(input.imageDigest) } }];
  return { _type: IN_TOTO_STATEMENT_V01, predicateType, subject, predicate: buildPredicate(input, predicateType) };
}

function buildPredicate(input: BuildStatementInput, predicateType: string): unknown {
  const type = input.type;
  if (type === "custom" || predicateType === PredicateType.custom) {
    // cosign wraps an opaque custom predicate: {"Data": "<file text>", "Timestamp": "<RFC 3339>"}.
    return { Data: Buffer.from(input.predicate).toString("utf8"), Timestamp: (input.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z") };
  }
  if (type === "spdx") return Buffer.from(input.predicate).toString("utf8");
  const parsed = parseSignedJson(input.predicate, "the predicate file", "USAGE");
  const required = REQUIRED_FIELDS[type];
  if (required !== undefined) {
    if (!isRecord(parsed)) throw new SignetError("USAGE", `the ${type} predicate is not a JSON object`);
    const missing = required.find((field) => !(field in parsed));
    if (missing !== undefined) throw new SignetError("USAGE", `the ${type} predicate lacks the required field ${missing}`);
    return parsed;
  }
  // cosign reads other predicates into Go maps, which it writes back with sorted keys.
  if (!isPredicateTypeName(type) && !isRecord(parsed)) throw new SignetError("USAGE", `the predicate for ${predicateType} is not a JSON object`);
  return sortKeysDeep(parsed);
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (!isRecord(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) sorted[key] = sortKeysDeep(value[key]);
  return sorted;
}
