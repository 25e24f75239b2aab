/**
 * swr-cosign's detached GPG signature object: a JSON object
 *   {"PublicKeyID": "<GPG key ID or fingerprint>", "Signature": "<base64 of an ASCII-armored detached GPG signature>",
 *    "SerializedPayload": "<base64 of the signed payload>"}
 * stored as `<base>/<namespace>/<repository>/<sha256 hex>.asc` (the image's repository path without the registry
 * host, then the hex of its manifest digest) under a file:, http: or https: base (an object storage bucket).
 * The two base64 fields are Go's `encoding/json` spelling of a string and a `[]byte`; both are decoded as Go's
 * StdEncoding (padding required, line breaks skipped). The payload is a cosign simple-signing payload or an atomic
 * container signature, read by their one parsers. Nothing here is trusted until verify-record.ts checks the
 * signature with a keyring.
 */
import { SignetError } from "../../errors/index.js";
import { decodeBase64Strict } from "../../internal/base64.js";
import { digestAlgorithm, digestHex, parseDigest, type Digest } from "../../internal/digest.js";
import { caseVariantProblem, parseSignedJson } from "../../internal/json-reader.js";
import { LIMITS } from "../../internal/limits.js";
import type { ImageReference } from "../../oci/reference/index.js";
import { ATOMIC_SIGNATURE_TYPE } from "./payload.js";
import { parseBaseUrl, readStoredSignatureObject, repositoryPath, type ReadLookasideOptions } from "./lookaside.js";

export const SWR_ASC_FIELDS = ["PublicKeyID", "Signature", "SerializedPayload"] as const;

/** An `.asc` object as read: nothing in it is verified. */
export interface UntrustedSwrAscObject {
  /** The key the object says signed it: a hint, compared with the key that verified. */
  readonly untrustedPublicKeyId: string;
  /** The detached signature (ASCII-armored, as `gpg --armor --detach-sign` writes it). */
  readonly untrustedSignature: Buffer;
  readonly untrustedPayload: Buffer;
}

/** The URL of the `.asc` object of `digest` (sha256 only) of `reference`'s repository under `base`. */
export function swrAscObjectUrl(base: string, reference: ImageReference, digest: Digest | string): URL {
  const checked = parseDigest(digest);
  if (digestAlgorithm(checked) !== "sha256") {
    throw new SignetError("DIGEST_INVALID", `swr-cosign .asc objects are named by sha256 digests, not ${digestAlgorithm(checked)}`, { details: { digest: checked } });
  }
  const url = parseBaseUrl(base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${repositoryPath(reference)}/${digestHex(checked)}.asc`;
  return url;
}

/** Reads the `.asc` object of a digest; undefined when the store has none. Bounded (LIMITS.swrAscObjectBytes). */
export function readSwrAscObject(base: string, reference: ImageReference, digest: Digest | string, options: Pick<ReadLookasideOptions, "fetchTimeoutMs" | "dispatcher"> = {}): Promise<{ url: URL; bytes: Buffer | undefined }> {
  const url = swrAscObjectUrl(base, reference, digest);
  return readStoredSignatureObject(url, LIMITS.swrAscObjectBytes, options).then((bytes) => ({ url, bytes }));
}

/** Parses an object's JSON (the one signed-JSON reader: no duplicate keys, no case variants, nothing after it). */
export function parseSwrAscObject(untrustedBytes: Uint8Array): UntrustedSwrAscObject {
  if (untrustedBytes.length > LIMITS.swrAscObjectBytes) {
    throw invalid(`it is ${untrustedBytes.length} bytes, more than the limit of ${LIMITS.swrAscObjectBytes}`);
  }
  const value = parseSignedJson(untrustedBytes, "the swr-cosign .asc object", "SIG_INVALID");
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid("it is not a JSON object");
  const record = value as Record<string, unknown>;
  const variant = caseVariantProblem(record, SWR_ASC_FIELDS, "the .asc object");
  if (variant !== undefined) throw invalid(variant);
  const unknown = Object.keys(record).filter((key) => !(SWR_ASC_FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) throw invalid(`it has the unknown field${unknown.length === 1 ? "" : "s"} ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(", ")}`);
  const text = (field: (typeof SWR_ASC_FIELDS)[number]): string => {
    const v = record[field];
    if (typeof v !== "string") throw invalid(`${field} is ${v === undefined ? "missing" : "not a string"}`);
    return v;
  };
  const base64 = (field: "Signature" | "SerializedPayload"): Buffer => {
    const decoded = decodeBase64Strict(text(field), "go-std");
    if (decoded === undefined || decoded.length === 0) throw invalid(`${field} is not base64 (Go's StdEncoding, padded)`);
    return decoded;
  };
  const publicKeyId = text("PublicKeyID");
  if (publicKeyId !== "" && !/^(?:0x)?[0-9A-Fa-f]{8,40}$/.test(publicKeyId)) throw invalid("PublicKeyID is not a hex GPG key ID or fingerprint");
  return { untrustedPublicKeyId: publicKeyId.replace(/^0x/, "").toUpperCase(), untrustedSignature: base64("Signature"), untrustedPayload: base64("SerializedPayload") };
}

/** The object's bytes, fields in swr-cosign's order (Go writes struct fields in declaration order). */
export function createSwrAscObject(input: { readonly publicKeyId: string; readonly armoredSignature: Uint8Array; readonly payload: Uint8Array }): Buffer {
  return Buffer.from(
    JSON.stringify({
      PublicKeyID: input.publicKeyId,
      Signature: Buffer.from(input.armoredSignature).toString("base64"),
      SerializedPayload: Buffer.from(input.payload).toString("base64"),
    }),
  );
}

/** True when `keyId` (a key ID or fingerprint, upper-case hex) names the key with `fingerprint`. */
export function keyIdNames(keyId: string, fingerprint: string): boolean {
  return keyId.length >= 8 && fingerprint.toUpperCase().endsWith(keyId);
}

/** Whether a payload says it is an atomic container signature: which of the two parsers reads it (that parser decides). */
export function isAtomicPayload(bytes: Uint8Array): boolean {
  try {
    const critical = (parseSignedJson(bytes, "the payload", "SIG_PAYLOAD_INVALID") as { critical?: { type?: unknown } } | null)?.critical;
    return typeof critical === "object" && critical !== null && critical.type === ATOMIC_SIGNATURE_TYPE;
  } catch {
    return false; // the cosign parser then reports what is wrong with it
  }
}

function invalid(problem: string): SignetError {
  return new SignetError("SIG_INVALID", `not an swr-cosign .asc object: ${problem}`, {
    hint: 'An .asc object is {"PublicKeyID": KEYID, "Signature": base64 of `gpg --armor --detach-sign`, "SerializedPayload": base64 of the payload}: re-create it, e.g. with `signet sign --gpg-key KEY --swr-asc DIR`.',
    details: { reason: "malformed" },
  });
}
