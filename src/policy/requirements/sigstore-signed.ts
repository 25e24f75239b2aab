/**
 * sigstoreSigned: the image needs at least one cosign signature attachment whose signature verifies with one of
 * the keys (keyPath, keyPaths, keyData, keyDatas) or with a Fulcio certificate for the configured OIDC issuer and
 * email that chains to the configured CA; with rekorPublicKey* (always, for Fulcio) a Rekor SET for this signature
 * by one of those log keys; a payload naming this image's manifest digest and an identity the signedIdentity rule
 * accepts (containers/image policy_eval_sigstore.go). PKI fails closed (not supported yet).
 */
import type { KeyObject } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import { parsePublicKeyPem, publicKeyToPem, verifyWithKey } from "../../keys/index.js";
import type { TrustMaterial } from "../../trust/index.js";
import type { FulcioConfig, SigstoreSignedConfig } from "../config/index.js";
import type { RequirementOutcome, SignatureVerdict } from "../decision.js";
import type { RequirementContext, UntrustedSigstoreAttachment } from "../evaluation-context.js";
import { matchSignedIdentity } from "../identity/index.js";
import type { KeyFailure, KeyLoader } from "../key-material.js";
import { fetchDigestAndSignatures, keyFailureOutcome, type CompiledRequirement } from "./compiled-requirement.js";
import { parseSimpleSigningPayload } from "../../signatures/payload/simple-signing.js";
import { checkSignedDigest, describeKeySource, summarizeSignatures } from "./signature-outcomes.js";
import { decodeBase64Strict } from "../../internal/base64.js";

/** The media type of a cosign signature layer; other attachments are not signatures. */
export const SIGSTORE_SIGNATURE_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
const CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate";
const CHAIN_ANNOTATION = "dev.sigstore.cosign/chain";
const BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle";

export async function compileSigstoreSigned(config: SigstoreSignedConfig, loader: KeyLoader): Promise<CompiledRequirement> {
  const trust = config.keys !== undefined ? describeKeySource(config.keys) : config.fulcio !== undefined ? "fulcio" : "pki";
  const summary = `sigstoreSigned, ${trust}${config.rekorPublicKeys !== undefined ? " + Rekor" : ""}, signedIdentity ${config.signedIdentity.type}`;
  const unsupported = unsupportedReason(config);
  if (unsupported !== undefined) return { config, summary, evaluate: () => Promise.resolve(unsupported) };

  const logged = config.rekorPublicKeys === undefined ? undefined : await loadLoggedTrust(config, loader);
  if (logged !== undefined && !logged.ok) return { config, summary, evaluate: () => Promise.resolve(keyFailureOutcome(logged.failure)) };
  if (config.fulcio !== undefined) {
    const checker = fulcioChecker(config.fulcio, logged!.trust);
    return { config, summary, evaluate: (context) => evaluateWith(context, config, trust, checker) };
  }
  const keys = await loader.parseEach("pem", config.keys!, (bytes) => parsePublicKeyPem(bytes), "a PEM public key");
  if (logged !== undefined) {
    if (!keys.ok) return { config, summary, evaluate: () => Promise.resolve(keyFailureOutcome(keys.failure)) };
    const checker = loggedKeyChecker(keys.keys.map((k) => k.key), trust, logged.trust);
    return { config, summary, evaluate: (context) => evaluateWith(context, config, trust, checker) };
  }
  return {
    config,
    summary,
    async evaluate(context) {
      if (!keys.ok) return keyFailureOutcome(keys.failure);
      const fetched = await fetchDigestAndSignatures(context, () => context.cosignSignatures(), "sigstore signatures");
      if ("failure" in fetched) return fetched.failure;
      const { imageDigest, signatures: set } = fetched;
      const publicKeys = keys.keys.map((k) => k.key);
      const verdicts: SignatureVerdict[] = [];
      const ignored = new Set<SignatureVerdict>();
      let signatureCount = 0;
      for (const attachment of set.signatures) {
        const mediaType = attachment.signature.mediaType;
        if (mediaType !== SIGSTORE_SIGNATURE_MEDIA_TYPE) {
          const verdict: SignatureVerdict = { source: attachment.source, allowed: false, reason: `not a signature: the attachment's media type is ${JSON.stringify(mediaType)}` };
          ignored.add(verdict);
          verdicts.push(verdict);
          continue;
        }
        signatureCount++;
        const verdict = verifyOne(attachment, publicKeys, trust, config, context, imageDigest);
        verdicts.push(verdict);
        if (verdict.allowed) break;
      }
      const missingHint =
        set.notReadBecause !== undefined
          ? `Signatures were not read: ${set.notReadBecause}.`
          : "Sign the image with `signet sign --key cosign.key IMAGE` (or cosign sign), and check that the signatures were pushed next to it.";
      const outcome = summarizeSignatures({ verdicts, total: set.signatures.length, ignored, kind: "sigstore", searched: set.searched, missingHint });
      return signatureCount === 0 && set.notReadBecause !== undefined ? { ...outcome, reason: `${outcome.reason}: ${set.notReadBecause}` } : outcome;
    },
  };
}

