/**
 * The one verifier of an image signature record (pure: no I/O). Whatever the format, the checks run in the same
 * order and each rejection keeps its code:
 *   1. the record is an image signature at all (else it is ignored, as upstream ignores other attachments);
 *   2. the signer: the signature over the exact signed bytes verifies with the requirement's trust (key, keyless
 *      identity with certificate chain, SCT and log entry, GPG keyring);
 *   3. the signed payload is well formed (one parser per payload format);
 *   4. it names this image's manifest digest (a copied or stale signature names another);
 *   5. the required annotations;
 *   6. the signed reference, when a signedIdentity rule is given (policy.json).
 */
import { SignetError, type ErrorCode } from "../../errors/index.js";
import { digestAlgorithm, digestHex, isDigest, type Digest } from "../../internal/digest.js";
import { MediaType } from "../../oci/manifest/media-types.js";
import { COSIGN_SIGN_PREDICATE_TYPE } from "../attestation/predicate-types.js";
import { BundleAnnotation } from "../bundle-oci/media-types.js";
import { isKeyOnly, verifyKeyOnlySigner } from "../cosign/key-signer.js";
import { CosignAnnotation } from "../cosign/signature-manifest.js";
import { COSIGN_SIGNATURE_TYPE, parseSimpleSigningPayload } from "../payload/simple-signing.js";
import { ATOMIC_SIGNATURE_TYPE, parseAtomicPayload } from "../simplesigning/payload.js";
import type { SignatureRejection, SignatureRequirement, SignedClaimsRule, UntrustedSignatureRecord, VerifiedSignature, VerifiedSigner } from "./records.js";

export type RecordVerdict =
  | { readonly verdict: "verified"; readonly signature: VerifiedSignature }
  | { readonly verdict: "rejected"; readonly rejection: SignatureRejection }
  | { readonly verdict: "ignored"; readonly reason: string };

/**
 * Verifies one record against one requirement and the claims rule. Never throws a SignetError: it is the verdict.
 * Pure; the certificate, log, bundle and OpenPGP code is loaded on first use only (a key-only verify of `.sig`
 * layers loads none of it).
 */
export async function verifySignatureRecord(record: UntrustedSignatureRecord, requirement: SignatureRequirement, claims: SignedClaimsRule): Promise<RecordVerdict> {
  try {
    switch (record.format) {
      case "cosign-legacy":
        return await verifyCosignLayer(record, requirement, claims);
      case "sigstore-bundle":
        return await verifyBundle(record, requirement, claims);
      case "simple-signing":
        return await verifySimpleSigning(record, requirement, claims);
      case "notation":
        return await verifyNotation(record, requirement, claims);
    }
  } catch (error) {
    if (error instanceof Rejected) return { verdict: "rejected", rejection: error.rejection };
    if (!SignetError.is(error)) throw error;
    return { verdict: "rejected", rejection: { format: record.format, source: record.source, code: error.code, reason: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }) } };
  }
}

/** A rejection after the signer verified: it keeps who signed and what they claimed. */
class Rejected extends Error {
  constructor(readonly rejection: SignatureRejection) {
    super(rejection.reason);
  }
}

async function verifyCosignLayer(record: Extract<UntrustedSignatureRecord, { format: "cosign-legacy" }>, requirement: SignatureRequirement, claims: SignedClaimsRule): Promise<RecordVerdict> {
  const layer = record.layer;
  if (layer.mediaType !== MediaType.CosignSimpleSigning) {
    // containers/image and cosign's own listing skip attachments of other types: they are not signatures.
    return { verdict: "ignored", reason: `not a signature: the layer's media type is ${JSON.stringify(layer.mediaType.slice(0, 100))}` };
  }
  if (requirement.kind === "gpg") throw new SignetError("SIG_INVALID", "a cosign signature cannot satisfy a GPG keyring requirement");
  if (requirement.kind === "notation") throw new SignetError("SIG_INVALID", "a cosign signature cannot satisfy a Notation trust policy");
  const signatureBase64 = layer.untrustedAnnotations[CosignAnnotation.signature] ?? layer.untrustedSignatureBase64;
  if (signatureBase64 === undefined || signatureBase64 === "") throw new SignetError("SIG_INVALID", `the layer has no ${CosignAnnotation.signature} annotation`);
  const material = { signedBytes: layer.untrustedPayload, signatureBase64, untrustedAnnotations: layer.untrustedAnnotations };
  const signer = isKeyOnly(requirement) ? verifyKeyOnlySigner(requirement, material) : (await import("../cosign/keyless.js")).verifyLegacySigner(requirement, material);
  // From here the payload is authentic; now check that it says what we need.
  const payload = afterSigner(record, signer, () => parseSimpleSigningPayload(layer.untrustedPayload));
  const signedDigest = payload.critical.image["docker-manifest-digest"];
  const signedReference = payload.critical.identity["docker-reference"];
  checkClaims(record, signer, claims, { signedDigest, signedReference, annotations: payload.optional ?? {} });
  const identityMatch = checkSignedIdentity(record, signer, claims, signedDigest, signedReference);
  return { verdict: "verified", signature: { format: record.format, source: record.source, payload, signer, ...(identityMatch === undefined ? {} : { identityMatch }) } };
}

