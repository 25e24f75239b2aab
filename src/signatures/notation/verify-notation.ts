/**
 * Verifies one Notation signature against one trust policy statement, exactly in the specification's order
 * (notaryproject/specifications, trust-store-trust-policy.md, "Signature verification"): integrity,
 * authenticity (the chain reaches a certificate of the statement's trust stores, the signer is a trusted
 * identity), expiry, authentic timestamp, revocation. Each check is enforced, logged or skipped as the
 * statement's level and overrides say. Pure: the trust stores, the time and the envelope are given.
 */
import { verify as verifySignature, type KeyObject } from "node:crypto";
import { SignetError, type ErrorCode } from "../../errors/index.js";
import { appendAll } from "../../internal/arrays.js";
import { OID } from "../../internal/oids.js";
import { Certificate, CertificateError } from "../../trust/x509.js";
import { distinguishedNameOfSubject, formatDistinguishedName, goSubject, isSubsetName } from "./distinguished-name.js";
import type { NotationEnvelope } from "./envelope.js";
import type { NotationAlgorithm } from "./media-types.js";
import { parseNotationPayload, type TargetArtifact } from "./payload.js";
import { NotationTimestampError, verifyNotationTimestamp, type TimestampRange } from "./timestamp.js";
import type { CertificateRevocation } from "./revocation.js";
import type { CheckAction, CheckName, TrustPolicyStatement, TrustStoreType } from "./trust-policy.js";

export interface NotationTrustStores {
  /** Certificates of the named store (`ca:NAME`, `signingAuthority:NAME`, `tsa:NAME`); absent when it does not exist. */
  certificates(type: TrustStoreType, name: string): readonly Certificate[] | undefined;
}

export interface SubjectDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export interface CheckOutcome {
  readonly check: CheckName;
  readonly action: CheckAction;
  /** Undefined when the check was skipped. */
  readonly passed: boolean | undefined;
  readonly message?: string;
  readonly code?: ErrorCode;
}

export interface NotationVerification {
  readonly verified: boolean;
  readonly outcomes: readonly CheckOutcome[];
  /** Failures of checks whose action is `log`: the signature is accepted, the failure is reported. */
  readonly warnings: readonly string[];
  readonly target: TargetArtifact | undefined;
  readonly signer: string | undefined;
  readonly signingTime: Date | undefined;
  readonly statement: string;
  /** The signature's certificate chain, when integrity held (revocation is fetched for it). */
  readonly chain?: readonly Certificate[];
}

export interface VerifyNotationOptions {
  readonly statement: TrustPolicyStatement;
  readonly trustStores: NotationTrustStores;
  /** What the signature must be for: the signed manifest's descriptor. */
  readonly subject: SubjectDescriptor;
  readonly now: Date;
  /**
   * The revocation state of each chain certificate, fetched beforehand (revocation.ts). Without it, a chain
   * that names a CRL or an OCSP responder has an unknown status.
   */
  readonly revocation?: readonly CertificateRevocation[];
}

class CheckFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function fail(code: ErrorCode, message: string): never {
  throw new CheckFailure(code, message);
}

const HASHES: Record<NotationAlgorithm, string> = { PS256: "sha256", PS384: "sha384", PS512: "sha512", ES256: "sha256", ES384: "sha384", ES512: "sha512" };
const CURVES: Record<string, string> = { ES256: "prime256v1", ES384: "secp384r1", ES512: "secp521r1" };
const SALT_LENGTHS: Record<string, number> = { sha256: 32, sha384: 48, sha512: 64 };
const KEY_USAGE_DIGITAL_SIGNATURE = 0;
const KEY_USAGE_CERT_SIGN = 5;

/** Go's time.RFC1123Z, which notation's messages use: "Fri, 29 Jul 2022 23:59:00 +0000". */
export function formatNotationTime(time: Date): string {
  return time.toUTCString().replace(/GMT$/, "+0000");
}

function signatureVerifies(algorithm: NotationAlgorithm, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  const hash = HASHES[algorithm];
  if (algorithm.startsWith("ES")) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (key.asymmetricKeyType !== "ec" || curve !== CURVES[algorithm]) fail("NOTATION_INTEGRITY", `the signing key does not match the signature algorithm ${algorithm}`);
    return verifySignature(hash, data, { key, dsaEncoding: "ieee-p1363" }, signature);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== "rsa" || bits < 2048) fail("NOTATION_INTEGRITY", `the signing key does not match the signature algorithm ${algorithm} (RSA of 2048 bits or more)`);
  return verifySignature(hash, data, { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: SALT_LENGTHS[hash]! }, signature);
}

const subjectOf = goSubject;