function unsupportedReason(config: SigstoreSignedConfig): RequirementOutcome | undefined {
  if (config.pki !== undefined) {
    return {
      allowed: false,
      reason: "sigstoreSigned with pki is not supported yet, so this requirement rejects every image",
      hint: "Use keys or fulcio (with Rekor keys), or evaluate this policy with containers/image.",
      code: "POLICY_UNSUPPORTED",
      signatures: [],
    };
  }
  if (config.fulcio !== undefined && config.rekorPublicKeys === undefined) {
    // containers/image: a Fulcio certificate is short-lived; only a Rekor SET says it was valid when it signed.
    return {
      allowed: false,
      reason: "sigstoreSigned with fulcio needs rekorPublicKeyPath/rekorPublicKeyPaths/rekorPublicKeyData/rekorPublicKeyDatas, so this requirement rejects every image",
      hint: "Add the Rekor public key(s) of the log the signatures were recorded in.",
      code: "POLICY_CONFIG_INVALID",
      signatures: [],
    };
  }
  return undefined;
}

/** Checks one attachment's signature and log entry; on success names the signer. */
type SignerChecker = (attachment: UntrustedSigstoreAttachment, signatureBase64: string) => { ok: true; signer: string } | { ok: false; verdict: Omit<SignatureVerdict, "source" | "allowed"> };

/**
 * The Rekor keys (and for fulcio the CA certificates) as trust material. containers/image accepts only ECDSA
 * Rekor keys; anything else fails the requirement closed at compile time, with the reason.
 */
async function loadLoggedTrust(config: SigstoreSignedConfig, loader: KeyLoader): Promise<{ ok: true; trust: TrustMaterial } | { ok: false; failure: KeyFailure }> {
  const rekor = await loader.parseEach(
    "rekor-pem",
    config.rekorPublicKeys!,
    (bytes) => {
      const key = parsePublicKeyPem(bytes);
      if (key.asymmetricKeyType !== "ec") throw new SignetError("KEY_UNSUPPORTED", `the Rekor public key is ${key.asymmetricKeyType ?? "unknown"}, not ECDSA`);
      return publicKeyToPem(key);
    },
    "an ECDSA PEM public key",
  );
  if (!rekor.ok) return rekor;
  let caPem: string | undefined;
  if (config.fulcio !== undefined) {
    const ca = await loader.loadBytes(config.fulcio.ca);
    if (!ca.ok) return ca;
    caPem = ca.keys.map((k) => k.bytes.toString("utf8")).join("\n");
  }
  try {
    const { trustMaterialFromKeys } = await import("../../trust/index.js");
    return {
      ok: true,
      trust: trustMaterialFromKeys({ rekorPublicKeyPem: rekor.keys.map((k) => k.key), ...(caPem !== undefined ? { fulcioCaPem: caPem } : {}), description: "the policy's Fulcio CA and Rekor keys" }),
    };
  } catch (error) {
    const problem = SignetError.is(error) ? error : new SignetError("KEY_INVALID", String(error));
    const where = describeKeySource(config.fulcio?.ca ?? config.rekorPublicKeys!);
    return { ok: false, failure: { code: problem.code === "POLICY_KEY_UNREADABLE" ? problem.code : "KEY_INVALID", reason: `${where}: ${problem.message}`, problem: problem.message, hint: "Fix the CA certificates and Rekor keys the policy names; until then every image in this scope is rejected." } };
  }
}

function loggedKeyChecker(publicKeys: readonly KeyObject[], trustName: string, trust: TrustMaterial): Promise<SignerChecker> {
  return import("../../signatures/bundle/index.js").then(({ verifyCosignKeylessLayer }) => (attachment, signatureBase64) => {
    let failure: SignetError | undefined;
    for (const [index, publicKey] of publicKeys.entries()) {
      try {
        verifyCosignKeylessLayer(layerOf(attachment, signatureBase64, false), { kind: "key", publicKey }, trust, { requireTlog: true });
        return { ok: true, signer: `${publicKeys.length === 1 ? trustName : `${trustName} key ${index + 1}`}, logged in Rekor` };
      } catch (error) {
        if (!SignetError.is(error)) throw error;
        if (failure === undefined || failure.code === "SIG_INVALID") failure = error;
      }
    }
    return { ok: false, verdict: { reason: failure!.message, code: failure!.code, hint: failure!.hint } };
  });
}

