import { randomBytes, scrypt, type KeyObject } from "node:crypto";
import type Nacl from "tweetnacl";
import { SignetError } from "../errors/index.js";
import { isRecord, parseJsonBytes } from "../internal/strict-json.js";
import { createPrivateKeyFromPkcs8 } from "./pkcs8.js";
import { decodeBase64Strict } from "../internal/base64.js";
import { decodePemBlocks, encodePem, pemBlockBytes, type PemBlock } from "./pem.js";
import { toPasswordBytes } from "./password-bytes.js";
import { createSigningKey, type SigningKey } from "./signing-key.js";

/*
 * cosign's encrypted private key (cosign pkg/cosign/keys.go over go-securesystemslib's `encrypted` package):
 * a PEM block whose body is the JSON
 *   {"kdf":{"name":"scrypt","params":{"N":…,"r":8,"p":1},"salt":"<base64, 32 bytes>"},
 *    "cipher":{"name":"nacl/secretbox","nonce":"<base64, 24 bytes>"},"ciphertext":"<base64>"}
 * key = scrypt(password, salt, N, r, p, 32); ciphertext = secretbox(PKCS#8 DER, nonce, key) (XSalsa20-Poly1305).
 */

/** The label cosign >= 2.2 writes. */
export const SIGSTORE_ENCRYPTED_LABEL = "ENCRYPTED SIGSTORE PRIVATE KEY";
/** The label older cosign writes, and the only one cosign <= 2.1, podman 4.4 and Debian's skopeo read. */
export const COSIGN_ENCRYPTED_LABEL = "ENCRYPTED COSIGN PRIVATE KEY";

export function isCosignEncryptedLabel(label: string): boolean {
  return label === SIGSTORE_ENCRYPTED_LABEL || label === COSIGN_ENCRYPTED_LABEL;
}

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** Derives the 32-byte secretbox key. A parameter so tests can observe that refused keys never reach scrypt. */
export type DeriveKey = (password: Buffer, salt: Buffer, params: ScryptParams) => Promise<Buffer>;

/** go-securesystemslib accepts exactly these (legacy, standard, OWASP); anything else could be a DoS by a tampered file. */
const ACCEPTED_N = [2 ** 15, 2 ** 16, 2 ** 17] as const;
const LEGACY_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const STANDARD_PARAMS: ScryptParams = { N: 2 ** 16, r: 8, p: 1 };
const SALT_BYTES = 32;
// nacl.secretbox's sizes (XSalsa20-Poly1305). tweetnacl itself is loaded only when a key is encrypted or
// opened: it costs ~40 ms to load, which `signet verify` with a public key should not pay.
const NONCE_BYTES = 24;
const KEY_BYTES = 32;
const SECRETBOX_OVERHEAD = 16;

async function loadNacl(): Promise<typeof Nacl> {
  return (await import("tweetnacl")).default;
}
const SCRYPT_NAME = "scrypt";
const SECRETBOX_NAME = "nacl/secretbox";

/** Node's scrypt on the libuv pool; maxmem leaves room over the 128·N·r bytes scrypt needs (N=2^17: 128 MiB). */
export const scryptDeriveKey: DeriveKey = (password, salt, params) =>
  new Promise((resolve, reject) => {
    const maxmem = 2 * 128 * params.N * params.r * params.p;
    const fail = (error: Error) => reject(new SignetError("INTERNAL", `scrypt failed: ${error.message}`, { cause: error }));
    try {
      scrypt(password, salt, KEY_BYTES, { N: params.N, r: params.r, p: params.p, maxmem }, (error, key) => (error ? fail(error) : resolve(key)));
    } catch (error) {
      fail(error as Error);
    }
  });

/** An encrypted key whose format and KDF parameters were checked; opening it is the only expensive step. */
export interface CosignKeyEnvelope {
  label: string;
  params: ScryptParams;
  salt: Buffer;
  nonce: Buffer;
  ciphertext: Buffer;
}

export interface EncryptPrivateKeyOptions {
  /** Write `ENCRYPTED COSIGN PRIVATE KEY` with N=2^15, for cosign <= 2.1, podman 4.4 and Debian's skopeo. */
  legacy?: boolean;
  deriveKey?: DeriveKey;
}

export interface DecryptPrivateKeyOptions {
  deriveKey?: DeriveKey;
}

/** The PEM text cosign would write for this key: `ENCRYPTED SIGSTORE PRIVATE KEY`, scrypt N=2^16 (legacy: see options). */
export async function encryptPrivateKey(key: SigningKey | KeyObject, password: Uint8Array | string, options: EncryptPrivateKeyOptions = {}): Promise<string> {
  const privateKey = "privateKey" in key ? key.privateKey : createSigningKey(key).privateKey;
  const params = options.legacy ? LEGACY_PARAMS : STANDARD_PARAMS;
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const der = privateKey.export({ type: "pkcs8", format: "der" });
  const secretKey = await (options.deriveKey ?? scryptDeriveKey)(toPasswordBytes(password), salt, params);
  const nacl = await loadNacl();
  const ciphertext = nacl.secretbox(der, nonce, secretKey);
  secretKey.fill(0);
  der.fill(0);
  // Field order and encoding as Go's json.Marshal writes go-securesystemslib's struct (base64 std, padded).
  const json = JSON.stringify({
    kdf: { name: SCRYPT_NAME, params: { N: params.N, r: params.r, p: params.p }, salt: salt.toString("base64") },
    cipher: { name: SECRETBOX_NAME, nonce: nonce.toString("base64") },
    ciphertext: Buffer.from(ciphertext).toString("base64"),
  });
  return encodePem(options.legacy ? COSIGN_ENCRYPTED_LABEL : SIGSTORE_ENCRYPTED_LABEL, Buffer.from(json, "utf8"));
}

