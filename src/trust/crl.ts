/**
 * Certificate revocation lists (RFC 5280 §5) read from their DER, and the two CRL-related certificate
 * extensions (cRLDistributionPoints, freshestCRL): who issued the list, when it was made and expires, which
 * serial numbers it revokes, whether it is a delta of a base list. Pure; fetching lives with its callers.
 */
import type { KeyObject } from "node:crypto";
import { childrenOf, contentOf, decodeTime, DerError, encodedOf, expectTag, readRoot, TAG, type DerElement } from "../internal/der.js";
import { OID } from "../internal/oids.js";
import { algorithmOid, parseExtension, verifySignedData, type Certificate, type CertificateExtension } from "./x509.js";


/** RFC 5280 CRLReason values signet acts on. */
export const REASON = { certificateHold: 6, removeFromCRL: 8 } as const;

export class CrlError extends Error {}

export interface RevokedEntry {
  readonly revocationDate: Date;
  readonly reason: number | undefined;
}

export interface RevocationList {
  readonly der: Buffer;
  readonly tbs: Buffer;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
  /** The issuer Name, DER (compare with the issuing certificate's subject). */
  readonly issuer: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** By serial number, hex of the INTEGER's content octets without leading zeros. */
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
  readonly number: bigint | undefined;
  /** For a delta CRL: the number of the base CRL it completes. */
  readonly deltaOf: bigint | undefined;
  readonly extensions: readonly CertificateExtension[];
  /** Whether `issuer`'s key signed the list (remembered per key: a cached list is checked once). */
  isSignedBy(issuer: Certificate): boolean;
}

const KNOWN_CRL_EXTENSIONS = new Set<string>([OID.CRL_NUMBER, OID.DELTA_CRL_INDICATOR, OID.AUTHORITY_KEY_ID, OID.FRESHEST_CRL, OID.ISSUING_DISTRIBUTION_POINT]);
const KNOWN_ENTRY_EXTENSIONS = new Set<string>([OID.CRL_REASON, OID.INVALIDITY_DATE]);

export function serialKey(serial: Uint8Array): string {
  let start = 0;
  while (start < serial.length - 1 && serial[start] === 0) start++;
  return Buffer.from(serial.subarray(start)).toString("hex");
}