async function verifyBundle(record: Extract<UntrustedSignatureRecord, { format: "sigstore-bundle" }>, requirement: SignatureRequirement, claims: SignedClaimsRule): Promise<RecordVerdict> {
  const hinted = record.untrustedAnnotations[BundleAnnotation.predicateType];
  if (hinted !== undefined && hinted !== COSIGN_SIGN_PREDICATE_TYPE) return { verdict: "ignored", reason: `an attestation of type ${hinted.slice(0, 200)}, not an image signature` };
  if (requirement.kind === "gpg") throw new SignetError("SIG_INVALID", "a sigstore bundle cannot satisfy a GPG keyring requirement");
  if (requirement.kind === "notation") throw new SignetError("SIG_INVALID", "a sigstore bundle cannot satisfy a Notation trust policy");
  const [{ checkAttestationPayload, precheckAttestationBundle }, { parseSignedJson }, { verifyBundleSigner }] = await Promise.all([
    import("../attestation/check-attestation.js"),
    import("../../internal/json-reader.js"),
    import("../cosign/keyless.js"),
  ]);
  const untrustedBundle = parseSignedJson(record.untrustedBundleBytes, "the sigstore bundle", "BUNDLE_INVALID");
  precheckAttestationBundle(untrustedBundle);
  const artifact = { digest: { algorithm: digestAlgorithm(claims.imageDigest) as "sha256" | "sha512", hex: digestHex(claims.imageDigest) } };
  const signer = verifyBundleSigner(requirement, untrustedBundle, artifact);
  const verified = signer.verified;
  if (verified === undefined || verified.contentKind !== "dsseEnvelope" || verified.payloadType === undefined || verified.payload === undefined) {
    throw new SignetError("BUNDLE_INVALID", "the bundle holds a message signature, not the DSSE statement cosign signs images with");
  }
  let checked;
  try {
    checked = checkAttestationPayload(verified.payloadType, verified.payload, { imageDigest: claims.imageDigest, predicateType: COSIGN_SIGN_PREDICATE_TYPE });
  } catch (error) {
    if (SignetError.is(error) && error.code === "ATTESTATION_TYPE_MISMATCH") return { verdict: "ignored", reason: error.message };
    throw error;
  }
  const annotations = checked.subject.annotations ?? {};
  checkClaims(record, signer, claims, { signedDigest: claims.imageDigest, annotations });
  if (claims.signedIdentity !== undefined) {
    throw new Rejected({
      format: record.format,
      source: record.source,
      code: "SIG_IDENTITY_MISMATCH",
      reason: "a sigstore bundle signs no image reference, so no signedIdentity rule can accept it",
      hint: "containers/image reads only cosign .sig signatures for policy.json: sign with cosign's legacy format (--new-bundle-format=false).",
      signer,
    });
  }
  const payload = {
    critical: { identity: { "docker-reference": claims.repository }, image: { "docker-manifest-digest": claims.imageDigest }, type: COSIGN_SIGNATURE_TYPE },
    optional: Object.keys(annotations).length > 0 ? { ...annotations } : null,
  };
  return { verdict: "verified", signature: { format: record.format, source: record.source, payload, signer } };
}

