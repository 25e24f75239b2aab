/**
 * in-toto statements (v0.1 as cosign 2.x writes them, v1 as cosign 3 and most others do): parsed strictly from
 * signed bytes, and the subject checked against the image digest (security cases A.5, A.12).
 */
import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { digestAlgorithm, digestHex } from "../../internal/digest.js";
import { goJsonStringify } from "../../internal/go-json.js";
import { isRecord } from "../../internal/strict-json.js";
import { caseVariantProblem, parseSignedJson } from "../../internal/json-reader.js";
import { LIMITS } from "../../internal/limits.js";

export const IN_TOTO_STATEMENT_V01 = "https://in-toto.io/Statement/v0.1";
export const IN_TOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";
const STATEMENT_TYPES: readonly string[] = [IN_TOTO_STATEMENT_V01, IN_TOTO_STATEMENT_V1];

/** Subjects examined per statement (bundle-bomb bound). */
export const MAX_STATEMENT_SUBJECTS = LIMITS.statementSubjects;

export interface StatementSubject {
  readonly name?: string;
  readonly digest: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, unknown>>;
}

export interface InTotoStatement {
  readonly _type: string;
  readonly predicateType: string;
  readonly subject: readonly StatementSubject[];
  /** Absent when the statement has none (cosign v3 image signatures). */
  readonly predicate?: unknown;
}

/** Parses statement bytes whose signature verified; throws ATTESTATION_INVALID. */
export function parseInTotoStatement(untrustedBytes: Uint8Array): InTotoStatement {
  const value = parseSignedJson(untrustedBytes, "the attestation payload", "ATTESTATION_INVALID");
  const fail = (problem: string): never => {
    throw new SignetError("ATTESTATION_INVALID", `the attestation payload ${problem}`);
  };
  if (!isRecord(value)) return fail("is not an in-toto statement (not a JSON object)");
  const valueVariant = caseVariantProblem(value, STATEMENT_FIELDS, "the statement");
  if (valueVariant !== undefined) fail(valueVariant);
  const type = value["_type"];
  if (typeof type !== "string" || !STATEMENT_TYPES.includes(type)) {
    return fail(`is not an in-toto statement: _type is ${typeof type === "string" ? JSON.stringify(type.slice(0, 100)) : "missing"}`);
  }
  const predicateType = value["predicateType"];
  if (typeof predicateType !== "string" || predicateType === "") return fail("has no predicateType");
  const subjects = value["subject"];
  if (!Array.isArray(subjects) || subjects.length === 0) return fail("names no subject");
  if (subjects.length > MAX_STATEMENT_SUBJECTS) return fail(`names ${subjects.length} subjects; at most ${MAX_STATEMENT_SUBJECTS} are examined`);
  const subject = subjects.map((item, index): StatementSubject => {
    if (!isRecord(item)) return fail(`subject ${index} is not an object`);
    const itemVariant = caseVariantProblem(item, SUBJECT_FIELDS, `subject ${index}`);
    if (itemVariant !== undefined) fail(itemVariant);
    const { name, digest, annotations } = item;
    if (name !== undefined && typeof name !== "string") return fail(`subject ${index} has a name that is not a string`);
    if (!isRecord(digest) || !Object.values(digest).every((v) => typeof v === "string")) return fail(`subject ${index} has no digest map`);
    if (annotations !== undefined && annotations !== null && !isRecord(annotations)) return fail(`subject ${index} has annotations that are not an object`);
    return {
      ...(name !== undefined ? { name } : {}),
      digest: digest as Record<string, string>,
      ...(isRecord(annotations) ? { annotations } : {}),
    };
  });
  return { _type: type, predicateType, subject, ...(value["predicate"] !== undefined ? { predicate: value["predicate"] } : {}) };
}

/** Fields cosign reads with Go's encoding/json, which would also take `"Subject"` or `"PREDICATETYPE"` for them. */
const STATEMENT_FIELDS = ["_type", "predicateType", "subject", "predicate"] as const;
const SUBJECT_FIELDS = ["name", "digest", "annotations"] as const;

/**
 * Checks that the statement names this image: some subject's digest for the image digest's algorithm equals its
 * hex (lower case, exact). A statement that names only other digests or only other algorithms is rejected; the
 * algorithm is never guessed.
 */
export function checkStatementSubject(statement: InTotoStatement, imageDigest: Digest): StatementSubject {
  const algorithm = digestAlgorithm(imageDigest);
  const hex = digestHex(imageDigest);
  const match = statement.subject.find((s) => s.digest[algorithm] === hex);
  if (match !== undefined) return match;
  const named = statement.subject.flatMap((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h.slice(0, 71)}`)).slice(0, 5);
  throw new SignetError("ATTESTATION_SUBJECT_MISMATCH", `the statement's subject names ${named.length === 0 ? "no digest" : named.join(", ")}, not ${imageDigest}`, {
    details: { imageDigest, subjects: named },
  });
}

/** Statement bytes as cosign 2.x writes them: `_type`, `predicateType`, `subject`, `predicate`. */
export function serializeStatement(statement: InTotoStatement): Buffer {
  const ordered: Record<string, unknown> = { _type: statement._type, predicateType: statement.predicateType, subject: statement.subject };
  if (statement.predicate !== undefined) ordered["predicate"] = statement.predicate;
  return Buffer.from(goJsonStringify(ordered), "utf8");
}
