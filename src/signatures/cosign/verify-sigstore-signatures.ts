/**
 * Verifies an image's signatures in every storage format against one signer requirement (pure: no I/O):
 * legacy cosign `.sig` layers (key, key + log, or keyless with certificate, chain and Rekor bundle
 * annotations) and sigstore bundles attached as referrers (cosign v3: a DSSE in-toto statement of predicate
 * type https://sigstore.dev/cosign/sign/v1 whose subject is the image digest).
 */
import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { digestAlgorithm, digestHex } from "../../internal/digest.js";
import { MediaType } from "../../oci/manifest/media-types.js";
import { checkAttestationPayload, precheckAttestationBundle } from "../attestation/check-attestation.js";
import { COSIGN_SIGN_PREDICATE_TYPE } from "../attestation/predicate-types.js";
import { parseSignedJson } from "../../internal/json-reader.js";
import { BundleAnnotation } from "../bundle-oci/media-types.js";
import type { UntrustedOciBundle } from "../bundle-oci/discover-bundles.js";
import { COSIGN_SIGNATURE_TYPE, parseSimpleSigningPayload, type SimpleSigningPayload } from "../payload/simple-signing.js";
import type { ImageSignatureVerification, VerifiedImageSignature } from "./image-signatures.js";
import { verifyBundleSigner, verifyLegacySigner, type SignerRequirement } from "./keyless.js";
import { CosignAnnotation } from "./signature-manifest.js";
import type { UntrustedCosignSignature } from "./verify.js";

export interface VerifyImageSignaturesInput {
  readonly imageDigest: Digest;
  /** The repository as cosign names it, for the simple-signing view of a bundle (which does not sign it). */
  readonly identity: string;
  readonly legacy?: readonly UntrustedCosignSignature[];
  readonly bundles?: readonly UntrustedOciBundle[];
  readonly signer: SignerRequirement;
  /** Each must appear with this value in the signed annotations (`-a k=v`). */
  readonly requiredAnnotations?: Readonly<Record<string, string>>;
}

export function verifyImageSignatures(input: VerifyImageSignaturesInput): ImageSignatureVerification {
  const result: ImageSignatureVerification = { verified: [], rejected: [], ignored: [] };
  for (const signature of input.legacy ?? []) {
    try {
      result.verified.push(verifyLegacySignature(signature, input));
    } catch (error) {
      if (!SignetError.is(error)) throw error;
      result.rejected.push({ format: "cosign-legacy", source: signature.layerDigest, code: error.code, reason: error.message });
    }
  }
  for (const bundle of input.bundles ?? []) {
    const hinted = bundle.untrustedAnnotations[BundleAnnotation.predicateType];
    if (hinted !== undefined && hinted !== COSIGN_SIGN_PREDICATE_TYPE) {
      result.ignored.push({ source: bundle.manifestDigest, reason: `an attestation of type ${hinted.slice(0, 200)}, not an image signature` });
      continue;
    }
    try {
      result.verified.push(verifyBundleSignature(bundle, input));
    } catch (error) {
      if (!SignetError.is(error)) throw error;
      if (error.code === "ATTESTATION_TYPE_MISMATCH") {
        result.ignored.push({ source: bundle.manifestDigest, reason: error.message });
        continue;
      }
      result.rejected.push({ format: "sigstore-bundle", source: bundle.manifestDigest, code: error.code, reason: error.message });
    }
  }
  return result;
}

function verifyLegacySignature(signature: UntrustedCosignSignature, input: VerifyImageSignaturesInput): VerifiedImageSignature {
  if (signature.mediaType !== MediaType.CosignSimpleSigning) {
    throw new SignetError("SIG_PAYLOAD_INVALID", `layer of type ${JSON.stringify(signature.mediaType.slice(0, 100))} is not a cosign simple-signing signature`);
  }
  const signatureBase64 = signature.untrustedAnnotations[CosignAnnotation.signature] ?? signature.untrustedSignatureBase64;
  if (signatureBase64 === undefined || signatureBase64 === "") throw new SignetError("SIG_INVALID", "layer has no dev.cosignproject.cosign/signature annotation");
  const signer = verifyLegacySigner(input.signer, { signedBytes: signature.untrustedPayload, signatureBase64, untrustedAnnotations: signature.untrustedAnnotations });
  // From here the payload is authentic; now check that it says what we need.
  const payload = parseSimpleSigningPayload(signature.untrustedPayload);
  const signedDigest = payload.critical.image["docker-manifest-digest"];
  if (signedDigest !== input.imageDigest) {
    throw new SignetError("SIG_DIGEST_MISMATCH", `signature is for ${signedDigest}, not ${input.imageDigest}`, { details: { signedDigest, imageDigest: input.imageDigest } });
  }
  checkAnnotations(payload.optional ?? {}, input.requiredAnnotations);
  return { format: "cosign-legacy", source: signature.layerDigest, payload, signer };
}

function verifyBundleSignature(bundle: UntrustedOciBundle, input: VerifyImageSignaturesInput): VerifiedImageSignature {
  const untrustedBundle = parseSignedJson(bundle.untrustedBundleBytes, "the sigstore bundle", "BUNDLE_INVALID");
  precheckAttestationBundle(untrustedBundle);
  const artifact = { digest: { algorithm: digestAlgorithm(input.imageDigest) as "sha256" | "sha512", hex: digestHex(input.imageDigest) } };
  const signer = verifyBundleSigner(input.signer, untrustedBundle, artifact);
  const verified = signer.verified;
  if (verified === undefined || verified.contentKind !== "dsseEnvelope" || verified.payloadType === undefined || verified.payload === undefined) {
    throw new SignetError("BUNDLE_INVALID", "the bundle holds a message signature, not the DSSE statement cosign signs images with");
  }
  const checked = checkAttestationPayload(verified.payloadType, verified.payload, { imageDigest: input.imageDigest, predicateType: COSIGN_SIGN_PREDICATE_TYPE });
  const annotations = checked.subject.annotations ?? {};
  checkAnnotations(annotations, input.requiredAnnotations);
  const payload: SimpleSigningPayload = {
    critical: { identity: { "docker-reference": input.identity }, image: { "docker-manifest-digest": input.imageDigest }, type: COSIGN_SIGNATURE_TYPE },
    optional: Object.keys(annotations).length > 0 ? { ...annotations } : null,
  };
  return { format: "sigstore-bundle", source: bundle.manifestDigest, payload, signer };
}

function checkAnnotations(signed: Readonly<Record<string, unknown>>, required: Readonly<Record<string, string>> | undefined): void {
  for (const [key, expected] of Object.entries(required ?? {})) {
    const actual = signed[key];
    if (actual !== expected) {
      throw new SignetError("SIG_ANNOTATION_MISMATCH", `annotation ${key} is ${actual === undefined ? "missing" : JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    }
  }
}
