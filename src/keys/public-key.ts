import { createPublicKey, X509Certificate, type KeyObject } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { describeNonPemContent, describePemLabel } from "./describe-content.js";
import { keyAlgorithmOf } from "./key-algorithm.js";
import { decodePemBlocks, pemBlockBytes, type PemBlock } from "./pem.js";
import { toKeyText } from "./key-text.js";

const PRIVATE_LABELS = new Set([
  "PRIVATE KEY",
  "EC PRIVATE KEY",
  "RSA PRIVATE KEY",
  "ENCRYPTED PRIVATE KEY",
  "ENCRYPTED SIGSTORE PRIVATE KEY",
  "ENCRYPTED COSIGN PRIVATE KEY",
]);

/**
 * A public key from PEM: `PUBLIC KEY` (SPKI, what cosign writes), `RSA PUBLIC KEY` (PKCS#1), or a `CERTIFICATE`
 * (its subject public key; the certificate itself is not checked here). As cosign does, the first PEM block counts.
 * KEY_INVALID for anything else, saying what the content is; KEY_UNSUPPORTED for algorithms cosign does not use.
 */
export function parsePublicKeyPem(text: string | Uint8Array): KeyObject {
  const keyText = toKeyText(text, "public key");
  const block = decodePemBlocks(keyText).find((candidate) => candidate.label !== "EC PARAMETERS");
  if (!block) {
    throw new SignetError("KEY_INVALID", `expected a PEM public key, but the content is ${describeNonPemContent(Buffer.from(keyText, "utf8"))}`);
  }
  const key = publicKeyFromBlock(block);
  keyAlgorithmOf(key);
  return key;
}

/** PEM `PUBLIC KEY` (SPKI) text, byte for byte what `cosign generate-key-pair` and `cosign public-key` write. */
export function publicKeyToPem(key: KeyObject): string {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  return publicKey.export({ type: "spki", format: "pem" }).toString();
}

/** True when both are the same public key (or the public halves of the same key). */
export function publicKeysEqual(a: KeyObject, b: KeyObject): boolean {
  return spkiDer(a).equals(spkiDer(b));
}

function spkiDer(key: KeyObject): Buffer {
  return (key.type === "private" ? createPublicKey(key) : key).export({ type: "spki", format: "der" });
}

function publicKeyFromBlock(block: PemBlock): KeyObject {
  switch (block.label) {
    case "PUBLIC KEY":
      return parseDer(block, "spki");
    case "RSA PUBLIC KEY":
      return parseDer(block, "pkcs1");
    case "CERTIFICATE":
      return publicKeyOfCertificate(block);
    default: {
      const hint = PRIVATE_LABELS.has(block.label) ? "; give the public key instead (`signet public-key --key FILE` prints it)" : "";
      throw new SignetError("KEY_INVALID", `expected a PEM public key, but the content is ${describePemLabel(block.label)}${hint}`, {
        details: { label: block.label },
      });
    }
  }
}

function parseDer(block: PemBlock, type: "spki" | "pkcs1"): KeyObject {
  try {
    return createPublicKey({ key: pemBlockBytes(block), format: "der", type });
  } catch (error) {
    if (SignetError.is(error)) throw error;
    throw new SignetError("KEY_INVALID", `the "${block.label}" PEM block is not a valid public key (corrupted, or a point not on the curve)`, {
      cause: error,
      details: { label: block.label },
    });
  }
}

function publicKeyOfCertificate(block: PemBlock): KeyObject {
  try {
    return new X509Certificate(pemBlockBytes(block)).publicKey;
  } catch (error) {
    if (SignetError.is(error)) throw error;
    throw new SignetError("KEY_INVALID", "the CERTIFICATE PEM block is not a valid X.509 certificate", { cause: error });
  }
}