function fulcioChecker(fulcio: FulcioConfig, trust: TrustMaterial): Promise<SignerChecker> {
  return import("../../signatures/bundle/index.js").then(({ verifyCosignKeylessLayer }) => (attachment, signatureBase64) => {
    const layer = layerOf(attachment, signatureBase64, true);
    if (layer.certificatePem === undefined) {
      return { ok: false, verdict: { reason: "the signature has no Fulcio certificate (dev.sigstore.cosign/certificate)", code: "SIG_INVALID", hint: "The image was signed with a key, not keylessly: use keyPath in the policy." } };
    }
    try {
      verifyCosignKeylessLayer(layer, { kind: "identity", subject: fulcio.subjectEmail, issuer: fulcio.oidcIssuer }, trust, { requireTlog: true });
      return { ok: true, signer: `fulcio ${fulcio.subjectEmail} (issuer ${fulcio.oidcIssuer}), logged in Rekor` };
    } catch (error) {
      if (!SignetError.is(error)) throw error;
      return { ok: false, verdict: { reason: error.message, code: error.code, hint: error.hint } };
    }
  });
}

function layerOf(attachment: UntrustedSigstoreAttachment, signatureBase64: string, withCertificate: boolean): { payload: Buffer; signatureBase64: string; certificatePem?: string; chainPem?: string; rekorBundleJson?: string } {
  const annotations = attachment.signature.untrustedAnnotations;
  const layer: { payload: Buffer; signatureBase64: string; certificatePem?: string; chainPem?: string; rekorBundleJson?: string } = { payload: attachment.signature.untrustedPayload, signatureBase64 };
  if (annotations[BUNDLE_ANNOTATION] !== undefined) layer.rekorBundleJson = annotations[BUNDLE_ANNOTATION];
  if (withCertificate && annotations[CERTIFICATE_ANNOTATION]) layer.certificatePem = annotations[CERTIFICATE_ANNOTATION];
  if (withCertificate && annotations[CHAIN_ANNOTATION]) layer.chainPem = annotations[CHAIN_ANNOTATION];
  return layer;
}

/** Evaluates with a signer check (logged key or Fulcio); the payload, digest and identity checks are the key path's. */
async function evaluateWith(context: RequirementContext, config: SigstoreSignedConfig, trust: string, checkerPromise: Promise<SignerChecker>): Promise<RequirementOutcome> {
  const fetched = await fetchDigestAndSignatures(context, () => context.cosignSignatures(), "sigstore signatures");
  if ("failure" in fetched) return fetched.failure;
  const { imageDigest, signatures: set } = fetched;
  const checker = await checkerPromise;
  const verdicts: SignatureVerdict[] = [];
  const ignored = new Set<SignatureVerdict>();
  let signatureCount = 0;
  for (const attachment of set.signatures) {
    if (attachment.signature.mediaType !== SIGSTORE_SIGNATURE_MEDIA_TYPE) {
      const verdict: SignatureVerdict = { source: attachment.source, allowed: false, reason: `not a signature: the attachment's media type is ${JSON.stringify(attachment.signature.mediaType)}` };
      ignored.add(verdict);
      verdicts.push(verdict);
      continue;
    }
    signatureCount++;
    const verdict = verifyWithChecker(attachment, checker, config, context, imageDigest);
    verdicts.push(verdict);
    if (verdict.allowed) break;
  }
  const missingHint =
    set.notReadBecause !== undefined
      ? `Signatures were not read: ${set.notReadBecause}.`
      : `Sign the image so that it satisfies ${trust} (signet sign or cosign sign), and check that the signatures were pushed next to it.`;
  const outcome = summarizeSignatures({ verdicts, total: set.signatures.length, ignored, kind: "sigstore", searched: set.searched, missingHint });
  return signatureCount === 0 && set.notReadBecause !== undefined ? { ...outcome, reason: `${outcome.reason}: ${set.notReadBecause}` } : outcome;
}

