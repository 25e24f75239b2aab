/**
 * Threshold and required signers (Connaisseur's model), over the one verifier's per-record verdicts: a rule lists
 * named signers (each one requirement of any kind: key, keyless identity, GPG keyring), needs `threshold` distinct
 * signers and always the `required` ones. Pure: the records are discovered by the caller.
 *
 * Distinct means distinct keys and identities, never signatures: every verified record is reduced to who made it
 * (the SPKI digest of a key, the certificate's issuer and subject, the primary fingerprint of a GPG key), and the
 * signers are matched to those identities one to one (a bipartite matching). So the same key signing twice, the
 * same signature attached twice (or stored in two formats), two policy signers naming the same key, or one identity
 * accepted by two signers all count once.
 *
 * A new requirement kind is one entry in `FORMATS_BY_KIND` and `SIGNS_REFERENCE` and one case in `signerIdentity`.
 */
import { createHash } from "node:crypto";
import { SignetError, mostTelling } from "../../errors/index.js";
import { appendAll } from "../../internal/arrays.js";
import type { Digest } from "../../internal/digest.js";
import type { SignatureFormat, SignatureRejection, SignatureRequirement, SignedClaimsRule, UntrustedSignatureRecord, VerifiedSignature } from "./records.js";
import { verifySignatureRecords } from "./verify-records.js";

/** One signer of a rule: its name (for `required` and explanations) and who it accepts. */
export interface NamedSigner {
  readonly name: string;
  readonly requirement: SignatureRequirement;
  /** The signer in a few words, for explanations (`keyPath "/etc/ci.pub"`). */
  readonly description?: string;
}

export interface SignersRule {
  readonly signers: readonly NamedSigner[];
  /** How many distinct signers must have signed (1..signers.length). */
  readonly threshold: number;
  /** Names of signers that must always have signed, whatever the threshold. */
  readonly required: readonly string[];
}

/** A signer that counted: which identity and which record proved it. */
export interface FoundSigner {
  readonly name: string;
  /** Who signed, as compared for distinctness: `key sha256:<spki hex>`, `keyless <issuer> <subject>`, `gpg <fingerprint>`. */
  readonly identity: string;
  readonly signature: VerifiedSignature;
}

export interface MissingSigner {
  readonly name: string;
  readonly required: boolean;
  /** Why it did not count: its most telling rejection, or that nothing it accepts was found, or that its identity was already counted. */
  readonly code: SignetError["code"];
  readonly reason: string;
  readonly hint?: string;
}

export interface SignersVerification {
  readonly satisfied: boolean;
  readonly threshold: number;
  readonly found: readonly FoundSigner[];
  readonly missing: readonly MissingSigner[];
  /** Every verified signature, per signer (a signature may verify for several signers; it counts for one). */
  readonly verifiedBy: ReadonlyMap<string, readonly VerifiedSignature[]>;
  readonly rejected: readonly SignatureRejection[];
}

/** Which storage formats can hold a signature of each requirement kind: a record of another format is not tried. */
const FORMATS_BY_KIND: Readonly<Record<SignatureRequirement["kind"], readonly SignatureFormat[]>> = {
  key: ["cosign-legacy", "sigstore-bundle"],
  identity: ["cosign-legacy", "sigstore-bundle"],
  gpg: ["simple-signing", "swr-asc"],
  notation: ["notation"],
};

/**
 * Whether a kind's signatures name an image reference that the rule's signedIdentity can check: Notation payloads
 * sign only the digest (the trust policy's scope chose the signer), so signedIdentity is not applied to them.
 */
const SIGNS_REFERENCE: Readonly<Record<SignatureRequirement["kind"], boolean>> = { key: true, identity: true, gpg: true, notation: false };

/** Checks a rule's shape; throws POLICY_CONFIG_INVALID with the problem. */
export function checkSignersRule(rule: SignersRule, where: string): void {
  const problem = (message: string) => new SignetError("POLICY_CONFIG_INVALID", `${where}: ${message}`, { hint: "A signers rule lists named signers, a threshold from 1 to their number, and required signers by name." });
  if (rule.signers.length === 0) throw problem("no signers are listed");
  const names = new Set<string>();
  for (const signer of rule.signers) {
    if (signer.name === "") throw problem("a signer has an empty name");
    if (names.has(signer.name)) throw problem(`two signers are named ${JSON.stringify(signer.name)}`);
    names.add(signer.name);
  }
  if (!Number.isSafeInteger(rule.threshold) || rule.threshold < 1 || rule.threshold > rule.signers.length) {
    throw problem(`threshold ${rule.threshold} is not between 1 and the ${rule.signers.length} signers listed`);
  }
  const required = new Set<string>();
  for (const name of rule.required) {
    if (!names.has(name)) throw problem(`required signer ${JSON.stringify(name)} is not one of the signers (${[...names].map((n) => JSON.stringify(n)).join(", ")})`);
    if (required.has(name)) throw problem(`required signer ${JSON.stringify(name)} is listed twice`);
    required.add(name);
  }
}

