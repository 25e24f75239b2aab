/**
 * Names what a file given as a key actually holds, so that KEY_INVALID messages say "the file holds an OpenSSH
 * public key" rather than "bad PEM". Only looks; never decides whether a key is acceptable.
 */

const PEM_LABEL_NAMES: Readonly<Record<string, string>> = {
  CERTIFICATE: "an X.509 certificate",
  "X509 CERTIFICATE": "an X.509 certificate",
  "TRUSTED CERTIFICATE": "an X.509 certificate",
  "CERTIFICATE REQUEST": "a certificate signing request",
  "NEW CERTIFICATE REQUEST": "a certificate signing request",
  "X509 CRL": "a certificate revocation list",
  PKCS7: "a PKCS#7 structure",
  CMS: "a CMS structure",
  "PUBLIC KEY": "a public key",
  "RSA PUBLIC KEY": "an RSA public key",
  "PRIVATE KEY": "a private key",
  "EC PRIVATE KEY": "an EC private key",
  "RSA PRIVATE KEY": "an RSA private key",
  "DSA PRIVATE KEY": "a DSA private key",
  "ENCRYPTED PRIVATE KEY": "a password-protected PKCS#8 private key (OpenSSL format)",
  "ENCRYPTED SIGSTORE PRIVATE KEY": "a cosign encrypted private key",
  "ENCRYPTED COSIGN PRIVATE KEY": "a cosign encrypted private key",
  "OPENSSH PRIVATE KEY": "an OpenSSH private key",
  "SSH2 PUBLIC KEY": "an SSH2 public key",
  "PGP PUBLIC KEY BLOCK": "an OpenPGP (GPG) public key",
  "PGP PRIVATE KEY BLOCK": "an OpenPGP (GPG) private key",
  "PGP SIGNATURE": "an OpenPGP (GPG) signature",
  "PGP MESSAGE": "an OpenPGP (GPG) message",
  "EC PARAMETERS": "EC curve parameters",
};

export function describePemLabel(label: string): string {
  return PEM_LABEL_NAMES[label] ?? (label.startsWith("PGP ") ? "OpenPGP (GPG) data" : `a PEM block labelled "${label}"`);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** For content with no PEM block in it. */
export function describeNonPemContent(bytes: Uint8Array): string {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return describeBinary(bytes);
  }
  if (text.includes("\u0000")) return describeBinary(bytes);
  const trimmed = text.trim();
  if (trimmed === "") return "nothing (the file is empty)";
  if (/^(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) /.test(trimmed)) {
    return "an OpenSSH public key";
  }
  if (trimmed.startsWith("{")) return describeJson(trimmed);
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed) && Buffer.from(trimmed, "base64").toString("latin1").startsWith("-----BEGIN ")) {
    return "base64-encoded PEM (decode it first, e.g. with `base64 -d`)";
  }
  return "text with no PEM block";
}

function describeJson(text: string): string {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === "object" && value !== null && "kdf" in value && "ciphertext" in value) {
      return "the JSON body of a cosign encrypted key without its PEM armor";
    }
  } catch {
    // not JSON after all
  }
  return "JSON, not a PEM key";
}

function describeBinary(bytes: Uint8Array): string {
  const first = bytes[0] ?? 0;
  if (first === 0x30) return "binary DER, not PEM (convert it, e.g. with `openssl pkey -inform DER`)";
  // OpenPGP packet header (RFC 4880 §4.2): old format 10tttt.., new format 11tttttt.
  const tag = (first & 0xc0) === 0xc0 ? first & 0x3f : (first & 0xc0) === 0x80 ? (first >> 2) & 0x0f : -1;
  if (tag === 5 || tag === 6) return "a binary OpenPGP (GPG) key or keyring";
  if (tag === 2 || tag === 4) return "a binary OpenPGP (GPG) signature";
  if (Buffer.from(bytes.subarray(1, 4)).toString("latin1") === "gpg") return "a GnuPG (OpenPGP) trust database";
  return "binary data, not PEM text";
}
