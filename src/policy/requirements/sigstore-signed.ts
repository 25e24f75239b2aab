/**
 * sigstoreSigned: the image needs at least one cosign signature attachment whose signature verifies with one of
 * the keys (keyPath, keyPaths, keyData, keyDatas) or with a Fulcio certificate for the configured OIDC issuer and
 * email that chains to the configured CA; with rekorPublicKey* (always, for Fulcio) a Rekor SET for this signature
 * by one of those log keys; a payload naming this image's manifest digest and an identity the signedIdentity rule
 * accepts (containers/image policy_eval_sigstore.go). PKI fails closed (not supported yet).
 *
 * The checks are the one image verifier's (signatures/verifier), with the policy's keys or Fulcio identity as the
 * requirement and signedIdentity as the claims rule: `signet verify`, the library and the webhook run the same code.
 */
import { SignetError } from "../../errors/index.js";
import { parsePublicKeyPem, publicKeyToPem } from "../../keys/index.js";
import { type SignatureRequirement, type UntrustedSignatureRecord, type VerifiedSigner } from "../../signatures/verifier/index.js";
import type { TrustMaterial } from "../../trust/index.js";
import type { PolicySemantics, SignedIdentityConfig, SigstoreSignedConfig } from "../config/index.js";
import type { RequirementOutcome } from "../decision.js";
import type { RequirementContext, UntrustedSigstoreAttachment } from "../evaluation-context.js";
import type { Digest } from "../../internal/digest.js";
import { parseSimpleSigningPayload, type SimpleSigningPayload } from "../../signatures/payload/simple-signing.js";
import { matchSignedIdentity } from "../identity/index.js";
import type { KeyFailure, KeyLoader } from "../key-material.js";
import { fetchDigestAndSignatures, keyFailureOutcome, type CompiledRequirement } from "./compiled-requirement.js";
import { describeKeySource, summarizeSignatures, toSignatureVerdicts, verifyRequirementSignatures } from "./signature-outcomes.js";

/** The media type of a cosign signature layer; other attachments are not signatures. */
export const SIGSTORE_SIGNATURE_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";

export async function compileSigstoreSigned(config: SigstoreSignedConfig, loader: KeyLoader, semantics: PolicySemantics = "containers-image"): Promise<CompiledRequirement> {
  const trust = trustLabel(config);
  const identity = identityRule(config, semantics);
  const summary = `sigstoreSigned, ${trust}${config.rekorPublicKeys !== undefined ? " + Rekor" : ""}, signedIdentity ${identity === undefined ? "none (image-rs checks no identity when signedIdentity is not set)" : identity.type}`;
  const unsupported = unsupportedReason(config) ?? imageRsIdentityRejection(config, semantics);
  if (unsupported !== undefined) return { config, summary, evaluate: () => Promise.resolve(unsupported) };
  const signer = await loadSigstoreSigner(config, loader);
  if (!signer.ok) return { config, summary, evaluate: () => Promise.resolve(signer.outcome) };
  return { config, summary, evaluate: (context) => evaluateWith(context, identity, semantics, trust, signer.requirement, signer.describe, signer.unverified) };
}

/** A sigstoreSigned requirement's trust, loaded: the one verifier's requirement, or the outcome that fails it closed. */
export type LoadedSigner =
  | {
      readonly ok: true;
      readonly requirement: SignatureRequirement;
      /** Names a verified signer the way the policy writes its trust. */
      readonly describe: (signer: VerifiedSigner) => string;
      readonly unverified?: () => { reason: string; hint?: string };
    }
  | { readonly ok: false; readonly outcome: RequirementOutcome };

function trustLabel(config: SigstoreSignedConfig): string {
  return config.keys !== undefined ? describeKeySource(config.keys) : config.fulcio !== undefined ? "fulcio" : "pki";
}

/** Loads a sigstoreSigned requirement's keys, or Fulcio CA and Rekor keys, once (also a signetThreshold signer's). */
export async function loadSigstoreSigner(config: SigstoreSignedConfig, loader: KeyLoader): Promise<LoadedSigner> {
  const trust = trustLabel(config);
  const unsupported = unsupportedReason(config);
  if (unsupported !== undefined) return { ok: false, outcome: unsupported };

  const logged = config.rekorPublicKeys === undefined ? undefined : await loadLoggedTrust(config, loader);
  if (logged !== undefined && !logged.ok) return { ok: false, outcome: keyFailureOutcome(logged.failure) };
  if (config.fulcio !== undefined) {
    const fulcio = config.fulcio;
    const requirement: SignatureRequirement = {
      kind: "identity",
      identity: { kind: "identity", subject: fulcio.subjectEmail, issuer: fulcio.oidcIssuer },
      trust: logged!.trust,
      requireTlog: true,
    };
    return { ok: true, requirement, describe: () => `fulcio ${fulcio.subjectEmail} (issuer ${fulcio.oidcIssuer}), logged in Rekor` };
  }
  const keys = await loader.parseEach("pem", config.keys!, (bytes) => parsePublicKeyPem(bytes), "a PEM public key");
  if (!keys.ok) return { ok: false, outcome: keyFailureOutcome(keys.failure) };
  const publicKeys = keys.keys.map((k) => k.key);
  const requirement: SignatureRequirement =
    logged === undefined ? { kind: "key", publicKeys } : { kind: "key", publicKeys, log: { trust: logged.trust, required: true } };
  const describe = (signer: VerifiedSigner) => {
    const which = signer.kind === "key" && publicKeys.length > 1 && signer.keyIndex !== undefined ? `${trust} key ${signer.keyIndex + 1}` : trust;
    return logged === undefined ? which : `${which}, logged in Rekor`;
  };
  if (logged !== undefined) return { ok: true, requirement, describe };
  const unverified = () => ({
    reason: `the signature does not verify with ${publicKeys.length === 1 ? "the key in" : `any of the ${publicKeys.length} keys in`} ${trust}`,
    hint: `The image is signed, but by a key that is not in ${trust} (or the signature was changed): add the signer's public key, or sign with a key that is.`,
  });
  return { ok: true, requirement, describe, unverified };
}

