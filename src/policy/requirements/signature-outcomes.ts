import type { ErrorCode } from "../../errors/index.js";
import { digestAlgorithm, isDigest } from "../../internal/digest.js";
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

/** Why a signed manifest digest is not the image's, or undefined when it is (the signature covers this image). */
export function checkSignedDigest(signedDigest: string, imageDigest: string): { reason: string; code: ErrorCode; hint: string } | undefined {
  if (signedDigest === imageDigest) return undefined;
  if (isDigest(signedDigest) && isDigest(imageDigest) && digestAlgorithm(signedDigest) !== digestAlgorithm(imageDigest)) {
    return {
      reason: `the signature names the ${digestAlgorithm(signedDigest)} digest ${signedDigest}, but the image was pinned by ${imageDigest}; signet compares digests of the same algorithm only`,
      code: "SIG_DIGEST_MISMATCH",
      hint: "Sign the image's sha256 digest.",
    };
  }
  return {
    reason: `the signature is for ${signedDigest}, not for this image's ${imageDigest}`,
    code: "SIG_DIGEST_MISMATCH",
    hint: "The image was changed after it was signed, or the signature was copied from another image: sign this digest.",
  };
}

/** The most telling reason comes first: a signature that verified but names something else explains more than a bad one. */
const PRECEDENCE: readonly ErrorCode[] = ["SIG_IDENTITY_MISMATCH", "SIG_DIGEST_MISMATCH", "SIG_PAYLOAD_INVALID", "SIG_ANNOTATION_MISMATCH", "SIG_INVALID"];

export interface SignatureSummaryInput {
  readonly verdicts: readonly SignatureVerdict[];
  /** How many signatures were found (signatures after an accepted one are not checked). */
  readonly total: number;
  /** Verdicts on attachments that are not signatures: shown, but ignored as upstream ignores them. */
  readonly ignored?: ReadonlySet<SignatureVerdict>;
  readonly kind: "GPG" | "sigstore";
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
  const best = PRECEDENCE.map((code) => rejections.find((v) => v.code === code)).find((v) => v !== undefined) ?? rejections[0]!;
  const reason =
    rejections.length === 1
      ? `the only ${input.kind} signature was rejected: ${best.reason}`
      : `none of the ${rejections.length} ${input.kind} signatures was accepted; the closest: ${best.reason}`;
  return { allowed: false, reason, hint: best.hint, code: best.code, signatures: verdicts };
}