/** The chain as notation-core-go's ValidateCodeSigningCertChain requires it: leaf to a self-signed root. */
function checkChainShape(chain: readonly Certificate[]): void {
  const leaf = chain[0]!;
  const usage = leaf.keyUsage;
  if (usage !== undefined && !usage.has(KEY_USAGE_DIGITAL_SIGNATURE)) fail("NOTATION_INTEGRITY", `the signing certificate "${subjectOf(leaf)}" is not allowed to sign (key usage lacks digitalSignature)`);
  const eku = leaf.extendedKeyUsage;
  if (eku !== undefined && !eku.includes(OID.CODE_SIGNING)) fail("NOTATION_INTEGRITY", `the signing certificate "${subjectOf(leaf)}" is not for code signing (its extended key usage lacks codeSigning)`);
  if (chain.length > 1 && leaf.isCA) fail("NOTATION_INTEGRITY", `the signing certificate "${subjectOf(leaf)}" is a CA certificate`);
  for (let index = 0; index + 1 < chain.length; index++) {
    const child = chain[index]!;
    const parent = chain[index + 1]!;
    if (!parent.isCA || (parent.keyUsage !== undefined && !parent.keyUsage.has(KEY_USAGE_CERT_SIGN))) fail("NOTATION_INTEGRITY", `certificate "${subjectOf(parent)}" of the chain is not a CA allowed to sign certificates`);
    if (!child.isIssuedBy(parent)) fail("NOTATION_INTEGRITY", `certificate "${subjectOf(child)}" is not issued by "${subjectOf(parent)}": the certificate chain is broken`);
    // RFC 5280 §4.2.1.9: a CA allows at most pathLength intermediate CAs below it (here: index of them).
    const pathLength = parent.basicConstraints?.pathLength;
    if (pathLength !== undefined && index > pathLength) fail("NOTATION_INTEGRITY", `certificate "${subjectOf(parent)}" allows ${pathLength} intermediate CAs below it, the chain has ${index}`);
  }
  const root = chain[chain.length - 1]!;
  if (!root.isIssuedBy(root)) fail("NOTATION_INTEGRITY", `the last certificate of the chain, "${subjectOf(root)}", is not a self-signed root`);
}

function checkIntegrity(envelope: NotationEnvelope, subject: SubjectDescriptor): { chain: Certificate[]; target: TargetArtifact } {
  if (envelope.verificationPlugin !== undefined) fail("NOTATION_INTEGRITY", `the signature requires the verification plugin "${envelope.verificationPlugin}", which signet does not run`);
  if (envelope.unknownCritical.length > 0) fail("NOTATION_INTEGRITY", `the signature has critical attributes signet does not understand: ${envelope.unknownCritical.join(", ")}`);
  let chain: Certificate[];
  try {
    chain = envelope.certificateChain.map((der) => Certificate.parse(der));
  } catch (error) {
    if (error instanceof CertificateError) fail("NOTATION_INTEGRITY", `the signature's certificate chain is malformed: ${error.message}`);
    throw error;
  }
  if (!signatureVerifies(envelope.algorithm, chain[0]!.publicKey, envelope.signedBytes, envelope.signature)) fail("NOTATION_INTEGRITY", "signature is invalid: it does not verify with the signing certificate's key");
  checkChainShape(chain);
  const target = parseNotationPayload(envelope.payload);
  if (target.digest !== subject.digest || target.size !== subject.size || target.mediaType !== subject.mediaType) {
    fail("NOTATION_INTEGRITY", `the signature is for ${target.digest} (${target.mediaType}, ${target.size} bytes), not for the artifact ${subject.digest} (${subject.mediaType}, ${subject.size} bytes)`);
  }
  return { chain, target };
}

function checkAuthenticity(envelope: NotationEnvelope, chain: readonly Certificate[], options: VerifyNotationOptions): void {
  const { statement, trustStores } = options;
  const type: TrustStoreType = envelope.signingScheme === "notary.x509" ? "ca" : "signingAuthority";
  const names = statement.trustStores.filter((store) => store.type === type);
  if (names.length === 0) fail("NOTATION_AUTHENTICITY", `trust policy statement "${statement.name}" has no trust store of type "${type}", which the signing scheme ${envelope.signingScheme} needs`);
  const trusted: Certificate[] = [];
  for (const store of names) {
    const certificates = trustStores.certificates(store.type, store.name);
    if (certificates === undefined) fail("NOTATION_TRUST_STORE_INVALID", `the trust store "${store.name}" of type "${store.type}" does not exist`);
    appendAll(trusted, certificates);
  }
  if (!chain.some((certificate) => trusted.some((candidate) => candidate.equals(certificate)))) {
    fail("NOTATION_AUTHENTICITY", "the signature's certificate chain does not contain any trusted certificate");
  }
  if (statement.trustedIdentities === "*") return;
  const leaf = distinguishedNameOfSubject(chain[0]!.subject);
  const leafText = subjectOf(chain[0]!);
  if (!statement.trustedIdentities.some((identity) => isSubsetName(identity, leaf))) {
    const identities = statement.trustedIdentities.map((identity) => `"x509.subject:${formatDistinguishedName(identity)}"`).join(", ");
    fail("NOTATION_UNTRUSTED_IDENTITY", `signing certificate from the digital signature ("${leafText}") does not match the X.509 trusted identities [${identities}] defined in the trust policy "${statement.name}"`);
  }
}

