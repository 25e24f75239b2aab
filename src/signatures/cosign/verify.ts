import type { KeyObject } from "node:crypto";
import { SignetError, type ErrorCode } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { verifyWithKey } from "../../keys/sign-verify.js";
import { MediaType } from "../../oci/manifest/media-types.js";
import { explainNoImageSignature } from "./image-signatures.js";
import { parseSimpleSigningPayload, type SimpleSigningPayload } from "../payload/simple-signing.js";
import { decodeBase64Strict } from "../../internal/base64.js";

/** One signature as found next to an image; nothing in it is trusted yet. */
export interface UntrustedCosignSignature {
  /** Digest of the signature layer (the payload blob); the blob was checked against it when fetched. */
  layerDigest: Digest;
  /** The layer's media type; a signature layer is `application/vnd.dev.cosign.simplesigning.v1+json`. */
  mediaType: string;
  untrustedPayload: Buffer;
  /** The `dev.cosignproject.cosign/signature` annotation: base64 of the signature over the payload. */
  untrustedSignatureBase64: string | undefined;
  /** All layer annotations, kept for output and for certificate/bundle checks. */
  untrustedAnnotations: Record<string, string>;
}

export interface VerifiedCosignSignature {
  layerDigest: Digest;
  payload: SimpleSigningPayload;
  payloadBytes: Buffer;
  signatureBase64: string;
}

export interface SignatureRejection {
  layerDigest: Digest;
  code: ErrorCode;
  reason: string;
}

export interface CosignVerification {
  verified: VerifiedCosignSignature[];
  rejected: SignatureRejection[];
}

export interface VerifyCosignSignaturesInput {
  imageDigest: Digest;
  untrustedSignatures: readonly UntrustedCosignSignature[];
  /** A signature verifies when any of these keys verifies it. */
  publicKeys: readonly KeyObject[];
  /** Each must appear with this value in the payload's `optional` section (cosign's `-a k=v` on verify). */
  requiredAnnotations?: Readonly<Record<string, string>>;
}

/**
 * Verifies cosign simple-signing signatures for one image digest with public keys. Pure: no I/O.
 * Each signature is checked in this order: signature over the exact payload bytes, payload is a cosign
 * image signature, payload names this digest, required annotations. Every rejection keeps its reason.
 */
export function verifyCosignSignatures(input: VerifyCosignSignaturesInput): CosignVerification {
  const result: CosignVerification = { verified: [], rejected: [] };
  for (const signature of input.untrustedSignatures) {
    try {
      result.verified.push(verifyOne(signature, input));
    } catch (error) {
      if (!SignetError.is(error)) throw error;
      result.rejected.push({ layerDigest: signature.layerDigest, code: error.code, reason: error.message });
    }
  }
  return result;
}

function verifyOne(signature: UntrustedCosignSignature, input: VerifyCosignSignaturesInput): VerifiedCosignSignature {
  if (signature.mediaType !== MediaType.CosignSimpleSigning) {
    throw new SignetError("SIG_PAYLOAD_INVALID", `layer of type ${JSON.stringify(signature.mediaType)} is not a cosign simple-signing signature`);
  }
  const signatureBase64 = signature.untrustedSignatureBase64;
  if (signatureBase64 === undefined || signatureBase64 === "") {
    throw new SignetError("SIG_INVALID", "layer has no dev.cosignproject.cosign/signature annotation");
  }
  const signatureBytes = decodeBase64Strict(signatureBase64);
  if (signatureBytes === undefined) throw new SignetError("SIG_INVALID", "signature annotation is not valid base64");
  if (!input.publicKeys.some((key) => verifyWithKey(key, signature.untrustedPayload, signatureBytes))) {
    throw new SignetError("SIG_INVALID", "signature does not verify with the given key");
  }
  // From here the payload is authentic; now check that it says what we need.
  const payload = parseSimpleSigningPayload(signature.untrustedPayload);
  const signedDigest = payload.critical.image["docker-manifest-digest"];
  if (signedDigest !== input.imageDigest) {
    throw new SignetError("SIG_DIGEST_MISMATCH", `signature is for ${signedDigest}, not ${input.imageDigest}`, {
      details: { signedDigest, imageDigest: input.imageDigest },
    });
  }
  for (const [key, expected] of Object.entries(input.requiredAnnotations ?? {})) {
    const actual = payload.optional?.[key];
    if (actual !== expected) {
      throw new SignetError("SIG_ANNOTATION_MISMATCH", `annotation ${key} is ${actual === undefined ? "missing" : JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    }
  }
  return { layerDigest: signature.layerDigest, payload, payloadBytes: signature.untrustedPayload, signatureBase64 };
}

/**
 * Picks the error that best explains why nothing verified (the most specific reason wins), with the same rules
 * and wording as every other signature format (image-signatures.ts).
 */
export function explainNoVerifiedSignature(imageDigest: Digest, verification: CosignVerification, where: string): SignetError {
  const rejected = verification.rejected.map((r) => ({ format: "cosign-legacy" as const, source: r.layerDigest, code: r.code, reason: r.reason }));
  return explainNoImageSignature(imageDigest, { verified: [], rejected, ignored: [] }, [where]);
}
