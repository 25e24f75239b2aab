/**
 * Verifies a sigstore bundle (v0.1 to v0.3) against trust material and a signer policy. Pure: no I/O.
 *
 * The steps, all of which run (none returns success early, security case A.2):
 *  1. parse the bundle strictly;
 *  2. bind the artifact (message digest, in-toto subject), check the signature over it (or the DSSE PAE);
 *  3. prove each log entry is in a log of the trust material (SET and/or inclusion proof + checkpoint) and that
 *     its body records this signature, this key or certificate and this digest (A.1);
 *  4. collect verified times: SET integrated times and RFC 3161 timestamps (an unsigned time counts for nothing);
 *  5. check the certificate chain to a trusted Fulcio CA at every verified time (A.9), and its SCT;
 *  6. check the identity policy (or that the key is the policy's key).
 */
import { createHash, type KeyObject } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import type { EntryVerifier } from "../../transparency/entry-body.js";
import type { UntrustedTlogEntry } from "../../transparency/tlog-entry.js";
import { verifyTlogInclusion, type VerifiedInclusion } from "../../transparency/verify-inclusion.js";
import { verifyCertificateChainAt, type VerifiedChain } from "../../trust/certificate-chain.js";
import { SctError, verifyEmbeddedScts } from "../../trust/sct.js";
import { verifyRfc3161Timestamp } from "../../trust/timestamp-authority.js";
import { isWithinPeriod, type TrustMaterial } from "../../trust/trust-material.js";
import type { Certificate } from "../../trust/x509.js";
import { bindArtifact } from "./artifact-binding.js";
import { certificateIdentityOf } from "./certificate-identity.js";
import { compileIdentityPolicy, matchIdentity, signerSubjectOf, type CompiledIdentityPolicy } from "./identity-match.js";
import { matchEntryBody } from "./match-entry.js";
import { parseBundle, type UntrustedBundle } from "./parse-bundle.js";
import type { SignerPolicy } from "./policy.js";
import { toSignedContent, type ArtifactInput } from "./signed-content.js";
import type { VerifiedBundle, VerifiedSigner, VerifiedTimestamp, VerifiedTlogEntry } from "./verified-bundle.js";

export type { ArtifactInput } from "./signed-content.js";

export interface VerifyBundleOptions {
  /** Require a verified transparency log entry (default true). */
  readonly requireTlog?: boolean;
  /**
   * How many verified times from distinct authorities (a log's SET, a TSA's timestamp) are required. Default 1;
   * a certificate always needs at least 1, a key-signed bundle without a log may set 0.
   */
  readonly requireTimestamps?: number;
  /** Require an SCT from a CT log of the trust material (default: whenever it lists CT logs). */
  readonly requireSct?: boolean;
  /** The verifier's clock (default: now); only used to refuse log times in the future. */
  readonly now?: Date;
  /**
   * cosign's reading when no log entry is required and none or no timestamp verified: a signing certificate is
   * checked at this time (cosign: now) instead of being refused for want of a verified time. Only for a waived
   * log (`--insecure-ignore-tlog`) with a user-given PKI; a verified time, when there is one, is always used.
   */
  readonly certificateTimeWithoutTimestamp?: Date;
}

export function verifySigstoreBundle(untrustedBundle: unknown, artifact: ArtifactInput, policy: SignerPolicy, trust: TrustMaterial, options: VerifyBundleOptions = {}): VerifiedBundle {
  return verifyParsedBundle(parseBundle(untrustedBundle), artifact, policy, trust, options);
}