function checkExpiry(envelope: NotationEnvelope, now: Date): void {
  if (envelope.expiry !== undefined && now.getTime() > envelope.expiry.getTime()) fail("NOTATION_EXPIRED", `digital signature has expired on "${formatNotationTime(envelope.expiry)}"`);
}

function checkAuthenticTimestamp(envelope: NotationEnvelope, chain: readonly Certificate[], options: VerifyNotationOptions): void {
  if (envelope.signingScheme === "notary.x509.signingAuthority") {
    const time = envelope.signingTime;
    for (const certificate of chain) {
      if (!certificate.isValidAt(time)) fail("NOTATION_AUTHENTIC_TIMESTAMP", `the authentic signing time "${formatNotationTime(time)}" is outside certificate "${subjectOf(certificate)}" validity period (${formatNotationTime(certificate.notBefore)} to ${formatNotationTime(certificate.notAfter)})`);
    }
    return;
  }
  // notary.x509 (notation-go's verifyTimestamp): with a tsa store in the statement, a countersignature is
  // required (always, or once the chain has expired with afterCertExpiry) and bounds the signing time;
  // otherwise the chain must be valid now.
  const now = options.now;
  const tsaStores = options.statement.trustStores.filter((store) => store.type === "tsa");
  const expired = chain.some((certificate) => now.getTime() > certificate.notAfter.getTime());
  const useTimestamp = tsaStores.length > 0 && (options.statement.verifyTimestamp === "always" || expired);
  if (!useTimestamp) {
    for (const certificate of chain) {
      if (now.getTime() < certificate.notBefore.getTime()) fail("NOTATION_AUTHENTIC_TIMESTAMP", `verification time is before certificate "${subjectOf(certificate)}" validity period, it will be valid from "${formatNotationTime(certificate.notBefore)}"`);
      if (now.getTime() > certificate.notAfter.getTime()) fail("NOTATION_AUTHENTIC_TIMESTAMP", `verification time is after certificate "${subjectOf(certificate)}" validity period, it was expired at "${formatNotationTime(certificate.notAfter)}"`);
    }
    return;
  }
  if (envelope.timestampSignature === undefined) fail("NOTATION_AUTHENTIC_TIMESTAMP", "no timestamp countersignature was found in the signature envelope");
  const roots: Certificate[] = [];
  for (const store of tsaStores) {
    const certificates = options.trustStores.certificates(store.type, store.name);
    if (certificates === undefined) fail("NOTATION_TRUST_STORE_INVALID", `the trust store "${store.name}" of type "tsa" does not exist`);
    appendAll(roots, certificates);
  }
  let range: TimestampRange;
  try {
    range = verifyNotationTimestamp(envelope.timestampSignature, envelope.signature, roots);
  } catch (error) {
    if (error instanceof NotationTimestampError) fail("NOTATION_AUTHENTIC_TIMESTAMP", error.message);
    throw error;
  }
  for (const certificate of chain) {
    if (range.earliest.getTime() < certificate.notBefore.getTime()) fail("NOTATION_AUTHENTIC_TIMESTAMP", `timestamp can be before certificate "${subjectOf(certificate)}" validity period, it will be valid from "${formatNotationTime(certificate.notBefore)}"`);
    if (range.latest.getTime() > certificate.notAfter.getTime()) fail("NOTATION_AUTHENTIC_TIMESTAMP", `timestamp can be after certificate "${subjectOf(certificate)}" validity period, it was expired at "${formatNotationTime(certificate.notAfter)}"`);
  }
}