/**
 * Verifies the records against every signer of the rule and counts distinct signers. Never throws a verdict:
 * `satisfied` says whether the threshold and every required signer are met; explainSigners turns a failure into
 * the error.
 */
export async function verifySigners(records: readonly UntrustedSignatureRecord[], rule: SignersRule, claims: SignedClaimsRule): Promise<SignersVerification> {
  const verifiedBy = new Map<string, VerifiedSignature[]>();
  const rejectionsOf = new Map<string, SignatureRejection[]>();
  const rejected: SignatureRejection[] = [];
  for (const signer of rule.signers) {
    const formats = FORMATS_BY_KIND[signer.requirement.kind];
    const usable = records.filter((record) => formats.includes(record.format));
    const { signedIdentity, ...withoutIdentity } = claims;
    const signerClaims = SIGNS_REFERENCE[signer.requirement.kind] || signedIdentity === undefined ? claims : withoutIdentity;
    const verification = await verifySignatureRecords({ records: usable, requirement: signer.requirement, claims: signerClaims });
    verifiedBy.set(signer.name, verification.verified);
    rejectionsOf.set(signer.name, verification.rejected);
    appendAll(rejected, verification.rejected);
  }

  // Each signer's candidate identities (several signatures by one key are one identity).
  const candidates = rule.signers.map((signer) => {
    const byIdentity = new Map<string, VerifiedSignature>();
    for (const signature of verifiedBy.get(signer.name)!) {
      const identity = signerIdentity(signature, signer.requirement);
      if (!byIdentity.has(identity)) byIdentity.set(identity, signature);
    }
    return byIdentity;
  });
  const owner = matchSignersToIdentities(candidates.map((byIdentity) => [...byIdentity.keys()]), rule.signers.map((signer) => rule.required.includes(signer.name)));
  const required = new Set(rule.required);
  const found: FoundSigner[] = [];
  const matched = new Set<number>();
  for (const [identity, index] of owner) {
    matched.add(index);
    const signer = rule.signers[index]!;
    found.push({ name: signer.name, identity, signature: candidates[index]!.get(identity)! });
  }
  found.sort((a, b) => indexOf(rule, a.name) - indexOf(rule, b.name));
  const missing: MissingSigner[] = [];
  for (const [index, signer] of rule.signers.entries()) {
    if (matched.has(index)) continue;
    missing.push({ name: signer.name, required: required.has(signer.name), ...whyMissing(signer, candidates[index]!, rejectionsOf.get(signer.name)!, found) });
  }
  const satisfied = found.length >= rule.threshold && missing.every((signer) => !signer.required);
  return { satisfied, threshold: rule.threshold, found, missing, verifiedBy, rejected };
}

/**
 * The one count of distinct signers: each signer (by index) may take one of its candidate identities, each identity
 * counts for one signer (a maximum bipartite matching, by augmenting paths). Required signers are matched first;
 * augmenting paths never unmatch a signer, so the matching is maximum and covers as many required signers as any
 * matching can. Returns identity -> signer index.
 */
export function matchSignersToIdentities(candidates: readonly (readonly string[])[], required: readonly boolean[]): Map<string, number> {
  const order = candidates.map((_, index) => index).sort((a, b) => Number(required[b] === true) - Number(required[a] === true));
  const owner = new Map<string, number>();
  const tryAssign = (index: number, seen: Set<string>): boolean => {
    for (const identity of candidates[index]!) {
      if (seen.has(identity)) continue;
      seen.add(identity);
      const current = owner.get(identity);
      if (current === undefined || tryAssign(current, seen)) {
        owner.set(identity, index);
        return true;
      }
    }
    return false;
  };
  for (const index of order) tryAssign(index, new Set());
  return owner;
}

