/**
 * Verifies the keyless (or logged key-based) material of a cosign legacy `.sig` layer: the signature over the
 * simple-signing payload, the certificate and chain annotations, and the Rekor SET in the bundle annotation.
 * The layer is read as the v0.1 bundle it amounts to and checked by the same steps as a bundle. Pure: no I/O.
 * The payload's content (docker-manifest-digest, identity) is the caller's to check.
 */
import { SignetError } from "../../errors/index.js";
import { JsonSyntaxError, parseJsonDocument, readJsonBytes, toPlainJson } from "../../internal/json-reader.js";
import { isRecord } from "../../internal/strict-json.js";
import { decodePemBlocks, pemBlockBytes } from "../../keys/pem.js";
import type { UntrustedTlogEntry } from "../../transparency/tlog-entry.js";
import type { TrustMaterial } from "../../trust/trust-material.js";
import { Certificate } from "../../trust/x509.js";
import type { UntrustedBundle, UntrustedSigningKey } from "./parse-bundle.js";
import type { SignerPolicy } from "./policy.js";
import type { VerifiedBundle } from "./verified-bundle.js";
import { verifyParsedBundle } from "./verify-bundle.js";
import { decodeBase64Strict } from "../../internal/base64.js";

export interface UntrustedCosignLayer {
  /** The layer blob: the signed simple-signing payload bytes. */
  readonly payload: Uint8Array;
  /** `dev.cosignproject.cosign/signature`. */
  readonly signatureBase64: string;
  /** `dev.sigstore.cosign/certificate` (PEM leaf); absent for key-based signatures. */
  readonly certificatePem?: string;
  /** `dev.sigstore.cosign/chain` (PEM intermediates, possibly the root: roots here are never trusted). */
  readonly chainPem?: string;
  /** `dev.sigstore.cosign/bundle`: `{"SignedEntryTimestamp","Payload":{body,integratedTime,logIndex,logID}}`. */
  readonly rekorBundleJson?: string;
  /** `dev.sigstore.cosign/rfc3161timestamp`: `{"SignedRFC3161Timestamp":"<base64 TimeStampResp>"}` over the signature. */
  readonly rfc3161TimestampJson?: string;
}

export interface VerifyCosignLayerOptions {
  /** Require a verified Rekor SET (default true). */
  readonly requireTlog?: boolean;
  /** Require an SCT from a CT log of the trust material (default: whenever it lists CT logs). */
  readonly requireSct?: boolean;
  /** The verifier's clock (default now); only used to refuse log times in the future. */
  readonly now?: Date;
  /** With the log waived, the time a certificate is checked at when nothing verified a time (verify-bundle.ts). */
  readonly certificateTimeWithoutTimestamp?: Date;
}

/** What a cosign legacy layer's result says its media type is. */
export const COSIGN_LEGACY_MEDIA_TYPE = "cosign-legacy";

export function verifyCosignKeylessLayer(layer: UntrustedCosignLayer, policy: SignerPolicy, trust: TrustMaterial, options: VerifyCosignLayerOptions = {}): VerifiedBundle {
  const signature = decodeBase64(layer.signatureBase64, "the signature annotation");
  const bundle: UntrustedBundle = {
    mediaType: COSIGN_LEGACY_MEDIA_TYPE,
    version: "0.1",
    signingKey: signingKeyOf(layer),
    tlogEntries: layer.rekorBundleJson === undefined || layer.rekorBundleJson === "" ? [] : [parseRekorBundle(layer.rekorBundleJson)],
    rfc3161Timestamps: layer.rfc3161TimestampJson === undefined || layer.rfc3161TimestampJson === "" ? [] : [parseRfc3161Annotation(layer.rfc3161TimestampJson)],
    content: { type: "messageSignature", signature },
  };
  return verifyParsedBundle(bundle, { bytes: layer.payload }, policy, trust, {
    requireTlog: options.requireTlog ?? true,
    ...(options.requireSct === undefined ? {} : { requireSct: options.requireSct }),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.certificateTimeWithoutTimestamp === undefined ? {} : { certificateTimeWithoutTimestamp: options.certificateTimeWithoutTimestamp }),
  });
}

function invalid(message: string): never {
  throw new SignetError("BUNDLE_INVALID", message, { hint: "The cosign signature's annotations are malformed; re-sign the image." });
}