function verifyWithChecker(attachment: UntrustedSigstoreAttachment, checker: SignerChecker, config: SigstoreSignedConfig, context: RequirementContext, imageDigest: string): SignatureVerdict {
  const source = attachment.source;
  const untrustedBase64 = attachment.signature.untrustedAnnotations[SIGNATURE_ANNOTATION] ?? attachment.signature.untrustedSignatureBase64;
  if (untrustedBase64 === undefined || untrustedBase64 === "") {
    return { source, allowed: false, reason: `the attachment has no ${SIGNATURE_ANNOTATION} annotation`, code: "SIG_INVALID", hint: "The attachment is not a cosign signature." };
  }
  const checked = checker(attachment, untrustedBase64);
  if (!checked.ok) return { source, allowed: false, ...checked.verdict };
  const signer = checked.signer;
  let payload;
  try {
    payload = parseSimpleSigningPayload(attachment.signature.untrustedPayload);
  } catch (error) {
    if (!SignetError.is(error)) throw error;
    return { source, allowed: false, reason: `signed by ${signer}, but ${error.message}`, code: error.code, hint: error.hint, signer };
  }
  const signedDigest = payload.critical.image["docker-manifest-digest"];
  const signedReference = payload.critical.identity["docker-reference"];
  const signed = { signer, signedReference, signedDigest };
  const digestProblem = checkSignedDigest(signedDigest, imageDigest);
  if (digestProblem !== undefined) return { source, allowed: false, ...digestProblem, ...signed };
  const identity = matchSignedIdentity(config.signedIdentity, context.dockerReference, signedReference);
  if (!identity.matches) {
    return { source, allowed: false, reason: `signed by ${signer}; ${identity.reason}`, code: "SIG_IDENTITY_MISMATCH", hint: identity.hint, ...signed };
  }
  return { source, allowed: true, reason: `signed by ${signer} for ${signedDigest}; ${identity.reason}`, ...signed };
}

function verifyOne(
  attachment: UntrustedSigstoreAttachment,
  publicKeys: readonly KeyObject[],
  trust: string,
  config: SigstoreSignedConfig,
  context: RequirementContext,
  imageDigest: string,
): SignatureVerdict {
  const source = attachment.source;
  const untrustedBase64 = attachment.signature.untrustedAnnotations[SIGNATURE_ANNOTATION] ?? attachment.signature.untrustedSignatureBase64;
  if (untrustedBase64 === undefined || untrustedBase64 === "") {
    return { source, allowed: false, reason: `the attachment has no ${SIGNATURE_ANNOTATION} annotation`, code: "SIG_INVALID", hint: "The attachment is not a cosign signature." };
  }
  const signatureBytes = decodeBase64Strict(untrustedBase64);
  if (signatureBytes === undefined) {
    return { source, allowed: false, reason: "the signature annotation is not valid base64", code: "SIG_INVALID", hint: "The signature was corrupted." };
  }
  const payloadBytes = attachment.signature.untrustedPayload;
  const signerIndex = publicKeys.findIndex((key) => verifyWithKey(key, payloadBytes, signatureBytes));
  if (signerIndex === -1) {
    return {
      source,
      allowed: false,
      reason: `the signature does not verify with ${publicKeys.length === 1 ? "the key in" : `any of the ${publicKeys.length} keys in`} ${trust}`,
      code: "SIG_INVALID",
      hint: `The image is signed, but by a key that is not in ${trust} (or the signature was changed): add the signer's public key, or sign with a key that is.`,
    };
  }
  const signer = publicKeys.length === 1 ? trust : `${trust} key ${signerIndex + 1}`;
  let payload;
  try {
    payload = parseSimpleSigningPayload(payloadBytes);
  } catch (error) {
    if (!SignetError.is(error)) throw error;
    return { source, allowed: false, reason: `signed by ${signer}, but ${error.message}`, code: error.code, hint: error.hint, signer };
  }
  const signedDigest = payload.critical.image["docker-manifest-digest"];
  const signedReference = payload.critical.identity["docker-reference"];
  const signed = { signer, signedReference, signedDigest };
  const digestProblem = checkSignedDigest(signedDigest, imageDigest);
  if (digestProblem !== undefined) return { source, allowed: false, ...digestProblem, ...signed };
  const identity = matchSignedIdentity(config.signedIdentity, context.dockerReference, signedReference);
  if (!identity.matches) {
    return { source, allowed: false, reason: `signed by ${signer}; ${identity.reason}`, code: "SIG_IDENTITY_MISMATCH", hint: identity.hint, ...signed };
  }
  return { source, allowed: true, reason: `signed by ${signer} for ${signedDigest}; ${identity.reason}`, ...signed };
}
