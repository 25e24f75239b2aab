import { X509Certificate, createHash, createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import { SignetError } from "../../errors/index.js";

export interface ServingTlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** A certificate chain and its private key, checked to belong together. */
export interface ServingTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** SHA-256 of the leaf certificate (DER), hex: what the logs name. */
  readonly fingerprint: string;
  readonly subject: string;
  readonly notAfter: Date;
}

/** PEM files of a serving certificate are small; anything larger is a mistake (or a hostile mount). */
const TLS_FILE_MAX_BYTES = 1024 * 1024;

/**
 * Reads and checks a certificate and key pair: the certificate parses, the key parses, the key is the
 * certificate's, and OpenSSL accepts the pair as a server context. The key is never logged or put in errors.
 */
export async function loadServingTls(files: ServingTlsFiles): Promise<ServingTls> {
  const [cert, key] = await Promise.all([readTlsFile(files.certFile, "--tls-cert-file"), readTlsFile(files.keyFile, "--tls-key-file")]);
  return parseServingTls(cert, key, files);
}

export function parseServingTls(cert: Buffer, key: Buffer, files: ServingTlsFiles): ServingTls {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (error) {
    throw invalid(`${files.certFile} is not a PEM certificate: ${(error as Error).message}`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    // The parser's message can quote key material; say only what is wrong.
    throw invalid(`${files.keyFile} is not a PEM private key (or it is encrypted)`);
  }
  if (!leaf.checkPrivateKey(privateKey)) throw invalid(`${files.keyFile} is not the private key of the certificate in ${files.certFile}`);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw invalid(`${files.certFile} and ${files.keyFile} are not a usable TLS pair: ${(error as Error).message}`);
  }
  return {
    cert,
    key,
    fingerprint: createHash("sha256").update(leaf.raw).digest("hex"),
    subject: leaf.subject,
    notAfter: new Date(leaf.validTo),
  };
}

async function readTlsFile(path: string, what: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SignetError(code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot read ${what} ${path}: ${code ?? (error as Error).message}`);
  }
  if (bytes.length > TLS_FILE_MAX_BYTES) throw invalid(`${what} ${path} is larger than ${TLS_FILE_MAX_BYTES} bytes`);
  return bytes;
}

function invalid(message: string): SignetError {
  return new SignetError("WEBHOOK_TLS_INVALID", message);
}
