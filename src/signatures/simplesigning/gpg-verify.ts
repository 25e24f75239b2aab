import { SignetError } from "../../errors/index.js";
import type { GpgKeyring, KeyCandidate } from "./gpg-keyring.js";
import { UnsupportedAlgorithmError, verifySignatureValues } from "./openpgp-crypto.js";
import { PacketFormatError } from "./openpgp-packets.js";
import { MessageFormatError, parseDetachedSignature, parseSignedMessage, type UntrustedSignaturePacket, type UntrustedSignedMessage } from "./openpgp-signed-message.js";
import { decodeBase64Strict } from "../../internal/base64.js";
import { LIMITS } from "../../internal/limits.js";

/** Why a GPG signature was refused; `details.reason` of the SIG_INVALID error. */
export type GpgRejectionReason =
  | "malformed"
  | "not-signed"
  | "unknown-key"
  | "bad-signature"
  | "unsupported-algorithm"
  | "key-revoked"
  | "subkey-revoked"
  | "key-expired"
  | "subkey-expired"
  | "signature-expired"
  | "time-conflict"
  | "key-not-usable";

export interface GpgVerification {
  /** The signed content (the literal data), verified but not yet parsed. */
  payload: Buffer;
  /** The primary key's fingerprint, upper-case hex: the identity containers/image reports, also for subkey signatures. */
  signerFingerprint: string;
  /** The fingerprint of the key that made the signature (a subkey or the primary key), upper-case hex. */
  signingKeyFingerprint: string;
}

export interface GpgVerifyOptions {
  /** The time at which keys and the signature must be valid; default now (as gpgme does). */
  now?: Date;
}

/** Signatures are small; anything bigger is refused before parsing (containers/image: MaxSignatureBodySize). */
export const MAX_GPG_SIGNATURE_BYTES = LIMITS.gpgSignatureBytes;

const HINT = "No trusted GPG key made this signature, or it was changed; the reason says which check failed.";

/**
 * Verifies an OpenPGP signed message (one-pass signature, literal data, signature, optionally compressed; as
 * gpg and skopeo write it) with the keys of `keyring`, and returns the signed content. Behaves as
 * containers/image with gpgme: exactly one signature; a signing subkey of a keyring key is accepted and
 * reported by its primary key's fingerprint; a revoked or expired (at `now`) key or subkey, an expired
 * signature, or an unknown key are refused with SIG_INVALID and `details.reason`.
 */
export async function verifyGpgSignature(
  keyring: GpgKeyring,
  untrustedSignature: Uint8Array,
  options: GpgVerifyOptions = {},
): Promise<GpgVerification> {
  return verifyParsedSignature(keyring, readMessage(untrustedSignature), options);
}

/**
 * Verifies a detached OpenPGP signature (`gpg --detach-sign`, binary or `--armor`) over `untrustedData` with the
 * keys of `keyring`, with the same checks as verifyGpgSignature; the payload returned is `untrustedData`, now
 * verified.
 */
export async function verifyGpgDetachedSignature(
  keyring: GpgKeyring,
  untrustedSignature: Uint8Array,
  untrustedData: Uint8Array,
  options: GpgVerifyOptions = {},
): Promise<GpgVerification> {
  if (untrustedSignature.length > MAX_GPG_SIGNATURE_BYTES) {
    throw reject("malformed", `the signature is ${untrustedSignature.length} bytes, more than the limit of ${MAX_GPG_SIGNATURE_BYTES}`);
  }
  let signature: UntrustedSignaturePacket;
  try {
    signature = parseDetachedSignature(dearmorIfArmored(untrustedSignature, "PGP SIGNATURE"));
  } catch (error) {
    if (error instanceof MessageFormatError) throw reject(error.notSigned ? "not-signed" : "malformed", `not a detached OpenPGP signature: ${error.message}`, {}, error);
    if (error instanceof PacketFormatError) throw reject("malformed", `not an OpenPGP signature: ${error.message}`, {}, error);
    throw error;
  }
  return verifyParsedSignature(keyring, { data: untrustedData, signature }, options);
}