async function verifySimpleSigning(record: Extract<UntrustedSignatureRecord, { format: "simple-signing" }>, requirement: SignatureRequirement, claims: SignedClaimsRule): Promise<RecordVerdict> {
  if (requirement.kind !== "gpg") throw new SignetError("SIG_INVALID", "a GPG simple-signing signature can only satisfy a GPG keyring requirement");
  let verified;
  try {
    const { verifyGpgSignature } = await import("../simplesigning/gpg.js");
    verified = await verifyGpgSignature(requirement.keyring, record.untrustedSignature, claims.now === undefined ? {} : { now: claims.now });
  } catch (error) {
    if (!SignetError.is(error)) throw error;
    throw new Rejected({ format: record.format, source: record.source, code: error.code, reason: error.message, hint: gpgHint(error) });
  }
  const signer: VerifiedSigner = { kind: "gpg", fingerprint: verified.signerFingerprint, signingKeyFingerprint: verified.signingKeyFingerprint, tlog: "not-configured" };
  const payload = afterSigner(record, signer, () => parseAtomicPayload(verified.payload));
  const optional: Record<string, unknown> = {};
  if (payload.creator !== undefined) optional["creator"] = payload.creator;
  if (payload.timestamp !== undefined) optional["timestamp"] = payload.timestamp;
  checkClaims(record, signer, claims, { signedDigest: payload.manifestDigest, signedReference: payload.dockerReference, annotations: optional });
  const identityMatch = checkSignedIdentity(record, signer, claims, payload.manifestDigest, payload.dockerReference);
  return {
    verdict: "verified",
    signature: {
      format: record.format,
      source: record.source,
      payload: {
        critical: { identity: { "docker-reference": payload.dockerReference }, image: { "docker-manifest-digest": payload.manifestDigest }, type: ATOMIC_SIGNATURE_TYPE },
        optional: Object.keys(optional).length > 0 ? optional : null,
      },
      signer,
      ...(identityMatch === undefined ? {} : { identityMatch }),
    },
  };
}

/**
 * A Notation envelope against a trust policy: notation's checks in the specification's order (notation/), then
 * the claims every format answers to: the payload names this image (digest, and media type and size as Notation
 * requires), and the required annotations, read from the signed user metadata. A Notation payload signs no
 * image reference, so no signedIdentity rule can accept it.
 */
async function verifyNotation(record: Extract<UntrustedSignatureRecord, { format: "notation" }>, requirement: SignatureRequirement, claims: SignedClaimsRule): Promise<RecordVerdict> {
  if (requirement.kind !== "notation") throw new SignetError("SIG_INVALID", "a Notation signature can only satisfy a Notation trust policy");
  const { notationStatement, verifyNotationEnvelopeBytes } = await import("../notation/notation-requirement.js");
  if (record.subject.digest !== claims.imageDigest) {
    throw new SignetError("SIG_DIGEST_MISMATCH", `the Notation signature was read for ${record.subject.digest}, not for this image's ${claims.imageDigest}`);
  }
  const statement = notationStatement(requirement, claims.repository);
  if (statement.level === "skip") {
    throw new SignetError("NOTATION_POLICY_SKIP", `trust policy statement "${statement.name}" skips verification for ${requirement.scope ?? claims.repository}, so it proves nothing about this image`, {
      hint: "Give the scope a statement that verifies (strict, permissive or audit); to let images run unsigned, say so in the admission policy itself (insecureAcceptAnything, static pass).",
    });
  }
  const now = requirement.now ?? claims.now;
  const { verification, failure } = await verifyNotationEnvelopeBytes(record.envelopeMediaType, record.untrustedEnvelope, record.subject, statement, now === undefined ? requirement : { ...requirement, now });
  if (failure !== undefined) return { verdict: "rejected", rejection: { format: record.format, source: record.source, code: failure.code, reason: failure.message, ...(failure.hint === undefined ? {} : { hint: failure.hint }) } };
  const userMetadata = verification.target?.annotations ?? {};
  const signer: VerifiedSigner = {
    kind: "notation",
    subject: verification.signer ?? "",
    statement: verification.statement,
    ...(verification.signingTime === undefined ? {} : { signingTime: verification.signingTime }),
    warnings: verification.warnings,
    outcomes: verification.outcomes.map(({ check, action, passed, message }) => ({ check, action, passed, ...(message === undefined ? {} : { message }) })),
    userMetadata,
    tlog: "not-configured",
  };
  const signedDigest = verification.target?.digest ?? "";
  checkClaims(record, signer, claims, { signedDigest, annotations: userMetadata });
  if (claims.signedIdentity !== undefined) {
    throw new Rejected({
      format: record.format,
      source: record.source,
      code: "SIG_IDENTITY_MISMATCH",
      reason: "a Notation signature signs no image reference, so no signedIdentity rule can accept it",
      hint: "Use matchRepository/matchRepoDigestOrExact only with signatures that sign a reference; a notationSigned requirement scopes by its trust policy instead.",
      signer,
    });
  }
  const payload = {
    critical: { identity: { "docker-reference": claims.repository }, image: { "docker-manifest-digest": claims.imageDigest }, type: "notation" },
    optional: Object.keys(userMetadata).length > 0 ? { ...userMetadata } : null,
  };
  return { verdict: "verified", signature: { format: record.format, source: record.source, payload, signer } };
}

