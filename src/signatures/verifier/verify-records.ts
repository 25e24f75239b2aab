/**
 * The pure half of the orchestrator: every record checked by the one verifier, the verdicts collected into one
 * result, and one explanation of an image with no acceptable signature, ranked by the error catalog.
 */
import { SignetError, mostTelling } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import type { SignatureRequirement, SignatureVerification, SignedClaimsRule, UntrustedSignatureRecord } from "./records.js";
import { verifySignatureRecord, type RecordVerdict } from "./verify-record.js";
import { appendAll } from "../../internal/arrays.js";

export interface VerifyRecordsInput {
  readonly records: readonly UntrustedSignatureRecord[];
  readonly requirement: SignatureRequirement;
  readonly claims: SignedClaimsRule;
  /** Stop at the first accepted record (policy.json: signatures are ORed, one is enough). Default: check all. */
  readonly firstAcceptedOnly?: boolean;
}

/** The verdicts, also in the order the records were checked (records after an accepted one are not checked when firstAcceptedOnly). */
export interface RecordsVerification extends SignatureVerification {
  readonly inOrder: { readonly record: UntrustedSignatureRecord; readonly verdict: RecordVerdict }[];
}

export async function verifySignatureRecords(input: VerifyRecordsInput): Promise<RecordsVerification> {
  const result: RecordsVerification = { verified: [], rejected: [], ignored: [], inOrder: [] };
  for (const record of input.records) {
    const verdict = await verifySignatureRecord(record, input.requirement, input.claims);
    result.inOrder.push({ record, verdict });
    if (verdict.verdict === "verified") {
      result.verified.push(verdict.signature);
      if (input.firstAcceptedOnly === true) break;
    } else if (verdict.verdict === "rejected") result.rejected.push(verdict.rejection);
    else result.ignored.push({ source: record.source, reason: verdict.reason });
  }
  return result;
}

/** Adds one verification's verdicts to another's. */
export function mergeVerification(into: SignatureVerification, from: SignatureVerification): void {
  appendAll(into.verified, from.verified);
  appendAll(into.rejected, from.rejected);
  appendAll(into.ignored, from.ignored);
}

/**
 * The error that best explains why nothing verified: SIG_MISSING when no record was an image signature, else the
 * most telling rejection (errors/catalog.ts EXPLANATION_RANK) with its hint, the others in details.
 */
export function explainNoSignature(imageDigest: Digest, verification: SignatureVerification, searched: readonly string[]): SignetError {
  const where = searched.length > 0 ? searched.join(" and ") : "the places searched";
  const best = mostTelling(verification.rejected);
  if (best === undefined) {
    const ignored = verification.ignored.length > 0 ? ` (${verification.ignored.length} attachment(s) found, which are not image signatures)` : "";
    return new SignetError("SIG_MISSING", `no signatures found for ${imageDigest} in ${where}${ignored}`, { details: { imageDigest, searched } });
  }
  const count = verification.rejected.length;
  const rejected = verification.rejected.map(({ format, source, code, reason }) => ({ format, source, code, reason }));
  return new SignetError(best.code, `none of the ${count} signature${count === 1 ? "" : "s"} for ${imageDigest} verified: ${best.reason}`, {
    ...(best.hint === undefined ? {} : { hint: best.hint }),
    details: { imageDigest, searched, rejected },
  });
}