async function verifyParsedSignature(keyring: GpgKeyring, message: UntrustedSignedMessage, options: GpgVerifyOptions): Promise<GpgVerification> {
  const now = options.now ?? new Date();
  const signature = message.signature;
  const keyId = signature.issuerKeyId;
  if (keyId === undefined) throw reject("unknown-key", "the signature does not name the key that made it");
  const candidates = keyring.candidatesFor(keyId, signature.issuerFingerprint);
  if (candidates.length === 0) {
    throw reject("unknown-key", `the signature was made by key ${keyId.toUpperCase()}, which is not in the keyring`, {
      keyId: keyId.toUpperCase(),
      ...(signature.issuerFingerprint === undefined ? {} : { fingerprint: signature.issuerFingerprint.toUpperCase() }),
    });
  }

  // Key IDs can collide (or be forged in the unhashed area): the signer is the key the signature verifies with.
  let signer: KeyCandidate | undefined;
  let unsupported: UnsupportedAlgorithmError | undefined;
  for (const candidate of candidates) {
    try {
      if (verifySignatureValues(signature, message.data, keyring.nodeKeyFor(candidate))) {
        signer = candidate;
        break;
      }
    } catch (error) {
      if (!(error instanceof UnsupportedAlgorithmError)) throw error;
      unsupported = error;
    }
  }
  if (signer === undefined) {
    if (unsupported !== undefined) throw reject("unsupported-algorithm", unsupported.message, { keyId: keyId.toUpperCase() });
    throw reject("bad-signature", `the signature does not verify with key ${candidates[0]!.fingerprint}`, { keyId: keyId.toUpperCase() });
  }

  await checkSignerValidity(keyring, signer, signature.created, now);
  if (signature.expiresAfter !== undefined && signature.expiresAfter > 0) {
    const expiry = new Date((signature.created + signature.expiresAfter) * 1000);
    if (expiry.getTime() <= now.getTime()) {
      throw reject("signature-expired", `the signature expired on ${expiry.toISOString()}`, details(signer, { expired: expiry.toISOString() }));
    }
  }
  return {
    payload: Buffer.from(message.data),
    signerFingerprint: signer.primary.getFingerprint().toUpperCase(),
    signingKeyFingerprint: signer.fingerprint,
  };
}

function readMessage(untrustedSignature: Uint8Array): UntrustedSignedMessage {
  if (untrustedSignature.length > MAX_GPG_SIGNATURE_BYTES) {
    throw reject("malformed", `the signature is ${untrustedSignature.length} bytes, more than the limit of ${MAX_GPG_SIGNATURE_BYTES}`);
  }
  try {
    return parseSignedMessage(dearmorIfArmored(untrustedSignature), { maxBytes: MAX_GPG_SIGNATURE_BYTES });
  } catch (error) {
    if (error instanceof MessageFormatError) throw reject(error.notSigned ? "not-signed" : "malformed", `not a signed OpenPGP message: ${error.message}`, {}, error);
    if (error instanceof PacketFormatError) throw reject("malformed", `not an OpenPGP message: ${error.message}`, {}, error);
    throw error;
  }
}

/**
 * What gpg checks of the signing key at verification time (g10/sig-check.c): the key is not newer than the
 * signature, neither the primary key nor the subkey is revoked or expired now, and it may sign (a valid
 * binding with a back-signature and the signing flag, judged by OpenPGP.js).
 */
