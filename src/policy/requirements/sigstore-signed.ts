/**
 * sigstoreSigned with public keys (keyPath, keyPaths, keyData, keyDatas): the image needs at least one cosign
 * signature attachment whose signature verifies with one of the keys, whose payload names this image's manifest
 * digest and an identity the signedIdentity rule accepts (containers/image policy_eval_sigstore.go).
 * Fulcio, PKI and Rekor checks parse but fail closed here until the sigstore trust code exists.
 */
import type { KeyObject } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import { parsePublicKeyPem, verifyWithKey } from "../../keys/index.js";
import type { SigstoreSignedConfig } from "../config/index.js";
import type { RequirementOutcome, SignatureVerdict } from "../decision.js";
import type { RequirementContext, UntrustedSigstoreAttachment } from "../evaluation-context.js";
import { matchSignedIdentity } from "../identity/index.js";
import type { KeyLoader } from "../key-material.js";
import { fetchFailureOutcome, keyFailureOutcome, type CompiledRequirement } from "./compiled-requirement.js";
import { parseStrictSigstorePayload } from "./sigstore-payload.js";
import { checkSignedDigest, describeKeySource, summarizeSignatures } from "./signature-outcomes.js";

/** The media type of a cosign signature layer; other attachments are not signatures. */
export const SIGSTORE_SIGNATURE_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

export async function compileSigstoreSigned(config: SigstoreSignedConfig, loader: KeyLoader): Promise<CompiledRequirement> {
  const trust = config.keys !== undefined ? describeKeySource(config.keys) : config.fulcio !== undefined ? "fulcio" : "pki";
  const summary = `sigstoreSigned, ${trust}${config.rekorPublicKeys !== undefined ? " + Rekor" : ""}, signedIdentity ${config.signedIdentity.type}`;
  const unsupported = unsupportedReason(config);
  if (unsupported !== undefined) return { config, summary, evaluate: () => Promise.resolve(unsupported) };

  const keys = await loader.parseEach("pem", config.keys!, (bytes) => parsePublicKeyPem(bytes), "a PEM public key");
  return {
    config,
    summary,
    async evaluate(context) {
      if (!keys.ok) return keyFailureOutcome(keys.failure);
      let imageDigest;
      let set;
      try {
        imageDigest = await context.digest();
      } catch (error) {
        return fetchFailureOutcome(error, `the manifest digest of ${context.imageName}`);
      }
      try {
        set = await context.cosignSignatures();
      } catch (error) {
        return fetchFailureOutcome(error, `the sigstore signatures of ${context.imageName}`);
      }
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
  const what = config.fulcio !== undefined ? "fulcio" : config.pki !== undefined ? "pki" : config.rekorPublicKeys !== undefined ? "a Rekor public key" : undefined;
  if (what === undefined) return undefined;
  return {
    allowed: false,
    reason: `sigstoreSigned with ${what} is not supported yet (it needs the sigstore trust-root work), so this requirement rejects every image`,
    hint: "Use keyPath/keyPaths/keyData/keyDatas without Rekor keys for now, or evaluate this policy with containers/image.",
    code: "POLICY_UNSUPPORTED",
    signatures: [],
  };
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
    payload = parseStrictSigstorePayload(payloadBytes);
  } catch (error) {
    if (!SignetError.is(error)) throw error;
    return { source, allowed: false, reason: `signed by ${signer}, but ${error.message}`, code: error.code, hint: error.hint, signer };
  }
  const signed = { signer, signedReference: payload.dockerReference, signedDigest: payload.manifestDigest };
  const digestProblem = checkSignedDigest(payload.manifestDigest, imageDigest);
  if (digestProblem !== undefined) return { source, allowed: false, ...digestProblem, ...signed };
  const identity = matchSignedIdentity(config.signedIdentity, context.dockerReference, payload.dockerReference);
  if (!identity.matches) {
    return { source, allowed: false, reason: `signed by ${signer}; ${identity.reason}`, code: "SIG_IDENTITY_MISMATCH", hint: identity.hint, ...signed };
  }
  return { source, allowed: true, reason: `signed by ${signer} for ${payload.manifestDigest}; ${identity.reason}`, ...signed };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Go's base64.StdEncoding.DecodeString: padded standard alphabet, nothing else. */
function decodeBase64Strict(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, "base64");
}
