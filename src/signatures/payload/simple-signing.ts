import type { Digest } from "../../internal/digest.js";
import { goJsonStringify, sortedRecord } from "../../internal/go-json.js";
import { readSignedImagePayload, type SignedImagePayloadFormat } from "./signed-image-payload.js";

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

/**
 * Payloads this process wrote without annotations, by the buffer handed out, with a private copy of their bytes
 * and what they say. A verify rebuilds each image's standard payload (discover.ts) and, when the `.sig` layer is
 * that payload, verifies the signature over those very bytes: parsing them again would only read back the claims
 * they were made from. The copy is compared first, so a buffer changed since is parsed like any other.
 */
const written = new WeakMap<Uint8Array, { bytes: Buffer; payload: SimpleSigningPayload }>();

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
  const bytes = Buffer.from(goJsonStringify(payload), "utf8");
  if (annotations === null) written.set(bytes, { bytes: Buffer.from(bytes), payload });
  return bytes;
}

const COSIGN_PAYLOAD: SignedImagePayloadFormat = {
  type: COSIGN_SIGNATURE_TYPE,
  name: "cosign signature payload",
  hint: "The signed payload is not a cosign image signature (it may be an attestation or another attachment).",
  optionalMayBeNull: true,
};

/**
 * THE parser of cosign simple-signing payloads, for every caller (the verify path and policy.json's
 * sigstoreSigned alike). Call it on payload bytes whose signature has verified; it checks the structure as
 * strictly as containers/image's UntrustedSigstorePayload (signed-image-payload.ts): exactly `critical` and
 * `optional`; `critical` exactly `type` (this type), `image` and `identity`; no key twice, no case variant of a
 * known key, no byte order mark, nothing after the JSON. Throws SIG_PAYLOAD_INVALID. The claims it returns are
 * still the signer's: the caller compares the digest with the image's.
 */
export function parseSimpleSigningPayload(untrustedBytes: Uint8Array): SimpleSigningPayload {
  const known = written.get(untrustedBytes);
  if (known !== undefined && known.bytes.equals(untrustedBytes)) {
    const { critical } = known.payload;
    return { critical: { identity: { ...critical.identity }, image: { ...critical.image }, type: critical.type }, optional: null };
  }
  const payload = readSignedImagePayload(untrustedBytes, COSIGN_PAYLOAD);
  return {
    critical: {
      identity: { "docker-reference": payload.dockerReference },
      image: { "docker-manifest-digest": payload.manifestDigest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional: payload.optional === null ? null : { ...payload.optional },
  };
}
