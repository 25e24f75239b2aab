/**
 * Binds a verified signature to the caller's artifact (security case A.12): a message signature's digest
 * must be the artifact's; a DSSE in-toto statement must list the artifact's digest among its subjects (never
 * guessing an algorithm the subject does not give); any other DSSE payload must be the artifact itself.
 */
import { createHash } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import { caseVariantProblem, parseSignedJson } from "../../internal/json-reader.js";
import { isRecord } from "../../internal/strict-json.js";
import type { UntrustedContent } from "./parse-bundle.js";
import type { ArtifactInput, SignedContent } from "./signed-content.js";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
const STATEMENT_TYPES = new Set(["https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1"]);
const SUBJECT_ALGORITHMS = ["sha256", "sha384", "sha512"] as const;

function mismatch(message: string, details: Record<string, unknown> = {}): never {
  throw new SignetError("SIG_DIGEST_MISMATCH", message, { details, hint: "The bundle was made for another artifact: check that you verify the file (or digest) that was signed." });
}

/** Checks the binding and returns the artifact digest it proved, "<algorithm>:<hex>". */
export function bindArtifact(content: UntrustedContent, signed: SignedContent, artifact: ArtifactInput): string {
  if (content.type === "messageSignature") {
    if (content.digest !== undefined) {
      const actual = signed.signedDigest(content.digest.algorithm);
      if (actual === undefined) mismatch(`the bundle's message digest is ${content.digest.algorithm}; give the artifact itself or its ${content.digest.algorithm} digest`);
      if (!actual.equals(content.digest.value)) {
        mismatch("the bundle's message digest is not the artifact's digest", { expected: `${content.digest.algorithm}:${content.digest.value.toString("hex")}`, actual: `${content.digest.algorithm}:${actual.toString("hex")}` });
      }
    }
    return artifactDigest(artifact);
  }
  if (content.payloadType === IN_TOTO_PAYLOAD_TYPE) {
    matchStatementSubject(content.payload, artifact);
    return artifactDigest(artifact);
  }
  if (artifact.bytes !== undefined) {
    if (!Buffer.from(artifact.bytes).equals(content.payload)) mismatch("the signed DSSE payload is not the artifact");
  } else if (artifact.digest !== undefined) {
    const actual = createHash(artifact.digest.algorithm).update(content.payload).digest("hex");
    if (actual !== artifact.digest.hex) mismatch("the signed DSSE payload does not have the artifact's digest");
  } else {
    throw new SignetError("USAGE", "verifying a DSSE envelope needs the artifact or its digest");
  }
  return artifactDigest(artifact);
}

function artifactDigest(artifact: ArtifactInput): string {
  if (artifact.bytes !== undefined) return `sha256:${createHash("sha256").update(artifact.bytes).digest("hex")}`;
  if (artifact.digest !== undefined) return `${artifact.digest.algorithm}:${artifact.digest.hex}`;
  throw new SignetError("USAGE", "verifying a bundle needs the artifact or its digest");
}

function matchStatementSubject(payload: Buffer, artifact: ArtifactInput): void {
  const statement = parseSignedJson(payload, "the DSSE payload (an in-toto statement)", "SIG_PAYLOAD_INVALID");
  if (!isRecord(statement)) throw new SignetError("SIG_PAYLOAD_INVALID", "the in-toto statement is not a JSON object");
  const record = statement;
  const variant = caseVariantProblem(record, ["_type", "predicateType", "subject", "predicate"], "the statement");
  if (variant !== undefined) throw new SignetError("SIG_PAYLOAD_INVALID", `the in-toto statement ${variant}`);
  if (typeof record["_type"] !== "string" || !STATEMENT_TYPES.has(record["_type"])) {
    throw new SignetError("SIG_PAYLOAD_INVALID", `the in-toto statement's _type ${JSON.stringify(record["_type"] ?? null)} is not an in-toto Statement v0.1 or v1`);
  }
  const subjects = record["subject"];
  if (!Array.isArray(subjects) || subjects.length === 0) throw new SignetError("SIG_PAYLOAD_INVALID", "the in-toto statement has no subject");
  const computed = new Map<string, string>();
  const digestIn = (algorithm: string): string | undefined => {
    if (artifact.bytes !== undefined) {
      if (!computed.has(algorithm)) computed.set(algorithm, createHash(algorithm).update(artifact.bytes).digest("hex"));
      return computed.get(algorithm);
    }
    return artifact.digest?.algorithm === algorithm ? artifact.digest.hex : undefined;
  };
  if (artifact.bytes === undefined && artifact.digest === undefined) throw new SignetError("USAGE", "verifying an in-toto statement needs the artifact or its digest");
  for (const subject of subjects) {
    if (!isRecord(subject)) continue;
    const subjectVariant = caseVariantProblem(subject, ["name", "digest"], "a subject");
    if (subjectVariant !== undefined) throw new SignetError("SIG_PAYLOAD_INVALID", `the in-toto statement ${subjectVariant}`);
    const digests = (subject as Record<string, unknown>)["digest"];
    if (typeof digests !== "object" || digests === null) continue;
    for (const algorithm of SUBJECT_ALGORITHMS) {
      const claimed = (digests as Record<string, unknown>)[algorithm];
      if (typeof claimed !== "string") continue;
      const actual = digestIn(algorithm);
      if (actual !== undefined && actual === claimed.toLowerCase()) return;
    }
  }
  mismatch("the artifact's digest is not among the in-toto statement's subjects", { subjects: subjects.length });
}
