import { SignetError } from "../../errors/index.js";
import { parseDigest, type Digest } from "../../internal/digest.js";
import { goJsonStringify } from "../../internal/go-json.js";
import { parseNormalizedName } from "../../oci/reference/index.js";
import { readSignedImagePayload, type SignedImagePayloadFormat } from "../payload/signed-image-payload.js";

/** `critical.type` of containers/image simple signing (docs/containers-signature.5.md). */
export const ATOMIC_SIGNATURE_TYPE = "atomic container signature";

/** The claims of an atomic container signature. Only `dockerReference` and `manifestDigest` are signed claims a policy may use. */
export interface AtomicPayload {
  /** As the signer wrote it, e.g. "registry.example/ns/app:1.0"; it is a valid docker reference. */
  dockerReference: string;
  manifestDigest: Digest;
  /** Informational only (`optional.creator`), e.g. "atomic 5.23.1". */
  creator?: string;
  /** Informational only (`optional.timestamp`), seconds since the epoch. */
  timestamp?: number;
}

const PAYLOAD_HINT = "The signed payload is not a containers/image atomic container signature (docs/containers-signature.5.md).";

/**
 * The payload bytes exactly as containers/image writes them (`untrustedSignature.MarshalJSON`): Go's
 * encoding/json over maps, so keys sorted, HTML characters escaped, no trailing newline.
 */
export function createAtomicPayload(claims: { dockerReference: string; manifestDigest: Digest | string; creator?: string; timestamp?: number }): Buffer {
  parseNormalizedName(claims.dockerReference); // never sign something no verifier could match
  const manifestDigest = parseDigest(claims.manifestDigest);
  if (claims.timestamp !== undefined && !Number.isSafeInteger(claims.timestamp)) {
    throw new SignetError("USAGE", `the signature timestamp must be whole seconds, got ${claims.timestamp}`);
  }
  const optional: Record<string, string | number> = {};
  if (claims.creator !== undefined) optional["creator"] = claims.creator;
  if (claims.timestamp !== undefined) optional["timestamp"] = claims.timestamp;
  const payload = {
    critical: {
      identity: { "docker-reference": claims.dockerReference },
      image: { "docker-manifest-digest": manifestDigest },
      type: ATOMIC_SIGNATURE_TYPE,
    },
    optional,
  };
  return Buffer.from(goJsonStringify(payload), "utf8");
}

const ATOMIC_PAYLOAD: SignedImagePayloadFormat = { type: ATOMIC_SIGNATURE_TYPE, name: "atomic signature payload", hint: PAYLOAD_HINT, optionalMayBeNull: false };

/**
 * THE parser of atomic container signature payloads. Reads payload bytes as strictly as containers/image's
 * `strictUnmarshalJSON` (signature/simple.go), through the reader it shares with cosign payloads
 * (signatures/payload/signed-image-payload.ts). Beyond upstream's parser, `docker-reference` must be a valid
 * reference (upstream refuses an invalid one later, when matching the policy). Throws SIG_PAYLOAD_INVALID.
 */
export function parseAtomicPayload(untrustedBytes: Uint8Array): AtomicPayload {
  const payload = readSignedImagePayload(untrustedBytes, ATOMIC_PAYLOAD);
  try {
    parseNormalizedName(payload.dockerReference);
  } catch (error) {
    const shown = payload.dockerReference.length > 100 ? `${payload.dockerReference.slice(0, 100)}…` : payload.dockerReference;
    throw new SignetError("SIG_PAYLOAD_INVALID", `atomic signature payload names an invalid docker reference ${JSON.stringify(shown)}`, {
      hint: PAYLOAD_HINT,
      details: { dockerReference: shown },
      cause: error,
    });
  }
  return {
    dockerReference: payload.dockerReference,
    manifestDigest: payload.manifestDigest,
    ...(payload.creator !== undefined ? { creator: payload.creator } : {}),
    ...(payload.timestamp !== undefined ? { timestamp: payload.timestamp } : {}),
  };
}
