import { mostTelling } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { verifySignatureRecords, type RecordsVerification, type SignatureRequirement, type UntrustedSignatureRecord, type VerifiedSigner } from "../../signatures/verifier/index.js";
import type { SignedIdentityConfig } from "../config/index.js";
import type { RequirementContext } from "../evaluation-context.js";
import { matchSignedIdentity } from "../identity/index.js";
import type { KeySourceConfig } from "../config/index.js";
import type { RequirementOutcome, SignatureVerdict } from "../decision.js";

/** The policy's key source in a few words: `keyPath "/etc/pki/key.gpg"`, `keyData`, `keyPaths (2 files)`. */
export function describeKeySource(source: KeySourceConfig): string {
  switch (source.kind) {
    case "path":
      return `${source.field} ${JSON.stringify(source.path)}`;
    case "paths":
      return `${source.field} [${source.paths.map((p) => JSON.stringify(p)).join(", ")}]`;
    case "data":
      return `${source.field} (inline)`;
    case "datas":
      return `${source.field} (${source.datas.length} inline keys)`;
  }
}

export interface SignatureSummaryInput {
  readonly verdicts: readonly SignatureVerdict[];
  /** How many signatures were found (signatures after an accepted one are not checked). */
  readonly total: number;
  /** Verdicts on attachments that are not signatures: shown, but ignored as upstream ignores them. */
  readonly ignored?: ReadonlySet<SignatureVerdict>;
  readonly kind: "GPG" | "sigstore" | "Notation";
  readonly searched: readonly string[];
  readonly missingHint: string;
}

/** Signatures are ORed: one accepted signature allows the requirement; otherwise the most specific failure explains it. */
export function summarizeSignatures(input: SignatureSummaryInput): RequirementOutcome {
  const { verdicts, total } = input;
  const accepted = verdicts.findIndex((v) => v.allowed);
  if (accepted !== -1) {
    const rest = total - verdicts.length;
    return {
      allowed: true,
      reason: `${input.kind} signature ${accepted + 1} of ${total} accepted: ${verdicts[accepted]!.reason}${rest > 0 ? ` (${rest} more not checked: one is enough)` : ""}`,
      signatures: verdicts,
    };
  }
  const ignored = input.ignored ?? new Set<SignatureVerdict>();
  const rejections = verdicts.filter((v) => !ignored.has(v));
  if (rejections.length === 0) {
    const where = input.searched.length > 0 ? ` (looked in ${input.searched.join(", ")})` : "";
    const others = ignored.size > 0 ? `; ${ignored.size} attachment(s) that are not signatures were ignored` : "";
    return {
      allowed: false,
      reason: `a ${input.kind} signature was required, but the image has none${where}${others}`,
      hint: input.missingHint,
      code: "SIG_MISSING",
      signatures: verdicts,
    };
  }
  // The catalog's one ranking (errors/catalog.ts EXPLANATION_RANK), as every other entry point.
  const best = mostTelling(rejections)!;
  const reason =
    rejections.length === 1
      ? `the only ${input.kind} signature was rejected: ${best.reason}`
      : `none of the ${rejections.length} ${input.kind} signatures was accepted; the closest: ${best.reason}`;
  return { allowed: false, reason, hint: best.hint, code: best.code, signatures: verdicts };
}

/**
 * The one verifier's verdicts as the policy's signature verdicts, in the order the signatures were checked; the
 * ones on attachments that are not signatures are returned apart (shown, but ignored as upstream ignores them).
 * `describe` names a verified signer the way this requirement's trust is written in the policy.
 */
export function toSignatureVerdicts(
  verification: RecordsVerification,
  describe: (signer: VerifiedSigner) => string,
  options: {
    /** Rewords a rejection made before any signer verified (which keys were tried, in the policy's words). */
    readonly unverified?: (rejection: { readonly reason: string; readonly hint?: string }) => { reason: string; hint?: string };
    /** Said after the signer when accepted: `(in keyPath "…")`. */
    readonly acceptedBy?: string;
  } = {},
): { verdicts: SignatureVerdict[]; ignored: Set<SignatureVerdict>; signatureCount: number } {
  const verdicts: SignatureVerdict[] = [];
  const ignored = new Set<SignatureVerdict>();
  let signatureCount = 0;
  for (const { record, verdict } of verification.inOrder) {
    if (verdict.verdict === "ignored") {
      const ignoredVerdict: SignatureVerdict = { source: record.source, allowed: false, reason: verdict.reason };
      ignored.add(ignoredVerdict);
      verdicts.push(ignoredVerdict);
      continue;
    }
    signatureCount++;
    if (verdict.verdict === "verified") {
      const { signature } = verdict;
      const signer = describe(signature.signer);
      const signedDigest = signature.payload.critical.image["docker-manifest-digest"];
      const signedReference = signature.payload.critical.identity["docker-reference"];
      const by = options.acceptedBy === undefined ? "" : ` (in ${options.acceptedBy})`;
      verdicts.push({ source: record.source, allowed: true, reason: `signed by ${signer}${by} for ${signedDigest}; ${signature.identityMatch ?? "any identity accepted"}`, signer, signedReference, signedDigest });
      continue;
    }
    const { rejection } = verdict;
    if (rejection.signer === undefined) {
      const plain = { reason: rejection.reason, ...(rejection.hint === undefined ? {} : { hint: rejection.hint }) };
      const worded = rejection.code === "SIG_INVALID" && options.unverified !== undefined ? options.unverified(plain) : plain;
      verdicts.push({ source: record.source, allowed: false, ...worded, code: rejection.code, ...(worded.hint === undefined && rejection.hint !== undefined ? { hint: rejection.hint } : {}) });
      continue;
    }
    const signer = describe(rejection.signer);
    const reason =
      rejection.code === "SIG_IDENTITY_MISMATCH"
        ? `signed by ${signer}; ${rejection.reason}`
        : rejection.code === "SIG_DIGEST_MISMATCH"
          ? rejection.reason
          : `signed by ${signer}, but ${rejection.reason}`;
    verdicts.push({
      source: record.source,
      allowed: false,
      reason,
      code: rejection.code,
      ...(rejection.hint === undefined ? {} : { hint: rejection.hint }),
      signer,
      ...(rejection.signedReference === undefined ? {} : { signedReference: rejection.signedReference }),
      ...(rejection.signedDigest === undefined ? {} : { signedDigest: rejection.signedDigest }),
    });
  }
  return { verdicts, ignored, signatureCount };
}

/**
 * A policy.json signature requirement's check: the one image verifier over the records, with the requirement's
 * trust and its signedIdentity as the claims rule; signatures are ORed, so it stops at the first accepted one.
 */
export function verifyRequirementSignatures(
  context: RequirementContext,
  imageDigest: Digest,
  signedIdentity: SignedIdentityConfig,
  records: readonly UntrustedSignatureRecord[],
  requirement: SignatureRequirement,
): Promise<RecordsVerification> {
  return verifySignatureRecords({
    records,
    requirement,
    claims: {
      imageDigest,
      repository: context.imageName,
      signedIdentity: (untrustedSignedReference) => matchSignedIdentity(signedIdentity, context.dockerReference, untrustedSignedReference),
      now: context.now,
    },
    firstAcceptedOnly: true,
  });
}