/** Decrypts a cosign encrypted key (either label). The PEM must hold one; plain keys go through parsePrivateKeyPem. */
export async function decryptPrivateKey(pemText: string | Uint8Array, password: Uint8Array | string, options: DecryptPrivateKeyOptions = {}): Promise<SigningKey> {
  const text = typeof pemText === "string" ? pemText : Buffer.from(pemText).toString("utf8");
  const block = decodePemBlocks(text).find((candidate) => isCosignEncryptedLabel(candidate.label));
  if (!block) throw new SignetError("KEY_INVALID", "no cosign encrypted private key (ENCRYPTED SIGSTORE/COSIGN PRIVATE KEY) found");
  return openCosignKeyEnvelope(parseCosignKeyEnvelope(block), password, options);
}

/**
 * Checks the envelope without deriving any key: KEY_KDF_UNSUPPORTED for another KDF, cipher or scrypt parameters
 * (before any scrypt work, which a tampered N could make enormous), KEY_INVALID for a malformed body.
 */
export function parseCosignKeyEnvelope(block: PemBlock): CosignKeyEnvelope {
  const untrusted = parseJsonBytes(pemBlockBytes(block), "the encrypted key's content", "KEY_INVALID");
  if (!isRecord(untrusted) || !isRecord(untrusted["kdf"]) || !isRecord(untrusted["cipher"])) {
    throw new SignetError("KEY_INVALID", "the encrypted key's content lacks its kdf or cipher section");
  }
  const kdf = untrusted["kdf"];
  const cipher = untrusted["cipher"];
  if (kdf["name"] !== SCRYPT_NAME) {
    throw new SignetError("KEY_KDF_UNSUPPORTED", `the key is encrypted with KDF ${describeName(kdf["name"])}, not scrypt`, {
      details: { kdf: String(kdf["name"]) },
    });
  }
  if (cipher["name"] !== SECRETBOX_NAME) {
    throw new SignetError("KEY_KDF_UNSUPPORTED", `the key is encrypted with cipher ${describeName(cipher["name"])}, not nacl/secretbox`, {
      details: { cipher: String(cipher["name"]) },
    });
  }
  const params = parseScryptParams(kdf["params"]);
  return {
    label: block.label,
    params,
    salt: decodeField(kdf["salt"], "kdf.salt", SALT_BYTES),
    nonce: decodeField(cipher["nonce"], "cipher.nonce", NONCE_BYTES),
    ciphertext: decodeField(untrusted["ciphertext"], "ciphertext"),
  };
}

/** Derives the key and opens the box: KEY_PASSWORD_WRONG when the password (or the ciphertext) is wrong. */
export async function openCosignKeyEnvelope(envelope: CosignKeyEnvelope, password: Uint8Array | string, options: DecryptPrivateKeyOptions = {}): Promise<SigningKey> {
  const secretKey = await (options.deriveKey ?? scryptDeriveKey)(toPasswordBytes(password), envelope.salt, envelope.params);
  const nacl = await loadNacl();
  const plaintext = nacl.secretbox.open(envelope.ciphertext, envelope.nonce, secretKey);
  secretKey.fill(0);
  if (!plaintext) throw new SignetError("KEY_PASSWORD_WRONG", "the password does not decrypt the private key");
  try {
    return createSigningKey(createPrivateKeyFromPkcs8(Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength), "the decrypted key"));
  } finally {
    plaintext.fill(0);
  }
}

function parseScryptParams(untrusted: unknown): ScryptParams {
  const params = isRecord(untrusted) ? untrusted : {};
  const { N, r, p } = params;
  const accepted = (ACCEPTED_N as readonly unknown[]).includes(N) && r === 8 && p === 1;
  if (!accepted) {
    throw new SignetError("KEY_KDF_UNSUPPORTED", `scrypt parameters N=${String(N)}, r=${String(r)}, p=${String(p)} are not accepted`, {
      details: { N: String(N), r: String(r), p: String(p) },
    });
  }
  return { N: N as number, r: 8, p: 1 };
}

function decodeField(untrusted: unknown, name: string, expectedLength?: number): Buffer {
  const bytes = typeof untrusted === "string" ? decodeBase64Strict(untrusted) : undefined;
  if (!bytes) throw new SignetError("KEY_INVALID", `the encrypted key's ${name} is not base64`);
  if (expectedLength !== undefined && bytes.length !== expectedLength) {
    throw new SignetError("KEY_INVALID", `the encrypted key's ${name} is ${bytes.length} bytes, not ${expectedLength}`);
  }
  if (expectedLength === undefined && bytes.length <= SECRETBOX_OVERHEAD) {
    throw new SignetError("KEY_INVALID", `the encrypted key's ${name} is too short to hold a key (truncated?)`);
  }
  return bytes;
}

function describeName(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value.slice(0, 64)) : "(missing)";
}