/**
 * The claims rule over the reference a signature names. containers/image defaults to matchRepoDigestOrExact;
 * image-rs (policy/cosign/mod.rs) checks the signed reference only when signedIdentity is set.
 */
function identityRule(config: SigstoreSignedConfig, semantics: PolicySemantics): SignedIdentityConfig | undefined {
  return semantics === "image-rs" && config.signedIdentity.defaulted === true ? undefined : config.signedIdentity;
}

/**
 * image-rs's check_reference_rule_types: cosign signatures name only a repository, so image-rs denies a
 * sigstoreSigned requirement whose signedIdentity is anything but matchRepository or exactRepository, before it
 * reads any signature.
 */
function imageRsIdentityRejection(config: SigstoreSignedConfig, semantics: PolicySemantics): RequirementOutcome | undefined {
  const rule = config.signedIdentity;
  if (semantics !== "image-rs" || rule.defaulted === true || rule.type === "matchRepository" || rule.type === "exactRepository") return undefined;
  return {
    allowed: false,
    reason: `image-rs denies every image with a sigstoreSigned signedIdentity of ${rule.type}: it accepts only matchRepository and exactRepository for cosign signatures`,
    hint: 'Write "signedIdentity": {"type": "matchRepository"} (or exactRepository), or leave signedIdentity out.',
    code: "SIG_IDENTITY_MISMATCH",
    signatures: [],
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

/**
 * image-rs (policy/cosign/mod.rs with sigstore-rs 0.13) applies signedIdentity to the payload of every signature
 * layer that names this digest and carries a signature annotation, whether or not that layer verified with the
 * key: one such layer naming another repository denies the image, even when another signature was accepted.
 * Payloads signet's strict reader refuses are skipped, as sigstore-rs skips layers it cannot read.
 */
function imageRsEveryLayerIdentity(
  context: RequirementContext,
  imageDigest: Digest,
  signedIdentity: SignedIdentityConfig,
  attachments: readonly UntrustedSigstoreAttachment[],
): Omit<RequirementOutcome, "signatures"> | undefined {
  for (const attachment of attachments) {
    const layer = attachment.signature;
    if (layer.mediaType !== SIGSTORE_SIGNATURE_MEDIA_TYPE || layer.untrustedSignatureBase64 === undefined) continue;
    let untrustedPayload: SimpleSigningPayload;
    try {
      untrustedPayload = parseSimpleSigningPayload(layer.untrustedPayload);
    } catch {
      continue;
    }
    if (untrustedPayload.critical.image["docker-manifest-digest"] !== imageDigest) continue;
    const match = matchSignedIdentity(signedIdentity, context.dockerReference, untrustedPayload.critical.identity["docker-reference"]);
    if (!match.matches) {
      return {
        allowed: false,
        reason: `image-rs checks signedIdentity on every signature layer naming ${imageDigest}, verified or not, and ${attachment.source}: ${match.reason}`,
        hint: "Remove the stray signature layer from the image's .sig tag (or sign in the image's own repository): image-rs denies the image while it is there.",
        code: "SIG_IDENTITY_MISMATCH",
      };
    }
  }
  return undefined;
}

/** Reads the image's cosign attachments and runs the one verifier over them; one accepted signature is enough. */
async function evaluateWith(
  context: RequirementContext,
  signedIdentity: SignedIdentityConfig | undefined,
  semantics: PolicySemantics,
  trust: string,
  requirement: SignatureRequirement,
  describe: (signer: VerifiedSigner) => string,
  unverified?: () => { reason: string; hint?: string },
): Promise<RequirementOutcome> {
  const fetched = await fetchDigestAndSignatures(context, () => context.cosignSignatures(), "sigstore signatures");
  if ("failure" in fetched) return fetched.failure;
  const { imageDigest, signatures: set } = fetched;
  const records: UntrustedSignatureRecord[] = set.signatures.map((attachment) => ({ format: "cosign-legacy", source: attachment.source, layer: attachment.signature }));
  const verification = await verifyRequirementSignatures(context, imageDigest, signedIdentity, records, requirement);
  const { verdicts, ignored, signatureCount } = toSignatureVerdicts(verification, describe, unverified === undefined ? {} : { unverified });
  const missingHint =
    set.notReadBecause !== undefined
      ? `Signatures were not read: ${set.notReadBecause}.`
      : `Sign the image so that it satisfies ${trust} (signet sign or cosign sign), and check that the signatures were pushed next to it.`;
  const outcome = summarizeSignatures({ verdicts, total: set.signatures.length, ignored, kind: "sigstore", searched: set.searched, missingHint });
  if (outcome.allowed && semantics === "image-rs" && signedIdentity !== undefined) {
    const denial = imageRsEveryLayerIdentity(context, imageDigest, signedIdentity, set.signatures);
    if (denial !== undefined) return { ...denial, signatures: outcome.signatures };
  }
  return signatureCount === 0 && set.notReadBecause !== undefined ? { ...outcome, reason: `${outcome.reason}: ${set.notReadBecause}` } : outcome;
}
