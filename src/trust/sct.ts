/**
 * Signed Certificate Timestamps embedded in a certificate (RFC 6962 §3.3): each is a CT log's promise to log the
 * precertificate; it verifies with the log's key over the precertificate TBS and the issuer's key hash.
 */
import { createHash } from "node:crypto";
import { verifyLogSignature } from "./log-signature.js";
import { isWithinPeriod, type LogAuthority } from "./trust-material.js";
import { OID } from "../internal/oids.js";
import type { Certificate } from "./x509.js";

export interface EmbeddedSct {
  readonly version: number;
  readonly logID: Buffer;
  /** Milliseconds since the epoch. */
  readonly timestamp: bigint;
  readonly extensions: Buffer;
  readonly hashAlgorithm: number;
  readonly signatureAlgorithm: number;
  readonly signature: Buffer;
}

export class SctError extends Error {}

/** The SCTs of the certificate's SCT list extension (none when it has no such extension). */
export function embeddedScts(certificate: Certificate): EmbeddedSct[] {
  const extension = certificate.extension(OID.SCT_LIST);
  if (extension === undefined) return [];
  // The extension value is an OCTET STRING holding the TLS-encoded SignedCertificateTimestampList.
  const value = extension.value;
  if (value.length < 2 || value[0] !== 0x04) throw new SctError("the SCT list is not an OCTET STRING");
  let offset = 2;
  let length = value[1]!;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + value[2 + i]!;
    offset = 2 + count;
  }
  const list = value.subarray(offset, offset + length);
  if (list.length !== length || list.length < 2) throw new SctError("the SCT list is truncated");
  const total = list.readUInt16BE(0);
  if (total !== list.length - 2) throw new SctError("the SCT list length is wrong");
  const scts: EmbeddedSct[] = [];
  let position = 2;
  while (position < list.length) {
    const sctLength = list.readUInt16BE(position);
    const sct = list.subarray(position + 2, position + 2 + sctLength);
    if (sct.length !== sctLength) throw new SctError("an SCT is truncated");
    scts.push(parseSct(sct));
    position += 2 + sctLength;
  }
  return scts;
}

function parseSct(bytes: Buffer): EmbeddedSct {
  if (bytes.length < 1 + 32 + 8 + 2) throw new SctError("an SCT is too short");
  const version = bytes[0]!;
  const logID = bytes.subarray(1, 33);
  const timestamp = bytes.readBigUInt64BE(33);
  const extensionsLength = bytes.readUInt16BE(41);
  const extensions = bytes.subarray(43, 43 + extensionsLength);
  let position = 43 + extensionsLength;
  if (extensions.length !== extensionsLength || position + 4 > bytes.length) throw new SctError("an SCT is truncated");
  const hashAlgorithm = bytes[position]!;
  const signatureAlgorithm = bytes[position + 1]!;
  const signatureLength = bytes.readUInt16BE(position + 2);
  position += 4;
  const signature = bytes.subarray(position, position + signatureLength);
  if (signature.length !== signatureLength || position + signatureLength !== bytes.length) throw new SctError("an SCT has the wrong length");
  return { version, logID, timestamp, extensions, hashAlgorithm, signatureAlgorithm, signature };
}

/** The bytes a CT log signs for a precertificate entry (RFC 6962 §3.2, digitally-signed struct). */
function signedData(sct: EmbeddedSct, issuerKeyHash: Buffer, precertificateTbs: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = sct.version;
  header[1] = 0; // certificate_timestamp
  header.writeBigUInt64BE(sct.timestamp, 2);
  header.writeUInt16BE(1, 10); // precert_entry
  const tbsLength = Buffer.from([(precertificateTbs.length >> 16) & 0xff, (precertificateTbs.length >> 8) & 0xff, precertificateTbs.length & 0xff]);
  const extensionsLength = Buffer.alloc(2);
  extensionsLength.writeUInt16BE(sct.extensions.length);
  return Buffer.concat([header, issuerKeyHash, tbsLength, precertificateTbs, extensionsLength, sct.extensions]);
}

/**
 * Verifies every SCT of `certificate` against the CT logs (each must verify with a log of its id, valid at the
 * SCT's time); returns the ids of the logs, one per SCT. Throws SctError naming the first that fails.
 */
export function verifyEmbeddedScts(certificate: Certificate, issuer: Certificate, ctlogs: readonly LogAuthority[]): Buffer[] {
  const scts = embeddedScts(certificate);
  if (scts.length === 0) return [];
  const issuerKeyHash = createHash("sha256").update(issuer.spki).digest();
  const precertificate = certificate.precertificateTbs();
  return scts.map((sct) => {
    if (sct.version !== 0) throw new SctError(`an SCT has unknown version ${sct.version}`);
    if (sct.hashAlgorithm !== 4) throw new SctError("an SCT is not signed with SHA-256");
    const time = new Date(Number(sct.timestamp));
    const data = signedData(sct, issuerKeyHash, precertificate);
    const logs = ctlogs.filter((log) => log.logID.equals(sct.logID) && isWithinPeriod(log.validFor, time));
    if (logs.length === 0) throw new SctError(`an SCT names a CT log the trusted root does not list as valid at ${time.toISOString()} (log id ${sct.logID.toString("base64")})`);
    if (!logs.some((log) => verifyLogSignature(data, log.publicKey, sct.signature))) throw new SctError("an SCT's signature does not verify with its CT log's key");
    return sct.logID;
  });
}
