/**
 * signedBy: the image needs at least one GPG "simple signing" signature by a key of the keyring, whose payload
 * names this image's manifest digest and an identity the signedIdentity rule accepts (containers/image
 * policy_eval_signedby.go). Signatures are tried in order; the first accepted one is enough.
 */
import { SignetError } from "../../errors/index.js";
import { GpgKeyring, parseGpgKeyring } from "../../signatures/simplesigning/gpg.js";
import { parseSignatureBlob } from "../../signatures/simplesigning/signature-blob.js";
import type { KeySourceConfig, SignedByConfig } from "../config/index.js";
import type { UntrustedSignatureRecord, VerifiedSigner } from "../../signatures/verifier/index.js";
import type { RequirementOutcome } from "../decision.js";
import type { UntrustedGpgSignature } from "../evaluation-context.js";
import type { KeyLoader, KeyLoadResult } from "../key-material.js";
import { fetchDigestAndSignatures, keyFailureOutcome, type CompiledRequirement } from "./compiled-requirement.js";
import { describeKeySource, summarizeSignatures, toSignatureVerdicts, verifyRequirementSignatures } from "./signature-outcomes.js";

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
      const fetched = await fetchDigestAndSignatures(context, () => Promise.all([context.gpgSignatures(), context.swrAscSignatures()]), "GPG signatures");
      if ("failure" in fetched) return fetched.failure;
      const { imageDigest } = fetched;
      const [lookaside, swrAsc] = fetched.signatures;
      const set = { signatures: lookaside.signatures, searched: [...lookaside.searched, ...swrAsc.searched] };
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
      // The one image verifier (signatures/verifier) with the keyring as the requirement; one accepted is enough.
      const verification = await verifyRequirementSignatures(
        context,
        imageDigest,
        config.signedIdentity,
        [
          ...simpleSignatures.map((signature): UntrustedSignatureRecord => ({ format: "simple-signing", source: signature.source, untrustedSignature: signature.untrustedBytes })),
          // swr-cosign's .asc objects (registries.d signet-swr-asc): one more store of GPG signatures.
          ...swrAsc.signatures.map((object): UntrustedSignatureRecord => ({ format: "swr-asc", source: object.source, untrustedObject: object.untrustedBytes })),
        ],
        { kind: "gpg", keyring: keyring.keys[0]!.key },
      );
      const { verdicts } = toSignatureVerdicts(verification, describeGpgSigner, {
        acceptedBy: keysLabel,
        unverified: ({ reason, hint }) => ({ reason, ...(hint === undefined ? {} : { hint: hint.replace("not in the keyring", `not in ${keysLabel}`) }) }),
      });
      return summarizeSignatures({
        verdicts,
        total: simpleSignatures.length + swrAsc.signatures.length,
        kind: "GPG",
        searched: set.searched,
        missingHint: `Sign the image with \`signet sign --gpg-key KEY\` or \`skopeo copy --sign-by FINGERPRINT\`, and check that registries.d points at the lookaside store holding its signatures.`,
      });
    },
  };
}

/** The keyring of the requirement: all key sources combined into one (keyPaths may name several files). */
export async function loadKeyring(source: KeySourceConfig, loader: KeyLoader): Promise<KeyLoadResult<{ label: string; key: GpgKeyring }>> {
  const parsed = await loader.parseEach("gpg", source, (bytes) => parseGpgKeyring(bytes), "an OpenPGP public keyring");
  if (!parsed.ok) return parsed;
  if (parsed.keys.length === 1) return parsed;
  return { ok: true, keys: [{ label: describeKeySource(source), key: GpgKeyring.combine(parsed.keys.map((k) => k.key)) }] };
}

/** The primary key's fingerprint (and the subkey that signed), as containers/image reports it. */
export function describeGpgSigner(signer: VerifiedSigner): string {
  if (signer.kind !== "gpg") return signer.kind;
  return signer.fingerprint === signer.signingKeyFingerprint ? signer.fingerprint : `${signer.fingerprint} (subkey ${signer.signingKeyFingerprint})`;
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