export function verifyParsedBundle(bundle: UntrustedBundle, artifact: ArtifactInput, policy: SignerPolicy, trust: TrustMaterial, options: VerifyBundleOptions = {}): VerifiedBundle {
  const now = options.now ?? new Date();
  const compiledIdentity = policy.kind === "identity" ? compileIdentityPolicy(policy) : undefined;
  const signingKey = bundle.signingKey;
  const publicKey = signingKeyFor(bundle, policy);

  // 2. The artifact binding, and the signature over it.
  const signed = toSignedContent(bundle.content, artifact);
  const artifactDigest = bindArtifact(bundle.content, signed, artifact);
  if (!signed.verifySignature(publicKey)) {
    throw new SignetError("SIG_INVALID", `the bundle's signature does not verify with the ${policy.kind === "key" ? "given key" : "certificate's key"} over the ${bundle.content.type === "dsseEnvelope" ? "DSSE envelope" : "artifact"}`, {
      hint: policy.kind === "key" ? "The bundle was signed with another key, or the artifact was changed." : "The artifact or the bundle was changed after signing.",
    });
  }

  // 3. Log entries: in a trusted log, and about this signature.
  const spki = signingKey.type === "certificate" ? signingKey.certificate.spki : publicKey.export({ format: "der", type: "spki" });
  const signer: EntryVerifier = signingKey.type === "certificate" ? { type: "certificate", der: signingKey.certificate.der } : { type: "publicKey", spki };
  const inclusions = bundle.tlogEntries.map((entry) => {
    const inclusion = verifyTlogInclusion(entry, trust.tlogs, { now });
    matchEntryBody(entry, bundle.content, signed, signer);
    return { entry, inclusion };
  });
  if ((options.requireTlog ?? true) && inclusions.length === 0) {
    throw new SignetError("TLOG_ENTRY_MISSING", "the bundle has no transparency log entry");
  }

  // 4. Verified times.
  const untimed = options.requireTlog === false ? options.certificateTimeWithoutTimestamp : undefined;
  const required = signingKey.type === "certificate" && untimed !== undefined ? (options.requireTimestamps ?? 0) : Math.max(options.requireTimestamps ?? 1, signingKey.type === "certificate" ? 1 : 0);
  const timestamps = verifiedTimes(inclusions.map((i) => i.inclusion), bundle.rfc3161Timestamps, signed.signature, trust, required);
  checkCheckpointLogs(inclusions.map((i) => i.inclusion), timestamps, now);

  // 5, 6. The signer: certificate chain, SCT and identity, or the policy's key.
  const publicKeyId = createHash("sha256").update(spki).digest("hex");
  const verifiedSigner =
    signingKey.type === "certificate"
      ? verifyCertificateSigner(signingKey.certificate, signingKey.intermediates, timestamps.length > 0 ? timestamps.map((t) => t.time) : [untimed!], trust, compiledIdentity!, options.requireSct ?? trust.ctlogs.length > 0, publicKeyId)
      : { publicKeyId, extensions: {} };

  return {
    mediaType: bundle.mediaType,
    signer: verifiedSigner,
    timestamps,
    tlogEntries: inclusions.map(({ entry, inclusion }) => toVerifiedEntry(entry, inclusion)),
    contentKind: bundle.content.type,
    ...(bundle.content.type === "dsseEnvelope" ? { payloadType: bundle.content.payloadType, payload: bundle.content.payload } : {}),
    artifactDigest,
  };
}

/** The key the signature must verify with: the certificate's, or the policy's; the two kinds never mix. */
function signingKeyFor(bundle: UntrustedBundle, policy: SignerPolicy): KeyObject {
  const signingKey = bundle.signingKey;
  if (policy.kind === "key") {
    if (signingKey.type === "certificate") {
      throw new SignetError("SIG_INVALID", "the bundle is signed with a certificate, not with a key", { hint: "Verify it with --certificate-identity and --certificate-oidc-issuer instead of --key." });
    }
    return policy.publicKey;
  }
  if (signingKey.type === "publicKey") {
    throw new SignetError("CERT_IDENTITY_MISMATCH", "the bundle is signed with a key, not with a certificate naming an identity", { hint: "Verify it with --key and the signer's public key." });
  }
  return certificateKey(signingKey.certificate);
}

/**
 * The verified times: SET integrated times and RFC 3161 timestamps, with the distinct authorities behind them
 * counted against `required` (two entries of one log, one log key listed under two ids, or two tokens of one
 * TSA are one source, A.10). A timestamp from an authority the trust material does not list proves nothing
 * and counts for nothing, but is no reason to reject (as in sigstore-go); the count of verified ones decides.
 */
