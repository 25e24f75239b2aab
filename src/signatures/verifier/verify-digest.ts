/**
 * The orchestrator for one image digest: discovery (`.sig` first, then the referrers only when nothing there was
 * accepted, so an image signed the classic way costs no more requests), the one verifier over every record, one
 * result, and one explanation when nothing verified.
 */
import { toSignetError } from "../../errors/index.js";
import { appendAll } from "../../internal/arrays.js";
import { LIMITS } from "../../internal/limits.js";
import { withSkippedLayers, type SkippedSignatureLayer } from "../cosign/discover.js";
import type { RecordDiscovery } from "./discover-records.js";
import type { SignatureRequirement, SignatureVerification, SignedClaimsRule } from "./records.js";
import { explainNoSignature, mergeVerification, verifySignatureRecords } from "./verify-records.js";

/** Which storage formats to look in: both (legacy first), only bundles (`--new-bundle-format`), only `.sig`. */
export type SignatureFormats = "auto" | "bundle" | "legacy";

export interface VerifyDigestInput {
  readonly discovery: RecordDiscovery;
  readonly requirement: SignatureRequirement;
  /** The claims rule; its imageDigest defaults to the discovery's. */
  readonly claims: Omit<SignedClaimsRule, "imageDigest">;
  readonly formats?: SignatureFormats;
  /** Notation: at most this many signatures are checked (notation verify --max-signatures, default 100). */
  readonly maxSignatures?: number;
}

export interface DigestVerification extends SignatureVerification {
  /** Where signatures were looked for. */
  readonly searched: string[];
  /** `.sig` layers left out because they could not be read, with their reasons (one bad layer hides nothing). */
  readonly skipped: SkippedSignatureLayer[];
}

/** Verifies every signature of one digest; the result says what verified, what did not and why. Never throws a verdict. */
export async function verifyDigestSignatures(input: VerifyDigestInput): Promise<DigestVerification> {
  const { discovery } = input;
  const formats = input.formats ?? "auto";
  const claims: SignedClaimsRule = { ...input.claims, imageDigest: discovery.imageDigest };
  const total: DigestVerification = { verified: [], rejected: [], ignored: [], searched: [], skipped: [] };
  if (input.requirement.kind === "notation") {
    // A trust policy is satisfied by Notation signatures only; notation's rule: the first one that verifies is enough.
    const found = await discovery.notationSignatures();
    total.searched.push(found.searched);
    mergeVerification(total, await verifySignatureRecords({ records: found.records.slice(0, input.maxSignatures ?? LIMITS.signaturesPerImage), requirement: input.requirement, claims, firstAcceptedOnly: true }));
    return total;
  }
  if (formats !== "bundle") {
    const legacy = await discovery.legacySignatures();
    total.searched.push(legacy.searched);
    appendAll(total.skipped, legacy.skipped ?? []);
    mergeVerification(total, await verifySignatureRecords({ records: legacy.records, requirement: input.requirement, claims }));
  }
  if (formats !== "legacy" && total.verified.length === 0) {
    let found;
    try {
      found = await discovery.bundles();
    } catch (error) {
      const failure = toSignetError(error);
      // A malformed referrers list is a verdict on that list, not on the `.sig` signatures already judged;
      // a registry that cannot answer means no verdict at all.
      if (failure.category === "unavailable" || formats === "bundle") throw failure;
      total.searched.push(`the referrers of ${discovery.imageDigest}`);
      total.rejected.push({ format: "sigstore-bundle", source: `referrers of ${discovery.imageDigest}`, code: failure.code, reason: failure.message });
    }
    if (found !== undefined) {
      total.searched.push(found.searched);
      mergeVerification(total, await verifySignatureRecords({ records: found.records, requirement: input.requirement, claims }));
    }
  }
  return total;
}

/** Throws the ranked explanation when nothing verified; returns the verification otherwise. */
export function requireVerified(verification: DigestVerification, imageDigest: RecordDiscovery["imageDigest"]): DigestVerification {
  if (verification.verified.length === 0) throw withSkippedLayers(explainNoSignature(imageDigest, verification, verification.searched), verification.skipped);
  return verification;
}