async function checkSignerValidity(keyring: GpgKeyring, signer: KeyCandidate, created: number, now: Date): Promise<void> {
  const config = keyring.config;
  const { primary, key } = signer;
  const isSubkey = key !== primary;
  if (key.getCreationTime().getTime() > created * 1000) {
    throw reject("time-conflict", `key ${signer.fingerprint} is newer than the signature`, details(signer));
  }
  if (await primary.isRevoked(undefined, undefined, now, config)) {
    throw reject("key-revoked", `key ${fingerprintOf(primary)} has been revoked`, details(signer));
  }
  if (isSubkey && (await (key as unknown as SubkeyLike).isRevoked(null, null, now, config))) {
    throw reject("subkey-revoked", `signing subkey ${signer.fingerprint} of key ${fingerprintOf(primary)} has been revoked`, details(signer));
  }
  const primaryExpiry = await primary.getExpirationTime(undefined, config);
  if (primaryExpiry instanceof Date && primaryExpiry.getTime() <= now.getTime()) {
    throw reject("key-expired", `key ${fingerprintOf(primary)} expired on ${primaryExpiry.toISOString()}`, details(signer, { expired: primaryExpiry.toISOString() }));
  }
  if (isSubkey) {
    const subkeyExpiry = await (key as unknown as SubkeyLike).getExpirationTime(now, config);
    if (subkeyExpiry instanceof Date && subkeyExpiry.getTime() <= now.getTime()) {
      throw reject("subkey-expired", `signing subkey ${signer.fingerprint} expired on ${subkeyExpiry.toISOString()}`, details(signer, { expired: subkeyExpiry.toISOString() }));
    }
  }
  let usable: { getFingerprint(): string };
  try {
    usable = await primary.getSigningKey(key.getKeyID(), now, undefined, config);
  } catch (error) {
    throw reject("key-not-usable", `key ${signer.fingerprint} may not make signatures now: ${(error as Error).message}`, details(signer), error);
  }
  if (usable.getFingerprint().toUpperCase() !== signer.fingerprint) {
    throw reject("key-not-usable", `key ${signer.fingerprint} is not a valid signing key of ${fingerprintOf(primary)}`, details(signer));
  }
}

/** The Subkey methods used here (OpenPGP.js declares `isRevoked` with non-null parameters, but accepts null). */
interface SubkeyLike {
  isRevoked(signature: null, key: null, date: Date, config: unknown): Promise<boolean>;
  getExpirationTime(date: Date, config: unknown): Promise<Date | number | null>;
}

/** ASCII-armored messages (`gpg --armor --sign`) are accepted as gpgme accepts them; the checksum line is not needed. */
function dearmorIfArmored(bytes: Uint8Array, label = "PGP MESSAGE"): Uint8Array {
  const head = Buffer.from(bytes.subarray(0, 40)).toString("latin1").trimStart();
  if (!head.startsWith(`-----BEGIN ${label}-----`)) return bytes;
  const lines = Buffer.from(bytes).toString("latin1").split(/\r?\n/);
  const begin = lines.findIndex((l) => l.trim() === `-----BEGIN ${label}-----`);
  const end = lines.findIndex((l, i) => i > begin && l.trim() === `-----END ${label}-----`);
  if (end === -1) throw reject("malformed", "the armored message has no END line");
  let i = begin + 1;
  while (i < end && lines[i]!.trim() !== "") i++; // armor headers
  const body = lines.slice(i + 1, end).filter((l) => !l.startsWith("=")).join("");
  const decoded = decodeBase64Strict(body, "std-exact");
  if (decoded === undefined) throw reject("malformed", "the armored message is not base64");
  return decoded;
}

function fingerprintOf(key: { getFingerprint(): string }): string {
  return key.getFingerprint().toUpperCase();
}

function details(signer: KeyCandidate, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { signerFingerprint: fingerprintOf(signer.primary), signingKeyFingerprint: signer.fingerprint, ...extra };
}

function reject(reason: GpgRejectionReason, problem: string, extra: Record<string, unknown> = {}, cause?: unknown): SignetError {
  return new SignetError("SIG_INVALID", `invalid GPG signature (${reason}): ${problem}`, { hint: HINT, details: { reason, ...extra }, cause });
}