function verifiedTimes(inclusions: readonly VerifiedInclusion[], rfc3161Timestamps: readonly Buffer[], signature: Buffer, trust: TrustMaterial, required: number): VerifiedTimestamp[] {
  const timestamps: VerifiedTimestamp[] = [];
  const logKeys: KeyObject[] = [];
  const tsaKeys = new Set<string>();
  for (const inclusion of inclusions) {
    if (inclusion.integratedTime === undefined) continue;
    timestamps.push({ kind: "tlog", time: inclusion.integratedTime, authority: inclusion.log.baseURL });
    if (!logKeys.some((key) => key.equals(inclusion.log.publicKey))) logKeys.push(inclusion.log.publicKey);
  }
  const seen = new Set<string>();
  const unverified: string[] = [];
  for (const der of rfc3161Timestamps) {
    const key = der.toString("base64");
    if (seen.has(key)) throw new SignetError("TIMESTAMP_INVALID", "the bundle repeats an RFC 3161 timestamp");
    seen.add(key);
    try {
      const verified = verifyRfc3161Timestamp(der, signature, trust.timestampAuthorities);
      timestamps.push({ kind: "tsa", time: verified.time, authority: verified.authority.name });
      tsaKeys.add(verified.authority.certChain[0]!.publicKeyId);
    } catch (error) {
      if (!SignetError.is(error) || error.code !== "TIMESTAMP_INVALID") throw error;
      unverified.push(error.message);
    }
  }
  const sources = logKeys.length + tsaKeys.size;
  if (sources < required) {
    const why = unverified.length === 0 ? "" : `; ${unverified.length} RFC 3161 timestamp${unverified.length === 1 ? " does" : "s do"} not verify: ${unverified[0]}`;
    throw new SignetError("TIMESTAMP_INVALID", `the bundle has ${sources} verified time source${sources === 1 ? "" : "s"} (a log's signed entry timestamp or an RFC 3161 timestamp), ${required} required${why}`, {
      details: { verified: sources, required, unverified },
    });
  }
  return timestamps;
}

/** A log known only by its checkpoint (no SET) must have been trusted when the signature was made. */
function checkCheckpointLogs(inclusions: readonly VerifiedInclusion[], timestamps: readonly VerifiedTimestamp[], now: Date): void {
  const times = timestamps.length > 0 ? timestamps.map((t) => t.time) : [now];
  for (const inclusion of inclusions) {
    if (inclusion.integratedTime !== undefined) continue;
    if (!times.every((time) => isWithinPeriod(inclusion.log.validFor, time))) {
      throw new SignetError("TLOG_PROOF_INVALID", `the log ${inclusion.log.baseURL} was not trusted at the signing time`, { details: { validFor: periodText(inclusion.log.validFor) } });
    }
  }
}

/** The certificate chains to a trusted CA at every verified time (A.9), carries a valid SCT, names the identity. */
function verifyCertificateSigner(
  certificate: Certificate,
  intermediates: readonly Certificate[],
  times: readonly Date[],
  trust: TrustMaterial,
  identityPolicy: CompiledIdentityPolicy,
  requireSct: boolean,
  publicKeyId: string,
): VerifiedSigner {
  let chain: VerifiedChain | undefined;
  for (const time of times) chain = verifyCertificateChainAt(certificate, time, trust.certificateAuthorities, { intermediates });
  if (requireSct) verifySct(certificate, chain!.path[1]!, trust);
  const identity = certificateIdentityOf(certificate);
  matchIdentity(identityPolicy, identity);
  const subject = signerSubjectOf(identity);
  return {
    ...(subject === undefined ? {} : { subject: subject.value }),
    ...(identity.extensions.issuer === undefined ? {} : { issuer: identity.extensions.issuer }),
    publicKeyId,
    extensions: identity.extensions,
    certificatePem: certificate.toPem(),
    identity,
  };
}

function certificateKey(certificate: Certificate): KeyObject {
  try {
    return certificate.publicKey;
  } catch (error) {
    throw new SignetError("CERT_CHAIN_INVALID", `the signing certificate's public key cannot be read: ${(error as Error).message}`);
  }
}

function verifySct(leaf: Certificate, issuer: Certificate, trust: TrustMaterial): void {
  let logs: Buffer[];
  try {
    logs = verifyEmbeddedScts(leaf, issuer, trust.ctlogs);
  } catch (error) {
    if (error instanceof SctError) throw new SignetError("SCT_INVALID", `the signing certificate's SCT is invalid: ${error.message}`);
    throw error;
  }
  if (logs.length === 0) throw new SignetError("SCT_INVALID", "the signing certificate has no SCT, so no CT log of the trusted root vouches for it");
}

function toVerifiedEntry(entry: UntrustedTlogEntry, inclusion: VerifiedInclusion): VerifiedTlogEntry {
  return {
    log: inclusion.log.baseURL,
    logId: entry.logID.toString("hex"),
    logIndex: entry.logIndex.toString(),
    kind: entry.kind,
    version: entry.version,
    ...(inclusion.integratedTime === undefined ? {} : { integratedTime: inclusion.integratedTime }),
    inclusion: { promise: inclusion.promise, proof: inclusion.proof },
  };
}

function periodText(period: { start: Date; end: Date }): string {
  return `${period.start.toISOString()} .. ${period.end.getTime() >= 8_640_000_000_000_000 ? "(no end)" : period.end.toISOString()}`;
}