function checkRevocation(chain: readonly Certificate[], results: readonly CertificateRevocation[] | undefined): void {
  if (results === undefined) {
    // Certificates that name no CRL or OCSP responder cannot be revoked (the specification's "non-revokable").
    const revocable = chain.find((certificate) => certificate.extension(OID.CRL_DISTRIBUTION_POINTS) !== undefined || certificate.extension(OID.AUTHORITY_INFO_ACCESS) !== undefined);
    if (revocable !== undefined) fail("NOTATION_REVOCATION_UNKNOWN", `the revocation status of certificate "${subjectOf(revocable)}" was not checked`);
    return;
  }
  const revoked = chain.findIndex((_, index) => results[index]?.state === "revoked");
  if (revoked >= 0) fail("NOTATION_REVOKED", `signing certificate with subject "${subjectOf(chain[revoked]!)}" is revoked: ${results[revoked]!.reason}`);
  const unknown = chain.findIndex((_, index) => results[index] === undefined || results[index]!.state === "unknown");
  if (unknown >= 0) fail("NOTATION_REVOCATION_UNKNOWN", `signing certificate with subject "${subjectOf(chain[unknown]!)}" revocation status is unknown: ${results[unknown]?.reason ?? "not checked"}`);
}

/** Runs one check as the statement says (enforce, log or skip): its outcome, and a warning when logged. */
function runCheck(check: CheckName, action: CheckAction, body: () => void): { outcome: CheckOutcome; warning?: string } {
  if (action === "skip") return { outcome: { check, action, passed: undefined } };
  try {
    body();
    return { outcome: { check, action, passed: true } };
  } catch (error) {
    if (!(error instanceof CheckFailure) && !SignetError.is(error)) throw error;
    const code = (error as CheckFailure | SignetError).code;
    const outcome: CheckOutcome = { check, action, passed: false, message: error.message, code };
    return action === "enforce" ? { outcome } : { outcome, warning: `${check} validation failed: ${error.message}` };
  }
}

/**
 * Completes a verification made with revocation skipped (`statement.actions.revocation` then "skip"), once
 * the chain's revocation state has been fetched: the other checks are not run again.
 */
export function withRevocation(result: NotationVerification, statement: TrustPolicyStatement, revocation: readonly CertificateRevocation[]): NotationVerification {
  if (!result.verified || result.chain === undefined) return result;
  const chain = result.chain;
  const { outcome, warning } = runCheck("revocation", statement.actions.revocation, () => checkRevocation(chain, revocation));
  const outcomes = result.outcomes.map((existing) => (existing.check === "revocation" ? outcome : existing));
  const enforcedFailure = outcome.passed === false && outcome.action === "enforce";
  return { ...result, verified: !enforcedFailure, outcomes, warnings: warning === undefined ? result.warnings : [...result.warnings, warning] };
}

export function verifyNotationSignature(envelope: NotationEnvelope | (() => NotationEnvelope), options: VerifyNotationOptions): NotationVerification {
  const { statement } = options;
  const outcomes: CheckOutcome[] = [];
  const warnings: string[] = [];
  let verified = true;
  const run = (check: CheckName, body: () => void): boolean => {
    const { outcome, warning } = runCheck(check, statement.actions[check], body);
    outcomes.push(outcome);
    if (warning !== undefined) warnings.push(warning);
    if (outcome.passed === false && outcome.action === "enforce") verified = false;
    return !(outcome.passed === false && outcome.action === "enforce");
  };
  if (statement.level === "skip") {
    return { verified: true, outcomes: [], warnings: [`trust policy statement "${statement.name}" skips signature verification`], target: undefined, signer: undefined, signingTime: undefined, statement: statement.name };
  }
  let parsed: NotationEnvelope | undefined;
  let integrity: { chain: Certificate[]; target: TargetArtifact } | undefined;
  const intact = run("integrity", () => {
    parsed = typeof envelope === "function" ? envelope() : envelope;
    integrity = checkIntegrity(parsed, options.subject);
  });
  if (!intact || parsed === undefined || integrity === undefined) {
    return { verified: false, outcomes, warnings, target: undefined, signer: undefined, signingTime: undefined, statement: statement.name };
  }
  const { chain, target } = integrity;
  const signed = parsed;
  const steps: [CheckName, () => void][] = [
    ["authenticity", () => checkAuthenticity(signed, chain, options)],
    ["expiry", () => checkExpiry(signed, options.now)],
    ["authenticTimestamp", () => checkAuthenticTimestamp(signed, chain, options)],
    ["revocation", () => checkRevocation(chain, options.revocation)],
  ];
  for (const [check, body] of steps) if (!run(check, body)) break;
  return { verified, outcomes, warnings, target, signer: subjectOf(chain[0]!), signingTime: signed.signingTime, statement: statement.name, chain };
}

/** The error for a signature that did not verify: the first enforced failure, with its code. */
export function notationFailure(result: NotationVerification): SignetError {
  const failed = result.outcomes.find((outcome) => outcome.passed === false && outcome.action === "enforce");
  const code = failed?.code ?? "NOTATION_INTEGRITY";
  return new SignetError(code, `${failed?.check ?? "integrity"} validation failed: ${failed?.message ?? "the signature did not verify"}`, {
    details: { statement: result.statement, outcomes: result.outcomes },
  });
}
