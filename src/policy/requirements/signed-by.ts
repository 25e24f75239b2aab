/**
 * signedBy: the image needs at least one GPG "simple signing" signature by a key of the keyring, whose payload
 * names this image's manifest digest and an identity the signedIdentity rule accepts (containers/image
 * policy_eval_signedby.go). Signatures are tried in order; the first accepted one is enough.
 */
import { SignetError } from "../../errors/index.js";
import { GpgKeyring, parseGpgKeyring, verifyGpgSignature } from "../../signatures/simplesigning/gpg.js";
import { parseAtomicPayload } from "../../signatures/simplesigning/payload.js";
import { parseSignatureBlob } from "../../signatures/simplesigning/signature-blob.js";
import type { KeySourceConfig, SignedByConfig } from "../config/index.js";
import type { RequirementOutcome, SignatureVerdict } from "../decision.js";
import type { RequirementContext, UntrustedGpgSignature } from "../evaluation-context.js";
import { matchSignedIdentity } from "../identity/index.js";
import type { KeyLoader, KeyLoadResult } from "../key-material.js";
import { fetchDigestAndSignatures, keyFailureOutcome, type CompiledRequirement } from "./compiled-requirement.js";
import { checkSignedDigest, summarizeSignatures, describeKeySource } from "./signature-outcomes.js";

export async function compileSignedBy(config: SignedByConfig, loader: KeyLoader): Promise<CompiledRequirement> {
  const keysLabel = describeKeySource(config.keys);
  const summary = `signedBy ${config.keyType}, ${keysLabel}, signedIdentity ${config.signedIdentity.type}`;
  if (config.keyType !== "GPGKeys") {
    const outcome: RequirementOutcome = {
      allowed: false,
      reason: `keyType ${JSON.stringify(config.keyType)} is not implemented (containers/image does not implement it either), so this requirement rejects every image`,
      hint: 'Use "keyType": "GPGKeys" with a GPG keyring.',
      code: "POLICY_UNSUPPORTED",
      signatures: [],
    };
    return { config, summary, evaluate: () => Promise.resolve(outcome) };
  }
  const keyring = await loadKeyring(config.keys, loader);
  return {
    config,
    summary,
    async evaluate(context) {
      if (!keyring.ok) return keyFailureOutcome(keyring.failure);
      const fetched = await fetchDigestAndSignatures(context, () => context.gpgSignatures(), "GPG signatures");
      if ("failure" in fetched) return fetched.failure;
      const { imageDigest, signatures: set } = fetched;
      // containers/image reads every stored signature before checking any, and one that is not a signature at
      // all fails the read: the image is refused whatever the others say. Sigstore-format ones are skipped.
      const simpleSignatures: UntrustedGpgSignature[] = [];
      for (const signature of set.signatures) {
        let blob;
        try {
          blob = parseSignatureBlob(signature.untrustedBytes);
        } catch (error) {
          if (!SignetError.is(error)) throw error;
          return unreadableSignatureOutcome(signature, error);
        }
        if (blob.format === "simple-signing") simpleSignatures.push({ source: signature.source, untrustedBytes: blob.untrustedSignature });
      }
      const verdicts: SignatureVerdict[] = [];
      for (const signature of simpleSignatures) {
        const verdict = await verifyOne(signature, keyring.keys[0]!.key, keysLabel, config, context, imageDigest);
        verdicts.push(verdict);
        if (verdict.allowed) break; // one accepted signature is enough, as upstream
      }
      return summarizeSignatures({
        verdicts,
        total: simpleSignatures.length,
        kind: "GPG",
        searched: set.searched,
        missingHint: `Sign the image with \`signet sign --gpg-key KEY\` or \`skopeo copy --sign-by FINGERPRINT\`, and check that registries.d points at the lookaside store holding its signatures.`,
      });
    },
  };
}

/** The keyring of the requirement: all key sources combined into one (keyPaths may name several files). */
async function loadKeyring(source: KeySourceConfig, loader: KeyLoader): Promise<KeyLoadResult<{ label: string; key: GpgKeyring }>> {
  const parsed = await loader.parseEach("gpg", source, (bytes) => parseGpgKeyring(bytes), "an OpenPGP public keyring");
  if (!parsed.ok) return parsed;
  if (parsed.keys.length === 1) return parsed;
  return { ok: true, keys: [{ label: describeKeySource(source), key: GpgKeyring.combine(parsed.keys.map((k) => k.key)) }] };
}

async function verifyOne(
  signature: UntrustedGpgSignature,
  keyring: GpgKeyring,
  keysLabel: string,
  config: SignedByConfig,
  context: RequirementContext,
  imageDigest: string,
): Promise<SignatureVerdict> {
  const source = signature.source;
  let verified;
  try {
    verified = await verifyGpgSignature(keyring, signature.untrustedBytes, { now: context.now });
  } catch (error) {
    if (!SignetError.is(error)) throw error;
    return { source, allowed: false, reason: error.message, code: error.code, hint: gpgHint(error, keysLabel) };
  }
  const signer = verified.signerFingerprint === verified.signingKeyFingerprint
    ? verified.signerFingerprint
    : `${verified.signerFingerprint} (subkey ${verified.signingKeyFingerprint})`;
  let payload;
  try {
    payload = parseAtomicPayload(verified.payload);
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
  return { source, allowed: true, reason: `signed by ${signer} (in ${keysLabel}) for ${payload.manifestDigest}; ${identity.reason}`, ...signed };
}

function unreadableSignatureOutcome(signature: UntrustedGpgSignature, error: SignetError): RequirementOutcome {
  const reason = `${signature.source} is ${error.message}; containers/image refuses an image whose signature store holds such a file, whatever its other signatures`;
  return {
    allowed: false,
    reason,
    hint: error.hint,
    code: error.code,
    signatures: [{ source: signature.source, allowed: false, reason: error.message, code: error.code, hint: error.hint }],
  };
}

function gpgHint(error: SignetError, keysLabel: string): string {
  switch (error.details["reason"]) {
    case "unknown-key":
      return `The image is signed, but by a key that is not in ${keysLabel}: add the signer's public key there (gpg --export KEY), or sign with a key that is.`;
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
