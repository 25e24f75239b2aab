/**
 * DSSE envelopes (github.com/secure-systems-lab/dsse): the signature covers PAE(payloadType, payload), so the
 * payload type is signed too and cannot be swapped (security case A.11). Lengths in PAE are byte lengths of the
 * UTF-8 encoding, never string lengths.
 */
import type { KeyObject } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import { verifyWithKey } from "../../keys/sign-verify.js";
import type { Signer } from "../../keys/signer.js";
import { goJsonStringify } from "../../internal/go-json.js";
import { isRecord } from "../../internal/strict-json.js";
import { caseVariantProblem, parseSignedJson } from "../../internal/json-reader.js";
import { decodeBase64Strict } from "../../internal/base64.js";
import { LIMITS } from "../../internal/limits.js";

/** The payload type of an in-toto statement; the only one an attestation may have. */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/** Signatures examined per envelope (a bundle-bomb bound; real envelopes carry one or two). */
export const MAX_DSSE_SIGNATURES = LIMITS.dsseSignatures;

export interface DsseSignature {
  readonly keyid: string;
  readonly sig: Buffer;
}

/** A parsed envelope; nothing in it is verified. */
export interface UntrustedDsseEnvelope {
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signatures: readonly DsseSignature[];
}

/** Pre-Authentication Encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, "ascii"), type, Buffer.from(` ${payload.length} `, "ascii"), payload]);
}

/** Signs a payload into an envelope, laid out as cosign writes it: payloadType, payload, signatures[{keyid, sig}]. */
export async function signDsseEnvelope(key: Signer, payloadType: string, payload: Uint8Array): Promise<Buffer> {
  const sig = await key.sign(preAuthEncoding(payloadType, payload));
  const envelope = { payloadType, payload: Buffer.from(payload).toString("base64"), signatures: [{ keyid: "", sig: sig.toString("base64") }] };
  return Buffer.from(goJsonStringify(envelope), "utf8");
}

/** Fields cosign reads with Go's encoding/json, which would also take `"PayloadType"` or `"Sig"` for them. */
const ENVELOPE_FIELDS = ["payloadType", "payload", "signatures"] as const;
const SIGNATURE_FIELDS = ["keyid", "sig"] as const;

/**
 * Parses envelope JSON strictly: payloadType and payload strings, the payload non-empty base64, at least one
 * signature, each with base64 `sig`. Throws ATTESTATION_INVALID.
 */
export function parseDsseEnvelope(untrustedBytes: Uint8Array, what = "the DSSE envelope"): UntrustedDsseEnvelope {
  const value = parseSignedJson(untrustedBytes, what, "ATTESTATION_INVALID");
  return toDsseEnvelope(value, what);
}

/** The same checks on an already-parsed JSON value (a bundle's `dsseEnvelope`). */
export function toDsseEnvelope(value: unknown, what = "the DSSE envelope"): UntrustedDsseEnvelope {
  const fail = (problem: string): never => {
    throw new SignetError("ATTESTATION_INVALID", `${what} ${problem}`);
  };
  if (!isRecord(value)) return fail("is not a JSON object");
  const valueVariant = caseVariantProblem(value, ENVELOPE_FIELDS, "the envelope");
  if (valueVariant !== undefined) fail(valueVariant);
  const { payloadType, payload, signatures } = value;
  if (typeof payloadType !== "string" || payloadType === "") return fail("has no payloadType");
  if (typeof payload !== "string" || payload === "") return fail("has an empty payload");
  const payloadBytes = decodeBase64(payload);
  if (payloadBytes === undefined || payloadBytes.length === 0) return fail("has a payload that is not base64");
  if (!Array.isArray(signatures) || signatures.length === 0) return fail("has no signatures");
  if (signatures.length > MAX_DSSE_SIGNATURES) return fail(`has ${signatures.length} signatures; at most ${MAX_DSSE_SIGNATURES} are examined`);
  const parsed = signatures.map((entry, index): DsseSignature => {
    if (!isRecord(entry)) return fail(`signature ${index} is not an object`);
    const entryVariant = caseVariantProblem(entry, SIGNATURE_FIELDS, `signature ${index}`);
    if (entryVariant !== undefined) fail(entryVariant);
    const keyid = entry["keyid"] ?? "";
    if (typeof keyid !== "string") return fail(`signature ${index} has a keyid that is not a string`);
    const sig = typeof entry["sig"] === "string" ? decodeBase64(entry["sig"]) : undefined;
    if (sig === undefined || sig.length === 0) return fail(`signature ${index} has no base64 sig`);
    return { keyid, sig };
  });
  return { payloadType, payload: payloadBytes, signatures: parsed };
}

/**
 * Checks that one of the envelope's signatures verifies over PAE with one of the keys. Returns the index of the
 * key that verified; throws SIG_INVALID otherwise.
 */
export function verifyDsseSignatures(envelope: UntrustedDsseEnvelope, publicKeys: readonly KeyObject[]): number {
  const pae = preAuthEncoding(envelope.payloadType, envelope.payload);
  for (const signature of envelope.signatures) {
    const index = publicKeys.findIndex((key) => verifyWithKey(key, pae, signature.sig));
    if (index !== -1) return index;
  }
  throw new SignetError("SIG_INVALID", `none of the ${envelope.signatures.length} DSSE signature(s) verifies with the given key${publicKeys.length === 1 ? "" : "s"}`);
}

/**
 * DSSE allows standard or URL-safe base64, padded or not; anything else (stray characters, mixed alphabets,
 * wrong padding) is refused.
 */
function decodeBase64(text: string): Buffer | undefined {
  return decodeBase64Strict(text, "std-or-url");
}
