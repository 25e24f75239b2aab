import type { Digest } from "../../internal/digest.js";
import { isDigest } from "../../internal/digest.js";
import { goJsonStringify, sortedRecord } from "../../internal/go-json.js";
import { isRecord, parseJsonBytes } from "../../internal/strict-json.js";
import { SignetError } from "../../errors/index.js";

/** The `type` of cosign's simple-signing payload (sigstore/sigstore pkg/signature/payload). */
export const COSIGN_SIGNATURE_TYPE = "cosign container image signature";

export interface SimpleSigningPayload {
  critical: {
    identity: { "docker-reference": string };
    image: { "docker-manifest-digest": Digest };
    type: string;
  };
  /** cosign writes `null` when there are no annotations. */
  optional: Record<string, unknown> | null;
}

export interface PayloadClaims {
  /** The repository the signer named, without tag or digest (as cosign writes it). */
  dockerReference: string;
  manifestDigest: Digest;
  annotations?: Record<string, string>;
}

/** The payload bytes exactly as cosign writes them (Go encoding/json, no trailing newline). */
export function createSimpleSigningPayload(claims: PayloadClaims): Buffer {
  const annotations = claims.annotations && Object.keys(claims.annotations).length > 0 ? sortedRecord(claims.annotations) : null;
  const payload: SimpleSigningPayload = {
    critical: {
      identity: { "docker-reference": claims.dockerReference },
      image: { "docker-manifest-digest": claims.manifestDigest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional: annotations,
  };
  return Buffer.from(goJsonStringify(payload), "utf8");
}

/**
 * Parses payload bytes whose signature has already verified. Everything is checked: a payload of another
 * type (an attestation, an atomic signature, plain text) is not a cosign image signature.
 */
export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningPayload {
  const value = parseJsonBytes(bytes, "signature payload", "SIG_PAYLOAD_INVALID");
  const fail = (why: string): never => {
    throw new SignetError("SIG_PAYLOAD_INVALID", `signature payload ${why}`);
  };
  if (!isRecord(value)) return fail("is not a JSON object");
  const critical = value["critical"];
  if (!isRecord(critical)) return fail("has no critical section");
  if (critical["type"] !== COSIGN_SIGNATURE_TYPE) {
    return fail(`has type ${JSON.stringify(critical["type"])}, expected ${JSON.stringify(COSIGN_SIGNATURE_TYPE)}`);
  }
  const identity = critical["identity"];
  const image = critical["image"];
  if (!isRecord(identity) || typeof identity["docker-reference"] !== "string") return fail("has no critical.identity.docker-reference");
  if (!isRecord(image) || typeof image["docker-manifest-digest"] !== "string") return fail("has no critical.image.docker-manifest-digest");
  const digest = image["docker-manifest-digest"];
  if (!isDigest(digest)) return fail(`names an invalid digest ${JSON.stringify(digest.slice(0, 80))}`);
  const optional = value["optional"];
  if (optional !== null && optional !== undefined && !isRecord(optional)) return fail("has an optional section that is not an object");
  return {
    critical: { identity: { "docker-reference": identity["docker-reference"] }, image: { "docker-manifest-digest": digest }, type: COSIGN_SIGNATURE_TYPE },
    optional: optional ?? null,
  };
}