/** The error for an unsatisfied rule (SIG_REQUIRED_SIGNER_MISSING before SIG_THRESHOLD_NOT_MET), naming who was found and who is missing. */
export function explainSigners(imageDigest: Digest, verification: SignersVerification, searched: readonly string[]): SignetError {
  const found = verification.found.map((signer) => `${signer.name} (${signer.identity})`);
  const missing = verification.missing.map((signer) => `${signer.name}${signer.required ? " [required]" : ""}: ${signer.reason}`);
  const foundText = found.length === 0 ? "no signer" : found.join(", ");
  const requiredMissing = verification.missing.filter((signer) => signer.required);
  const details = {
    imageDigest,
    threshold: verification.threshold,
    found: verification.found.map((signer) => ({ name: signer.name, identity: signer.identity, source: signer.signature.source, format: signer.signature.format })),
    missing: verification.missing.map(({ name, required, code, reason }) => ({ name, required, code, reason })),
    searched,
  };
  if (requiredMissing.length > 0) {
    const names = requiredMissing.map((signer) => JSON.stringify(signer.name)).join(", ");
    const first = requiredMissing[0]!;
    return new SignetError("SIG_REQUIRED_SIGNER_MISSING", `required signer${requiredMissing.length === 1 ? "" : "s"} ${names} did not sign ${imageDigest} (found: ${foundText}; missing: ${missing.join("; ")})`, {
      hint: `${first.name}: ${first.hint ?? "have this signer sign the image"}. A required signer is needed whatever the threshold.`,
      details,
    });
  }
  const best = mostTelling(verification.missing);
  return new SignetError(
    "SIG_THRESHOLD_NOT_MET",
    `${verification.found.length} of the ${verification.threshold} distinct signers required signed ${imageDigest} (found: ${foundText}; missing: ${missing.join("; ")})`,
    { hint: `Have ${verification.threshold - verification.found.length} more of the missing signers sign the image${best?.hint === undefined ? "" : `; ${best.name}: ${best.hint}`}.`, details },
  );
}

/** One line for an accepted rule: who counted. */
export function describeFoundSigners(verification: SignersVerification): string {
  return `${verification.found.length} distinct signer${verification.found.length === 1 ? "" : "s"} of the ${verification.threshold} required: ${verification.found.map((signer) => `${signer.name} (${signer.identity})`).join(", ")}`;
}

/** Who made a verified signature, as compared for distinctness. */
export function signerIdentity(signature: VerifiedSignature, requirement: SignatureRequirement): string {
  const signer = signature.signer;
  switch (signer.kind) {
    case "key": {
      const key = requirement.kind === "key" && signer.keyIndex !== undefined ? requirement.publicKeys[signer.keyIndex] : undefined;
      if (key === undefined) throw new SignetError("INTERNAL", "a key signature verified without naming its key");
      return `key sha256:${createHash("sha256").update(key.export({ type: "spki", format: "der" })).digest("hex")}`;
    }
    case "keyless":
      return `keyless ${JSON.stringify(signer.issuer ?? "")} ${JSON.stringify(signer.subject ?? "")}`;
    case "gpg":
      return `gpg ${signer.fingerprint}`;
    case "notation":
      return `notation ${JSON.stringify(signer.subject)}`;
  }
}

function whyMissing(
  signer: NamedSigner,
  candidates: ReadonlyMap<string, VerifiedSignature>,
  rejections: readonly SignatureRejection[],
  found: readonly FoundSigner[],
): Pick<MissingSigner, "code" | "reason" | "hint"> {
  if (candidates.size > 0) {
    const identity = [...candidates.keys()][0]!;
    const other = found.find((f) => f.identity === identity);
    return {
      code: "SIG_THRESHOLD_NOT_MET",
      reason: `signed only by ${identity}, which already counts as ${other === undefined ? "another signer" : JSON.stringify(other.name)}`,
      hint: `one key or identity counts for one signer only: ${signer.name} must sign with its own`,
    };
  }
  const best = mostTelling(rejections);
  if (best === undefined) return { code: "SIG_MISSING", reason: "no signature it could verify was found", hint: `sign the image as ${signer.name}${signer.description === undefined ? "" : ` (${signer.description})`}` };
  return { code: best.code, reason: best.reason, ...(best.hint === undefined ? {} : { hint: best.hint }) };
}

function indexOf(rule: SignersRule, name: string): number {
  return rule.signers.findIndex((signer) => signer.name === name);
}
