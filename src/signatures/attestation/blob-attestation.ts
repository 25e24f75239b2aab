/**
 * Attestations about a file (cosign's `attest-blob` and `verify-blob-attestation`): the in-toto statement names the
 * file and its sha256 digest. Signing reuses the image attestation's envelope and bundle writers; verifying is the
 * one attestation verifier (verify-attestations.ts) with the file's digest as the subject, the envelope read as a
 * `.att` layer would be (or a sigstore bundle as a referrer would be).
 */
import { SignetError } from "../../errors/index.js";
import { sha256Digest, type Digest } from "../../internal/digest.js";
import { isRecord } from "../../internal/strict-json.js";
import { decodeBase64Strict } from "../../internal/base64.js";
import { parseSignedJson } from "../../internal/json-reader.js";
import type { SignerRequirement } from "../cosign/keyless.js";
import { createDsseBundle } from "../cosign/sign-bundle.js";
import { CosignAnnotation } from "../cosign/signature-manifest.js";
import { buildAttestationStatement } from "./build-statement.js";
import { DSSE_LAYER_MEDIA_TYPE } from "./discover-attestations.js";
import { IN_TOTO_PAYLOAD_TYPE } from "./dsse.js";
import { serializeStatement } from "./in-toto-statement.js";
import { legacyEnvelope, type AttestationSigner } from "./sign-attestation.js";
import { verifyAttestations, type VerifiedAttestation } from "./verify-attestations.js";
import { explainNoAttestation } from "./attestation-results.js";

export interface AttestBlobInput {
  readonly signer: AttestationSigner;
  /** A cosign `--type` name or a predicate type URI. */
  readonly type: string;
  readonly predicate: Buffer;
  readonly blob: Uint8Array;
  /** The subject's name: the file's base name, as cosign writes it. */
  readonly name: string;
  /** A sigstore bundle (cosign's --new-bundle-format) instead of cosign's local bundle. */
  readonly bundleFormat: boolean;
  readonly now?: Date;
}

export interface AttestedBlob {
  readonly statement: Buffer;
  /** The DSSE envelope (what `attest-blob` prints or writes with --output-signature). */
  readonly envelope: Buffer;
  /** cosign's bundle file: its local bundle ({base64Signature, cert, rekorBundle}), or a sigstore bundle. */
  readonly bundle: Buffer;
  readonly logIndex?: string;
}

export async function attestBlob(input: AttestBlobInput): Promise<AttestedBlob> {
  const digest = sha256Digest(input.blob);
  const statement = serializeStatement(buildAttestationStatement({ type: input.type, predicate: input.predicate, imageDigest: digest, repository: input.name, ...(input.now ? { now: input.now } : {}) }));
  if (input.bundleFormat) {
    const { bundle, logIndex } = await createDsseBundle(input.signer, IN_TOTO_PAYLOAD_TYPE, statement);
    const envelope = Buffer.from(JSON.stringify((JSON.parse(bundle.toString("utf8")) as { dsseEnvelope: unknown }).dsseEnvelope));
    return { statement, envelope, bundle, ...(logIndex !== undefined ? { logIndex } : {}) };
  }
  const { envelope, annotations, logIndex } = await legacyEnvelope(input.signer, statement);
  const rekorBundle = annotations[CosignAnnotation.bundle];
  const local: Record<string, unknown> = { base64Signature: envelope.toString("base64") };
  if (input.signer.certificatePem !== undefined) local["cert"] = Buffer.from(input.signer.certificatePem).toString("base64");
  if (rekorBundle !== undefined) local["rekorBundle"] = JSON.parse(rekorBundle) as unknown;
  return { statement, envelope, bundle: Buffer.from(JSON.stringify(local)), ...(logIndex !== undefined ? { logIndex } : {}) };
}

export interface VerifyBlobAttestationInput {
  readonly blobDigest: Digest;
  /** A DSSE envelope (`--signature`), cosign's local bundle or a sigstore bundle (`--bundle`). Untrusted. */
  readonly untrusted: { readonly kind: "envelope" | "bundle"; readonly bytes: Buffer; readonly source: string };
  readonly signer: SignerRequirement;
  readonly predicateType?: string;
}

/** Verifies one attestation of a file; throws the ranked explanation when it does not verify. Pure. */
export function verifyBlobAttestation(input: VerifyBlobAttestationInput): VerifiedAttestation {
  const { kind, bytes, source } = input.untrusted;
  const common = { imageDigest: input.blobDigest, signer: input.signer, ...(input.predicateType !== undefined ? { predicateType: input.predicateType } : {}) };
  let verification;
  if (kind === "envelope") {
    verification = verifyAttestations({ ...common, legacy: [asLayer(bytes, {}, source)] });
  } else {
    const untrustedBundle = parseSignedJson(bytes, `the bundle ${source}`, "BUNDLE_INVALID");
    if (isRecord(untrustedBundle) && typeof untrustedBundle["base64Signature"] === "string") {
      verification = verifyAttestations({ ...common, legacy: [fromLocalBundle(untrustedBundle, source)] });
    } else {
      verification = verifyAttestations({ ...common, bundles: [{ manifestDigest: sha256Digest(bytes), mediaType: "application/vnd.dev.sigstore.bundle+json", untrustedBundleBytes: bytes, untrustedAnnotations: {} }] });
    }
  }
  const verified = verification.verified[0];
  if (verified === undefined) throw explainNoAttestation(input.blobDigest, verification, [source], input.predicateType);
  return verified;
}

/** cosign's local bundle: base64 of the envelope, the certificate (base64 of PEM) and the Rekor bundle (as the .att layer annotations). */
function fromLocalBundle(untrusted: Record<string, unknown>, source: string) {
  const envelope = decodeBase64Strict(String(untrusted["base64Signature"]), "std-exact");
  if (envelope === undefined) throw new SignetError("BUNDLE_INVALID", `the base64Signature of ${source} is not base64`);
  const annotations: Record<string, string> = {};
  if (typeof untrusted["cert"] === "string" && untrusted["cert"] !== "") {
    const pem = decodeBase64Strict(untrusted["cert"], "std-exact");
    if (pem === undefined) throw new SignetError("BUNDLE_INVALID", `the cert of ${source} is not base64`);
    annotations[CosignAnnotation.certificate] = pem.toString("utf8");
  }
  if (untrusted["rekorBundle"] !== undefined && untrusted["rekorBundle"] !== null) annotations[CosignAnnotation.bundle] = JSON.stringify(untrusted["rekorBundle"]);
  return asLayer(envelope, annotations, source);
}

function asLayer(envelope: Buffer, untrustedAnnotations: Record<string, string>, source: string) {
  if (envelope.length === 0) throw new SignetError("ATTESTATION_INVALID", `${source} holds no envelope`);
  return { layerDigest: sha256Digest(envelope), mediaType: DSSE_LAYER_MEDIA_TYPE, untrustedPayload: envelope, untrustedSignatureBase64: undefined, untrustedAnnotations };
}
