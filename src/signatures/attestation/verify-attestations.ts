/**
 * Verifies an image's attestations in both forms cosign writes (pure: no I/O): DSSE envelopes in the layers of
 * the legacy `.att` tag (key, key + log, or keyless with certificate, chain and Rekor bundle annotations), and
 * DSSE sigstore bundles attached as referrers. Each must be signed as required, carry an in-toto statement of the
 * required predicate type, and name the image digest as its subject. Nothing verified is never success (A.4).
 */
import { SignetError, type ErrorCode } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { digestAlgorithm, digestHex } from "../../internal/digest.js";
import type { UntrustedOciBundle } from "../bundle-oci/discover-bundles.js";
import { verifyBundleSigner, verifyLegacySigner, withGivenCertificate, type SignerProof, type SignerRequirement } from "../cosign/keyless.js";
import type { UntrustedCosignSignature } from "../verifier/records.js";
import { legacyAttestationAsBundle } from "./legacy-attestation-bundle.js";
import { checkAttestationPayload, precheckAttestationBundle } from "./check-attestation.js";
import { DSSE_LAYER_MEDIA_TYPE } from "./discover-attestations.js";
import { parseDsseEnvelope, preAuthEncoding, type UntrustedDsseEnvelope } from "./dsse.js";
import type { InTotoStatement } from "./in-toto-statement.js";
import { parseSignedJson } from "../../internal/json-reader.js";

export type AttestationFormat = "cosign-legacy" | "sigstore-bundle";

export interface VerifiedAttestation {
  readonly format: AttestationFormat;
  /** The `.att` layer digest or the referrer manifest digest. */
  readonly source: string;
  readonly statement: InTotoStatement;
  /** The exact signed statement bytes. */
  readonly statementBytes: Buffer;
  /** The envelope as cosign prints it: payloadType, payload (base64), signatures. */
  readonly envelope: { readonly payloadType: string; readonly payload: string; readonly signatures: readonly { readonly keyid: string; readonly sig: string }[] };
  readonly signer: SignerProof;
}

export interface AttestationRejection {
  readonly format: AttestationFormat;
  readonly source: string;
  readonly code: ErrorCode;
  readonly reason: string;
}

export interface AttestationVerification {
  readonly verified: VerifiedAttestation[];
  readonly rejected: AttestationRejection[];
}

export interface VerifyAttestationsInput {
  readonly imageDigest: Digest;
  readonly legacy?: readonly UntrustedCosignSignature[];
  readonly bundles?: readonly UntrustedOciBundle[];
  readonly signer: SignerRequirement;
  /** The predicate type URI required; undefined accepts any. */
  readonly predicateType?: string;
}

export function verifyAttestations(input: VerifyAttestationsInput): AttestationVerification {
  const result: AttestationVerification = { verified: [], rejected: [] };
  for (const layer of input.legacy ?? []) {
    try {
      result.verified.push(verifyLegacyAttestation(layer, input));
    } catch (error) {
      if (!SignetError.is(error)) throw error;
      result.rejected.push({ format: "cosign-legacy", source: layer.layerDigest, code: error.code, reason: error.message });
    }
  }
  for (const bundle of input.bundles ?? []) {
    try {
      result.verified.push(verifyBundleAttestation(bundle, input));
    } catch (error) {
      if (!SignetError.is(error)) throw error;
      result.rejected.push({ format: "sigstore-bundle", source: bundle.manifestDigest, code: error.code, reason: error.message });
    }
  }
  return result;
}