function integerOf(bytes: Buffer): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString("hex")}`);
}

function isTime(element: DerElement | undefined): boolean {
  return element?.tag === TAG.UTC_TIME || element?.tag === TAG.GENERALIZED_TIME;
}

export function parseCrl(input: Uint8Array): RevocationList {
  const der = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  try {
    const [tbsElement, algorithmElement, signatureElement, ...extra] = childrenOf(der, expectTag(readRoot(der), TAG.SEQUENCE, "CertificateList"));
    if (extra.length > 0) throw new DerError("extra fields");
    const signatureAlgorithm = algorithmOid(der, expectTag(algorithmElement, TAG.SEQUENCE, "signatureAlgorithm"));
    const bits = contentOf(der, expectTag(signatureElement, TAG.BIT_STRING, "signatureValue"));
    if (bits.length === 0 || bits[0] !== 0) throw new DerError("signature bit string has unused bits");
    const fields = childrenOf(der, expectTag(tbsElement, TAG.SEQUENCE, "tbsCertList"));
    let index = 0;
    if (fields[index]?.tag === TAG.INTEGER) index++;
    if (algorithmOid(der, expectTag(fields[index++], TAG.SEQUENCE, "signature")) !== signatureAlgorithm) throw new DerError("the two signature algorithm fields differ");
    const issuer = encodedOf(der, expectTag(fields[index++], TAG.SEQUENCE, "issuer"));
    if (!isTime(fields[index])) throw new DerError("thisUpdate is missing");
    const thisUpdate = decodeTime(der, fields[index++]!);
    const nextUpdate = isTime(fields[index]) ? decodeTime(der, fields[index++]!) : undefined;
    const revoked = new Map<string, RevokedEntry>();
    if (fields[index]?.tag === TAG.SEQUENCE) {
      for (const entry of childrenOf(der, fields[index++]!)) {
        const [serial, date, entryExtensions] = childrenOf(der, expectTag(entry, TAG.SEQUENCE, "revokedCertificate"));
        let reason: number | undefined;
        if (entryExtensions !== undefined) {
          for (const element of childrenOf(der, expectTag(entryExtensions, TAG.SEQUENCE, "crlEntryExtensions"))) {
            const extension = parseExtension(der, element);
            if (extension.oid === OID.CRL_REASON) reason = contentOf(extension.value, expectTag(readRoot(extension.value), 0x0a, "CRLReason"))[0];
            else if (extension.critical && !KNOWN_ENTRY_EXTENSIONS.has(extension.oid)) throw new DerError(`unknown critical entry extension ${extension.oid}`);
          }
        }
        if (!isTime(date)) throw new DerError("revocationDate is missing");
        revoked.set(serialKey(contentOf(der, expectTag(serial, TAG.INTEGER, "userCertificate"))), { revocationDate: decodeTime(der, date!), reason });
      }
    }
    const extensions: CertificateExtension[] = [];
    if (fields[index]?.tag === 0xa0) {
      const [list] = childrenOf(der, fields[index++]!);
      for (const element of childrenOf(der, expectTag(list, TAG.SEQUENCE, "crlExtensions"))) extensions.push(parseExtension(der, element));
    }
    if (index !== fields.length) throw new DerError("unexpected fields in tbsCertList");
    for (const extension of extensions) {
      if (extension.critical && !KNOWN_CRL_EXTENSIONS.has(extension.oid)) throw new DerError(`unknown critical CRL extension ${extension.oid}`);
    }
    const number = extensions.find((extension) => extension.oid === OID.CRL_NUMBER);
    const delta = extensions.find((extension) => extension.oid === OID.DELTA_CRL_INDICATOR);
    const tbs = encodedOf(der, tbsElement!);
    const signature = bits.subarray(1);
    return {
      der,
      tbs,
      signatureAlgorithm,
      signature,
      issuer,
      thisUpdate,
      nextUpdate,
      revoked,
      number: number === undefined ? undefined : integerOf(contentOf(number.value, expectTag(readRoot(number.value), TAG.INTEGER, "cRLNumber"))),
      deltaOf: delta === undefined ? undefined : integerOf(contentOf(delta.value, expectTag(readRoot(delta.value), TAG.INTEGER, "deltaCRLIndicator"))),
      extensions,
      isSignedBy: rememberedSignatureCheck((key: KeyObject) => verifySignedData(signatureAlgorithm, tbs, signature, key)),
    };
  } catch (error) {
    if (error instanceof DerError) throw new CrlError(`x509: malformed crl: ${error.message}`);
    throw error;
  }
}

function rememberedSignatureCheck(check: (key: KeyObject) => boolean): (issuer: Certificate) => boolean {
  const results = new Map<string, boolean>();
  return (issuer) => {
    const key = issuer.spki.toString("base64");
    let result = results.get(key);
    if (result === undefined) {
      result = check(issuer.publicKey);
      if (results.size < 16) results.set(key, result);
    }
    return result;
  };
}

/**
 * The URIs of a cRLDistributionPoints or freshestCRL extension value (both are CRLDistributionPoints): the
 * `fullName` URIs of each point; other kinds of names are ignored, a malformed value is an error.
 */
export function distributionPointUris(extensionValue: Buffer | undefined): string[] {
  if (extensionValue === undefined || extensionValue.length === 0) throw new CrlError("x509: invalid CRL distribution point");
  try {
    const uris: string[] = [];
    for (const point of childrenOf(extensionValue, expectTag(readRoot(extensionValue), TAG.SEQUENCE, "CRLDistributionPoints"))) {
      for (const field of childrenOf(extensionValue, expectTag(point, TAG.SEQUENCE, "DistributionPoint"))) {
        if (field.tag !== 0xa0) continue; // reasons, cRLIssuer
        // A distributionPoint, when present, starts with its fullName (as Go's x509 reads it).
        const [fullName] = childrenOf(extensionValue, field);
        if (fullName?.tag !== 0xa0) throw new DerError("distributionPoint without fullName");
        for (const general of childrenOf(extensionValue, fullName)) {
          if (general.tag === 0x86) uris.push(contentOf(extensionValue, general).toString("latin1"));
        }
      }
    }
    return uris;
  } catch (error) {
    if (error instanceof DerError) throw new CrlError("x509: invalid CRL distribution point");
    throw error;
  }
}

/** The CRL URLs a certificate names (cRLDistributionPoints), or none. */
export function crlUrlsOf(certificate: Certificate): string[] {
  const extension = certificate.extension(OID.CRL_DISTRIBUTION_POINTS);
  return extension === undefined ? [] : distributionPointUris(extension.value);
}

export type RevocationState = "good" | "revoked" | "unknown";

export interface CrlVerdict {
  readonly state: RevocationState;
  readonly reason: string;
}

/**
 * The status of `certificate` by a base CRL (and its delta, when there is one), both signed by `issuer` and
 * current at `now`. A list that cannot be trusted gives "unknown", never "good".
 */
export function checkCrl(certificate: Certificate, issuer: Certificate, base: RevocationList, delta: RevocationList | undefined, now: Date): CrlVerdict {
  for (const [what, list] of [["CRL", base], ["delta CRL", delta]] as const) {
    if (list === undefined) continue;
    if (!list.issuer.equals(issuer.subject)) return { state: "unknown", reason: `the ${what} was issued by another CA than the certificate's issuer` };
    if (!list.isSignedBy(issuer)) return { state: "unknown", reason: `the ${what}'s signature does not verify with the issuer's key` };
    if (list.nextUpdate !== undefined && now.getTime() > list.nextUpdate.getTime()) return { state: "unknown", reason: `the ${what} expired at ${list.nextUpdate.toISOString()}` };
    if (now.getTime() < list.thisUpdate.getTime()) return { state: "unknown", reason: `the ${what} is not valid before ${list.thisUpdate.toISOString()}` };
  }
  if (base.deltaOf !== undefined) return { state: "unknown", reason: "the base CRL is a delta CRL" };
  if (delta !== undefined) {
    if (delta.deltaOf === undefined) return { state: "unknown", reason: "the delta CRL lacks the delta CRL indicator" };
    if (base.number === undefined || delta.deltaOf > base.number) return { state: "unknown", reason: "the delta CRL needs a newer base CRL" };
  }
  const serial = serialKey(certificate.serialNumber);
  const inDelta = delta?.revoked.get(serial);
  if (inDelta !== undefined) {
    if (inDelta.reason === REASON.removeFromCRL) return { state: "good", reason: "removed from the CRL by its delta" };
    return { state: "revoked", reason: `revoked on ${inDelta.revocationDate.toISOString()} (delta CRL)` };
  }
  const inBase = base.revoked.get(serial);
  if (inBase !== undefined) return { state: "revoked", reason: `revoked on ${inBase.revocationDate.toISOString()}` };
  return { state: "good", reason: "not in the CRL" };
}
