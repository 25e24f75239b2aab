import { open } from "node:fs/promises";
import type * as OpenPGP from "openpgp";
import { SignetError } from "../../errors/index.js";
import { loadOpenPgp, type OpenPgpModule } from "./gpg-keyring.js";

/** A decrypted OpenPGP private key, ready to sign many payloads (the passphrase's key derivation runs once). */
export interface GpgSigningKey {
  /** The primary key's fingerprint, upper-case hex: what a `signedBy` policy lists the public key under. */
  readonly fingerprint: string;
  /** @internal */
  readonly privateKey: OpenPGP.PrivateKey;
  /** @internal */
  readonly openpgp: OpenPgpModule;
}

const PRIVATE_KEY_HINT = "Give an OpenPGP secret key: `gpg --export-secret-keys KEY > key.gpg` (binary) or with --armor.";
const PASSPHRASE_FILE_MAX_BYTES = 64 * 1024;

/**
 * Signs `payload` as a binary OpenPGP signed message (one-pass signature, literal data, signature), the form
 * skopeo and gpg write and containers/image verifies. The key is armored or binary secret-key bytes (with its
 * passphrase when encrypted) or a key from loadGpgPrivateKey; `options.date` is the signing time (default now).
 */
export async function signAtomicPayload(
  privateKey: Uint8Array | string | GpgSigningKey,
  passphrase: string | undefined,
  payload: Uint8Array,
  options: { date?: Date } = {},
): Promise<Buffer> {
  const key = isSigningKey(privateKey) ? privateKey : await parseGpgPrivateKey(privateKey, passphrase);
  const { openpgp } = key;
  try {
    // The literal packet's date and the signature's creation time are the signing time (default now).
    const date = options.date ?? new Date();
    const message = await openpgp.createMessage({ binary: payload, format: "binary", date });
    const signed = await openpgp.sign({ message, signingKeys: key.privateKey, format: "binary", date });
    return Buffer.from(signed);
  } catch (error) {
    throw new SignetError("KEY_INVALID", `cannot sign with GPG key ${key.fingerprint}: ${(error as Error).message}`, {
      hint: "The key needs a valid, unexpired signing key or subkey.",
      cause: error,
    });
  }
}

/**
 * Signs `payload` with a detached, ASCII-armored OpenPGP signature (`gpg --armor --detach-sign`), as swr-cosign's
 * `.asc` objects hold it.
 */
export async function signDetachedArmored(key: GpgSigningKey, payload: Uint8Array, options: { date?: Date } = {}): Promise<Buffer> {
  const { openpgp } = key;
  try {
    const date = options.date ?? new Date();
    const message = await openpgp.createMessage({ binary: payload, format: "binary", date });
    const signed = await openpgp.sign({ message, signingKeys: key.privateKey, detached: true, format: "armored", date });
    return Buffer.from(signed, "utf8");
  } catch (error) {
    throw new SignetError("KEY_INVALID", `cannot sign with GPG key ${key.fingerprint}: ${(error as Error).message}`, {
      hint: "The key needs a valid, unexpired signing key or subkey.",
      cause: error,
    });
  }
}

/** Reads a secret key file (binary or armored) and decrypts it with the passphrase file's first line, as skopeo --sign-passphrase-file does. */
export async function loadGpgPrivateKey(path: string, passphraseFile?: string): Promise<GpgSigningKey> {
  // Loaded here so that verification, which imports this module's neighbours, does not load the key code.
  const { readKeyFile } = await import("../../keys/key-files.js");
  const bytes = await readKeyFile(path, "GPG private key");
  const passphrase = passphraseFile === undefined ? undefined : await readPassphraseFile(passphraseFile);
  try {
    return await parseGpgPrivateKey(bytes, passphrase);
  } catch (error) {
    if (SignetError.is(error)) {
      throw new SignetError(error.code, `${path}: ${error.message}`, { hint: error.hint, details: { ...error.details, path }, cause: error });
    }
    throw error;
  }
}

/** Parses and, when encrypted, decrypts a secret key. */
export async function parseGpgPrivateKey(key: Uint8Array | string, passphrase: string | undefined): Promise<GpgSigningKey> {
  const openpgp = await loadOpenPgp();
  let privateKey: OpenPGP.PrivateKey;
  try {
    const armored = typeof key === "string" ? key : isArmored(key) ? Buffer.from(key).toString("utf8") : undefined;
    privateKey = armored !== undefined
      ? await openpgp.readPrivateKey({ armoredKey: armored })
      : await openpgp.readPrivateKey({ binaryKey: key as Uint8Array });
  } catch (error) {
    throw new SignetError("KEY_INVALID", `not an OpenPGP secret key: ${(error as Error).message}`, { hint: PRIVATE_KEY_HINT, cause: error });
  }
  const fingerprint = privateKey.getFingerprint().toUpperCase();
  if (!privateKey.isDecrypted()) {
    if (passphrase === undefined) {
      throw new SignetError("KEY_PASSWORD_MISSING", `GPG key ${fingerprint} is protected by a passphrase, and none was given`, {
        hint: "Pass the passphrase in a file: `signet sign --passphrase-file FILE` (skopeo: --sign-passphrase-file FILE).",
      });
    }
    try {
      privateKey = await openpgp.decryptKey({ privateKey, passphrase });
    } catch (error) {
      throw new SignetError("KEY_PASSWORD_WRONG", `cannot unlock GPG key ${fingerprint}: ${(error as Error).message}`, { cause: error });
    }
  }
  return { fingerprint, privateKey, openpgp };
}

async function readPassphraseFile(path: string): Promise<string> {
  let content: Buffer;
  try {
    const handle = await open(path, "r");
    try {
      const buffer = Buffer.alloc(PASSPHRASE_FILE_MAX_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > PASSPHRASE_FILE_MAX_BYTES) throw new SignetError("KEY_PASSWORD_MISSING", `passphrase file ${path} is larger than ${PASSPHRASE_FILE_MAX_BYTES} bytes`);
      content = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (SignetError.is(error)) throw error;
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new SignetError("FILE_NOT_FOUND", `passphrase file ${path} does not exist`, { details: { path } });
    throw new SignetError("IO_ERROR", `cannot read passphrase file ${path}: ${(error as Error).message}`, { details: { path }, cause: error });
  }
  const text = content.toString("utf8");
  const newline = text.indexOf("\n");
  return newline === -1 ? text : text.slice(0, newline);
}

function isArmored(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 64)).toString("latin1").trimStart().startsWith("-----BEGIN PGP");
}

function isSigningKey(value: unknown): value is GpgSigningKey {
  return typeof value === "object" && value !== null && !(value instanceof Uint8Array) && "privateKey" in value;
}