function decodeBase64(text: string, what: string): Buffer {
  const bytes = decodeBase64Strict(text);
  if (bytes === undefined || bytes.length === 0) invalid(`${what} is not base64`);
  return bytes;
}

function certificates(pem: string, what: string): Certificate[] {
  try {
    return decodePemBlocks(pem)
      .filter((block) => block.label === "CERTIFICATE")
      .map((block) => Certificate.parse(pemBlockBytes(block)));
  } catch (error) {
    return invalid(`${what} is not a PEM certificate: ${(error as Error).message}`);
  }
}

function signingKeyOf(layer: UntrustedCosignLayer): UntrustedSigningKey {
  if (layer.certificatePem === undefined || layer.certificatePem === "") {
    if (layer.chainPem !== undefined && layer.chainPem !== "") invalid("the signature has a chain annotation but no certificate");
    return { type: "publicKey", hint: "" };
  }
  const leaves = certificates(layer.certificatePem, "the certificate annotation");
  if (leaves.length !== 1) invalid(`the certificate annotation must hold one certificate, not ${leaves.length}`);
  // Self-signed certificates in the chain are dropped: anchors come from the trust material only.
  const intermediates = layer.chainPem === undefined ? [] : certificates(layer.chainPem, "the chain annotation").filter((c) => !c.isSelfIssued);
  return { type: "certificate", certificate: leaves[0]!, intermediates };
}

function annotationJson(json: string, what: string): unknown {
  try {
    return toPlainJson(parseJsonDocument(json));
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    return invalid(`${what} is not JSON: ${error.message}`);
  }
}

/** cosign's `dev.sigstore.cosign/rfc3161timestamp` annotation: the TSA's whole TimeStampResp, base64. */
export function parseRfc3161Annotation(json: string): Buffer {
  const value = annotationJson(json, "the RFC 3161 timestamp annotation");
  const encoded = isRecord(value) ? value["SignedRFC3161Timestamp"] : undefined;
  if (typeof encoded !== "string") invalid("the RFC 3161 timestamp annotation lacks its SignedRFC3161Timestamp");
  return decodeBase64(encoded as string, "the SignedRFC3161Timestamp");
}

/** cosign's `dev.sigstore.cosign/bundle` annotation: a Rekor v1 entry with its SET. */
export function parseRekorBundle(json: string): UntrustedTlogEntry {
  const value = annotationJson(json, "the Rekor bundle annotation");
  const record = value as Record<string, unknown> | null;
  const payload = record?.["Payload"] as Record<string, unknown> | undefined;
  if (typeof record !== "object" || record === null || typeof payload !== "object" || payload === null) invalid("the Rekor bundle annotation lacks its Payload");
  const set = record["SignedEntryTimestamp"];
  const body = payload["body"];
  const integratedTime = payload["integratedTime"];
  const logIndex = payload["logIndex"];
  const logID = payload["logID"];
  if (typeof set !== "string" || typeof body !== "string") invalid("the Rekor bundle annotation lacks its SignedEntryTimestamp or body");
  if (!Number.isSafeInteger(integratedTime) || !Number.isSafeInteger(logIndex)) invalid("the Rekor bundle annotation's integratedTime and logIndex must be integers");
  if (typeof logID !== "string" || !/^[0-9a-f]{64}$/.test(logID)) invalid("the Rekor bundle annotation's logID must be 64 lower-case hex digits");
  const canonicalizedBody = decodeBase64(body, "the Rekor entry body");
  let parsed: unknown;
  try {
    parsed = toPlainJson(readJsonBytes(canonicalizedBody));
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    invalid(`the Rekor entry body is not JSON: ${error.message}`);
  }
  const kind = isRecord(parsed) && typeof parsed["kind"] === "string" ? parsed["kind"] : "";
  const version = isRecord(parsed) && typeof parsed["apiVersion"] === "string" ? parsed["apiVersion"] : "";
  if (kind === "" || version === "") invalid("the Rekor entry body names no kind and version");
  return {
    logIndex: BigInt(logIndex as number),
    logID: Buffer.from(logID, "hex"),
    kind,
    version,
    integratedTime: BigInt(integratedTime as number),
    signedEntryTimestamp: decodeBase64(set, "the SignedEntryTimestamp"),
    canonicalizedBody,
  };
}