function verifyLegacyAttestation(layer: UntrustedCosignSignature, input: VerifyAttestationsInput): VerifiedAttestation {
  if (layer.mediaType !== DSSE_LAYER_MEDIA_TYPE) {
    throw new SignetError("ATTESTATION_INVALID", `layer of type ${JSON.stringify(layer.mediaType.slice(0, 100))} is not a DSSE attestation`);
  }
  const envelope = parseDsseEnvelope(layer.untrustedPayload, "the attestation layer");
  const signer = verifyEnvelopeSigner(envelope, input.signer, layer.untrustedAnnotations, input.imageDigest);
  // From here the payload and its type are authentic.
  const checked = checkAttestationPayload(envelope.payloadType, envelope.payload, { imageDigest: input.imageDigest, ...(input.predicateType !== undefined ? { predicateType: input.predicateType } : {}) });
  return { format: "cosign-legacy", source: layer.layerDigest, ...checked, envelope: printable(envelope), signer };
}

/**
 * The first of the envelope's signatures that meets the requirement; the most telling failure otherwise. A key
 * alone checks the signatures over PAE; a certificate or a required log goes through the bundle verifier, with
 * the layer read as the v0.1 bundle it amounts to (its Rekor entry is a dsse or intoto entry about the envelope).
 */
function verifyEnvelopeSigner(envelope: UntrustedDsseEnvelope, requirement: SignerRequirement, annotations: Readonly<Record<string, string>>, imageDigest: Digest): SignerProof {
  if (requirement.kind === "identity" || requirement.log?.required === true) {
    const artifact = { digest: { algorithm: digestAlgorithm(imageDigest) as "sha256" | "sha512", hex: digestHex(imageDigest) } };
    return verifyBundleSigner(requirement, legacyAttestationAsBundle(envelope, withGivenCertificate(requirement, annotations)), artifact);
  }
  const pae = preAuthEncoding(envelope.payloadType, envelope.payload);
  let failure: SignetError | undefined;
  for (const signature of envelope.signatures) {
    try {
      return verifyLegacySigner(requirement, { signedBytes: pae, signatureBase64: signature.sig.toString("base64"), untrustedAnnotations: annotations });
    } catch (error) {
      if (!SignetError.is(error)) throw error;
      if (failure === undefined || failure.code === "SIG_INVALID") failure = error;
    }
  }
  throw failure ?? new SignetError("SIG_INVALID", "the envelope has no signature");
}

function verifyBundleAttestation(bundle: UntrustedOciBundle, input: VerifyAttestationsInput): VerifiedAttestation {
  const untrustedBundle = parseSignedJson(bundle.untrustedBundleBytes, "the sigstore bundle", "BUNDLE_INVALID");
  precheckAttestationBundle(untrustedBundle);
  const artifact = { digest: { algorithm: digestAlgorithm(input.imageDigest) as "sha256" | "sha512", hex: digestHex(input.imageDigest) } };
  const signer = verifyBundleSigner(input.signer, untrustedBundle, artifact);
  const verified = signer.verified;
  if (verified === undefined || verified.contentKind !== "dsseEnvelope" || verified.payloadType === undefined || verified.payload === undefined) {
    throw new SignetError("ATTESTATION_INVALID", "the bundle holds a message signature, not a DSSE attestation");
  }
  const checked = checkAttestationPayload(verified.payloadType, verified.payload, { imageDigest: input.imageDigest, ...(input.predicateType !== undefined ? { predicateType: input.predicateType } : {}) });
  const signatures = ((untrustedBundle as { dsseEnvelope?: { signatures?: { sig?: unknown; keyid?: unknown }[] } }).dsseEnvelope?.signatures ?? []).map((s) => ({
    keyid: typeof s.keyid === "string" ? s.keyid : "",
    sig: typeof s.sig === "string" ? s.sig : "",
  }));
  return {
    format: "sigstore-bundle",
    source: bundle.manifestDigest,
    ...checked,
    envelope: { payloadType: verified.payloadType, payload: Buffer.from(verified.payload).toString("base64"), signatures },
    signer,
  };
}

function printable(envelope: UntrustedDsseEnvelope): VerifiedAttestation["envelope"] {
  return { payloadType: envelope.payloadType, payload: envelope.payload.toString("base64"), signatures: envelope.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig.toString("base64") })) };
}
