import { createPrivateKey, type KeyObject } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { isCosignEncryptedLabel, openCosignKeyEnvelope, parseCosignKeyEnvelope, type DeriveKey } from "./cosign-encrypted.js";
import { describeNonPemContent, describePemLabel } from "./describe-content.js";
import { toKeyText } from "./key-text.js";
import { passwordFromInput, type PasswordInput } from "./password.js";
import { decodePemBlocks, pemBlockBytes, type PemBlock } from "./pem.js";
import { createPrivateKeyFromPkcs8 } from "./pkcs8.js";
import { createSigningKey, type SigningKey } from "./signing-key.js";

export interface ParsePrivateKeyOptions {
  deriveKey?: DeriveKey;
}

/**
 * A signing key from PEM text: a cosign encrypted key (either label; needs `password`, asked only then) or a plain
 * `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY` (SEC 1) or `RSA PRIVATE KEY` (PKCS#1). The first PEM block counts, as in
 * cosign (a leading `EC PARAMETERS` block, as `openssl ecparam -genkey` writes, is skipped).
 */
export async function parsePrivateKeyPem(text: string | Uint8Array, password?: PasswordInput, options: ParsePrivateKeyOptions = {}): Promise<SigningKey> {
  const block = firstKeyBlock(toKeyText(text, "private key"));
  if (isCosignEncryptedLabel(block.label)) {
    // Checked before asking for the password: no prompt for a key that would be refused anyway.
    const envelope = parseCosignKeyEnvelope(block);
    if (password === undefined) throw new SignetError("KEY_PASSWORD_MISSING", "the private key is encrypted and no password was given");
    return openCosignKeyEnvelope(envelope, await passwordFromInput(password), options);
  }
  return createSigningKey(plainPrivateKey(block));
}

/** True when the PEM text holds a cosign encrypted key, i.e. loading it will need a password. */
export function isEncryptedPrivateKeyPem(text: string | Uint8Array): boolean {
  return isCosignEncryptedLabel(firstKeyBlock(toKeyText(text, "private key")).label);
}

function firstKeyBlock(text: string): PemBlock {
  const block = decodePemBlocks(text).find((candidate) => candidate.label !== "EC PARAMETERS");
  if (!block) {
    throw new SignetError("KEY_INVALID", `expected a PEM private key, but the content is ${describeNonPemContent(Buffer.from(text, "utf8"))}`);
  }
  return block;
}

function plainPrivateKey(block: PemBlock): KeyObject {
  switch (block.label) {
    case "PRIVATE KEY":
      return createPrivateKeyFromPkcs8(pemBlockBytes(block), "the PRIVATE KEY PEM block");
    case "EC PRIVATE KEY":
      return parseTraditional(block, "sec1");
    case "RSA PRIVATE KEY":
      return parseTraditional(block, "pkcs1");
    case "ENCRYPTED PRIVATE KEY":
      throw new SignetError("KEY_UNSUPPORTED", "password-protected PKCS#8 keys (ENCRYPTED PRIVATE KEY) are not read", {
        hint: "Decrypt it with `openssl pkey -in KEY -out plain.pem`, then `signet import-key-pair --key plain.pem` and delete plain.pem.",
      });
    case "DSA PRIVATE KEY":
      throw new SignetError("KEY_UNSUPPORTED", "DSA keys are not supported");
    case "OPENSSH PRIVATE KEY":
      throw new SignetError("KEY_INVALID", "expected a PEM private key, but the content is an OpenSSH private key", {
        hint: "Convert a copy to PKCS#8 with `ssh-keygen -p -m PKCS8 -f COPY`, then `signet import-key-pair --key COPY`.",
      });
    default:
      throw new SignetError("KEY_INVALID", `expected a PEM private key, but the content is ${describePemLabel(block.label)}`, {
        details: { label: block.label },
      });
  }
}

function parseTraditional(block: PemBlock, type: "sec1" | "pkcs1"): KeyObject {
  if (block.headers["Proc-Type"]?.includes("ENCRYPTED")) {
    throw new SignetError("KEY_UNSUPPORTED", `password-protected ${block.label} blocks (OpenSSL's legacy encryption) are not read`, {
      hint: "Decrypt it with `openssl pkey -in KEY -out plain.pem`, then `signet import-key-pair --key plain.pem` and delete plain.pem.",
    });
  }
  try {
    return createPrivateKey({ key: pemBlockBytes(block), format: "der", type });
  } catch (error) {
    if (SignetError.is(error)) throw error;
    throw new SignetError("KEY_INVALID", `the ${block.label} PEM block is not a valid key (corrupted?)`, { cause: error, details: { label: block.label } });
  }
}

/** Unencrypted PKCS#8 PEM (`PRIVATE KEY`), as sigstore's MarshalPrivateKeyToPEM writes it: for `cosign import-key-pair`. */
export function privateKeyToPem(key: SigningKey | KeyObject): string {
  const privateKey = "privateKey" in key ? key.privateKey : createSigningKey(key).privateKey;
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}
