/**
 * Certificates for Notation tests, made by openssl (an independent implementation): a self-signed code-signing
 * certificate for a key, and CA-issued chains.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeyObject } from "node:crypto";

/** "CN=a,O=b,ST=c,C=d" -> openssl's "/CN=a/O=b/ST=c/C=d". */
function opensslSubject(subject: string): string {
  return `/${subject.split(",").join("/")}`;
}

export function selfSignedCodeSigningCertificate(privateKey: KeyObject, subject: string, days = 30): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "signet-notation-cert-"));
  try {
    writeFileSync(join(dir, "key.pem"), privateKey.export({ type: "pkcs8", format: "pem" }));
    execFileSync("openssl", [
      "req", "-x509", "-new", "-key", join(dir, "key.pem"), "-subj", opensslSubject(subject), "-days", String(days), "-outform", "DER", "-out", join(dir, "cert.der"),
      "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "keyUsage=critical,digitalSignature", "-addext", "extendedKeyUsage=codeSigning",
    ], { stdio: "pipe" });
    return readFileSync(join(dir, "cert.der"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
