/**
 * Notation's X.509 trust stores on disk: `<root>/truststore/x509/{ca,signingAuthority,tsa}/<name>/`, each a
 * directory of PEM or DER certificate files (notation's layout, so an existing `notation cert add` setup works
 * unchanged). Files must be regular files (no links, no sub-directories) holding CA; a tsa store's
 * certificates must be self-issued roots. Stores are read once and kept.
 */
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { appendAll } from "../../internal/arrays.js";
import { SignetError } from "../../errors/index.js";
import { Certificate, CertificateError } from "../../trust/x509.js";
import type { NotationTrustStores } from "./verify-notation.js";
import type { TrustStoreType } from "./trust-policy.js";

const MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

function storeInvalid(message: string): never {
  throw new SignetError("NOTATION_TRUST_STORE_INVALID", message);
}

/** Every certificate in one file: PEM blocks, or one or more concatenated DER certificates. */
export function parseCertificateFile(bytes: Buffer, path: string): Certificate[] {
  const text = bytes.toString("latin1");
  try {
    if (text.includes("-----BEGIN")) {
      const blocks = [...text.matchAll(PEM_BLOCK)].map((match) => Certificate.parse(Buffer.from(match[1]!.replace(/\s+/g, ""), "base64")));
      if (blocks.length === 0) storeInvalid(`${path} holds no PEM certificate`);
      return blocks;
    }
    const certificates: Certificate[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      const length = derLength(bytes, offset);
      certificates.push(Certificate.parse(bytes.subarray(offset, offset + length)));
      offset += length;
    }
    if (certificates.length === 0) storeInvalid(`${path} is empty`);
    return certificates;
  } catch (error) {
    if (error instanceof CertificateError) storeInvalid(`${path} is not a valid certificate file: ${error.message}`);
    throw error;
  }
}

function derLength(bytes: Buffer, offset: number): number {
  if (bytes[offset] !== 0x30 || offset + 2 > bytes.length) throw new CertificateError("not DER or PEM");
  const first = bytes[offset + 1]!;
  if (first < 0x80) return 2 + first;
  const octets = first & 0x7f;
  if (octets === 0 || octets > 4 || offset + 2 + octets > bytes.length) throw new CertificateError("bad DER length");
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + bytes[offset + 2 + i]!;
  return 2 + octets + length;
}

/** Reads one named store; undefined when its directory does not exist. */
export function readTrustStore(root: string, type: TrustStoreType, name: string): Certificate[] | undefined {
  return readStoreIn(join(root, "truststore"), type, name);
}

function readStoreIn(truststore: string, type: TrustStoreType, name: string): Certificate[] | undefined {
  const directory = join(truststore, "x509", type, name);
  let entries: string[];
  try {
    if (!lstatSync(directory).isDirectory()) return undefined;
    entries = readdirSync(directory).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const certificates: Certificate[] = [];
  for (const entry of entries) {
    const path = join(directory, entry);
    const stat = lstatSync(path);
    if (!stat.isFile()) storeInvalid(`trust store ${type}:${name}: "${entry}" is not a regular file (directories or symlinks are not supported)`);
    if (stat.size > MAX_CERTIFICATE_FILE_BYTES) storeInvalid(`trust store ${type}:${name}: "${entry}" is larger than ${MAX_CERTIFICATE_FILE_BYTES} bytes`);
    appendAll(certificates, checkStoreCertificates(parseCertificateFile(readFileSync(path), path), type, `trust store ${type}:${name}: certificate in "${entry}"`));
  }
  if (certificates.length === 0) storeInvalid(`trust store ${type}:${name} has no certificates`);
  return certificates;
}

/** notation's rules for what a store may hold: CA or self-signed certificates; a tsa store only self-issued roots. */
export function checkStoreCertificates(certificates: readonly Certificate[], type: TrustStoreType, what: string): readonly Certificate[] {
  for (const certificate of certificates) {
    // notation accepts CA certificates and self-signed ones (a root that is also the signing certificate).
    if (!certificate.isCA && !certificate.isIssuedBy(certificate)) storeInvalid(`${what} is neither a CA certificate nor self-signed`);
    if (type === "tsa" && (!certificate.isCA || !certificate.isIssuedBy(certificate))) storeInvalid(`${what} is not a self-issued root certificate`);
  }
  return certificates;
}

/** The stores of a trust store directory (`DIR/x509/{ca,signingAuthority,tsa}/NAME/`), each read on first use. */
export function trustStoresIn(truststore: string): NotationTrustStores {
  const cache = new Map<string, Certificate[] | undefined>();
  return {
    certificates(type, name) {
      const key = `${type}:${name}`;
      if (!cache.has(key)) cache.set(key, readStoreIn(truststore, type, name));
      return cache.get(key);
    },
  };
}

/**
 * Trust stores given as a directory, certificate lists per store (`ca:acme` -> certificates from a Secret or a
 * policy), or both: a store named in both holds the union. For policy.json's notationSigned and the webhook.
 */
export function combinedTrustStores(directory: string | undefined, listed: ReadonlyMap<string, readonly Certificate[]>): NotationTrustStores {
  const fromDirectory = directory === undefined ? undefined : trustStoresIn(directory);
  return {
    certificates(type, name) {
      const fromList = listed.get(`${type}:${name}`);
      const inDirectory = fromDirectory?.certificates(type, name);
      if (fromList === undefined) return inDirectory;
      return inDirectory === undefined ? fromList : [...inDirectory, ...fromList];
    },
  };
}

/** The certificates of one listed store (`TYPE:NAME`) from PEM or DER bytes, checked as a store directory's are. */
export function storeCertificates(store: string, bytes: Buffer, label: string): readonly Certificate[] {
  const type = store.slice(0, store.indexOf(":"));
  if (type !== "ca" && type !== "signingAuthority" && type !== "tsa") storeInvalid(`trust store names are TYPE:NAME with TYPE ca, signingAuthority or tsa, not ${JSON.stringify(store)}`);
  return checkStoreCertificates(parseCertificateFile(bytes, label), type, `trust store ${store}: a certificate of ${label}`);
}

/** The stores under a notation configuration directory, each read on first use. */
export function trustStoresAt(root: string): NotationTrustStores {
  const cache = new Map<string, Certificate[] | undefined>();
  return {
    certificates(type, name) {
      const key = `${type}:${name}`;
      if (!cache.has(key)) cache.set(key, readTrustStore(root, type, name));
      return cache.get(key);
    },
  };
}