/** Runs a payload parser on authentic bytes; its rejection keeps the signer. */
function afterSigner<T>(record: UntrustedSignatureRecord, signer: VerifiedSigner, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!SignetError.is(error)) throw error;
    throw new Rejected({ format: record.format, source: record.source, code: error.code, reason: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }), signer });
  }
}

/** Steps 4 and 5: the digest the signature names, and the required annotations. */
function checkClaims(
  record: UntrustedSignatureRecord,
  signer: VerifiedSigner,
  claims: SignedClaimsRule,
  signed: { readonly signedDigest: string; readonly signedReference?: string; readonly annotations: Readonly<Record<string, unknown>> },
): void {
  const said = { signer, signedDigest: signed.signedDigest, ...(signed.signedReference === undefined ? {} : { signedReference: signed.signedReference }) };
  const digestProblem = checkSignedDigest(signed.signedDigest, claims.imageDigest);
  if (digestProblem !== undefined) throw new Rejected({ format: record.format, source: record.source, ...digestProblem, ...said });
  for (const [key, expected] of Object.entries(claims.requiredAnnotations ?? {})) {
    const actual = signed.annotations[key];
    if (actual !== expected) {
      throw new Rejected({
        format: record.format,
        source: record.source,
        code: "SIG_ANNOTATION_MISMATCH",
        reason: `annotation ${key} is ${actual === undefined ? "missing" : JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
        ...said,
      });
    }
  }
}

/** Step 6: the signedIdentity rule over the reference the signature claims. */
function checkSignedIdentity(record: UntrustedSignatureRecord, signer: VerifiedSigner, claims: SignedClaimsRule, signedDigest: string, signedReference: string): string | undefined {
  if (claims.signedIdentity === undefined) return undefined;
  const match = claims.signedIdentity(signedReference);
  if (!match.matches) {
    throw new Rejected({
      format: record.format,
      source: record.source,
      code: "SIG_IDENTITY_MISMATCH",
      reason: match.reason,
      ...(match.hint === undefined ? {} : { hint: match.hint }),
      signer,
      signedDigest,
      signedReference,
    });
  }
  return match.reason;
}

/** Why a signed manifest digest is not the image's, or undefined when it is (the signature covers this image). */
export function checkSignedDigest(signedDigest: string, imageDigest: Digest): { reason: string; code: ErrorCode; hint: string } | undefined {
  if (signedDigest === imageDigest) return undefined;
  if (isDigest(signedDigest) && digestAlgorithm(signedDigest) !== digestAlgorithm(imageDigest)) {
    return {
      reason: `the signature names the ${digestAlgorithm(signedDigest)} digest ${signedDigest}, but the image was pinned by ${imageDigest}; signet compares digests of the same algorithm only`,
      code: "SIG_DIGEST_MISMATCH",
      hint: "Sign the image's sha256 digest.",
    };
  }
  return {
    reason: `the signature is for ${signedDigest.slice(0, 200)}, not for this image's ${imageDigest}`,
    code: "SIG_DIGEST_MISMATCH",
    hint: "The image was changed after it was signed, or the signature was copied from another image: sign this digest.",
  };
}

function gpgHint(error: SignetError): string {
  switch (error.details["reason"]) {
    case "unknown-key":
      return "The image is signed, but by a key that is not in the keyring: add the signer's public key (gpg --export KEY), or sign with a key that is.";
    case "key-expired":
    case "subkey-expired":
      return "The signing key has expired: extend it (gpg --quick-set-expire) and export it again, or sign with a valid key.";
    case "key-revoked":
    case "subkey-revoked":
      return "The signing key was revoked: sign the image again with a valid key.";
    case "signature-expired":
      return "The signature has expired: sign the image again.";
    case "bad-signature":
      return "The signature does not match what it signs: the signature or its payload was changed after signing.";
    case "malformed":
    case "not-signed":
      return "This is not a GPG signature; check what wrote it to the lookaside store.";
    default:
      return error.hint;
  }
}
