/**
 * X.509 certificates read straight from their DER: every field is a view of the original bytes, so the TBS
 * that a signature covers is the exact bytes received (never a re-encoding) and reading a certificate costs
 * microseconds. Malformed certificates, and certificates that repeat an extension (RFC 5280 §4.2), are refused.
 */
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { childrenOf, contentOf, decodeOid, decodeTime, DerError, encodeHeader, encodedOf, expectTag, readRoot, TAG, type DerElement } from "../internal/der.js";
import { OID, SIGNATURE_ALGORITHM_HASH } from "../internal/oids.js";

/**
 * Whether `key` made `signature` over `data` with the X.509 signature algorithm `algorithmOid` (certificates,
 * CRLs, OCSP responses). Unknown algorithms and malformed signatures are false, never an exception.
 */
export function verifySignedData(algorithmOid: string, data: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  const hash = SIGNATURE_ALGORITHM_HASH.get(algorithmOid);
  if (hash === undefined) return false;
  try {
    return verify(hash, data, key, signature);
  } catch {
    return false;
  }
}

export interface CertificateExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue's content octets (the DER the extension defines). */
  readonly value: Buffer;
  /** The whole Extension element, for splicing. */
  readonly encoded: Buffer;
}

export class CertificateError extends Error {}

/** How many verified signatures a trusted certificate remembers (the webhook re-verifies the same ones). */
const REMEMBERED_SIGNATURES = 512;

export class Certificate {
  private cachedKey: KeyObject | undefined;
  /** Results of checking certificates this one may have issued, by the sha256 of their DER. */
  private readonly signedByMe = new Map<string, boolean>();

  private constructor(
    /** The whole certificate. */
    readonly der: Buffer,
    /** The exact TBSCertificate bytes the issuer signed. */
    readonly tbs: Buffer,
    readonly signatureAlgorithm: string,
    readonly signature: Buffer,
    readonly serialNumber: Buffer,
    /** The issuer Name, DER (compare with `subject` of the issuer). */
    readonly issuer: Buffer,
    readonly subject: Buffer,
    readonly notBefore: Date,
    readonly notAfter: Date,
    /** The SubjectPublicKeyInfo, DER. */
    readonly spki: Buffer,
    readonly extensions: readonly CertificateExtension[],
    /** Offsets of the `[3] extensions` element inside `tbs`, when present. */
    private readonly extensionsElement: DerElement | undefined,
  ) {}

  static parse(input: Uint8Array): Certificate {
    const der = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    try {
      const root = readRoot(der);
      expectTag(root, TAG.SEQUENCE, "certificate");
      const [tbsElement, algorithmElement, signatureElement, ...extra] = childrenOf(der, root);
      if (extra.length > 0) throw new DerError("certificate has extra fields");
      expectTag(tbsElement, TAG.SEQUENCE, "tbsCertificate");
      const signatureAlgorithm = algorithmOid(der, expectTag(algorithmElement, TAG.SEQUENCE, "signatureAlgorithm"));
      const bits = contentOf(der, expectTag(signatureElement, TAG.BIT_STRING, "signatureValue"));
      if (bits.length === 0 || bits[0] !== 0) throw new DerError("signature bit string has unused bits");
      const tbs = encodedOf(der, tbsElement!);
      const fields = childrenOf(der, tbsElement!);
      let index = 0;
      if (fields[0]?.tag === 0xa0) index++;
      const serial = expectTag(fields[index++], TAG.INTEGER, "serialNumber");
      const innerAlgorithm = algorithmOid(der, expectTag(fields[index++], TAG.SEQUENCE, "signature"));
      if (innerAlgorithm !== signatureAlgorithm) throw new DerError("the two signature algorithm fields differ");
      const issuer = expectTag(fields[index++], TAG.SEQUENCE, "issuer");
      const validity = childrenOf(der, expectTag(fields[index++], TAG.SEQUENCE, "validity"));
      if (validity.length !== 2) throw new DerError("validity must hold two times");
      const subject = expectTag(fields[index++], TAG.SEQUENCE, "subject");
      const spki = expectTag(fields[index++], TAG.SEQUENCE, "subjectPublicKeyInfo");
      let extensionsElement: DerElement | undefined;
      const extensions: CertificateExtension[] = [];
      for (const field of fields.slice(index)) {
        if (field.tag === 0x81 || field.tag === 0x82) continue;
        if (field.tag !== 0xa3 || extensionsElement !== undefined) throw new DerError("unexpected field in tbsCertificate");
        extensionsElement = field;
        const [list, ...rest] = childrenOf(der, field);
        if (rest.length > 0) throw new DerError("extensions must be one sequence");
        for (const element of childrenOf(der, expectTag(list, TAG.SEQUENCE, "extensions"))) extensions.push(parseExtension(der, element));
      }
      const seen = new Set<string>();
      for (const extension of extensions) {
        if (seen.has(extension.oid)) throw new DerError(`extension ${extension.oid} appears twice`);
        seen.add(extension.oid);
      }
      const relative = extensionsElement === undefined ? undefined : shift(extensionsElement, -tbsElement!.start);
      return new Certificate(
        der,
        tbs,
        signatureAlgorithm,
        bits.subarray(1),
        contentOf(der, serial),
        encodedOf(der, issuer),
        encodedOf(der, subject),
        decodeTime(der, validity[0]!),
        decodeTime(der, validity[1]!),
        encodedOf(der, spki),
        extensions,
        relative,
      );
    } catch (error) {
      if (error instanceof DerError) throw new CertificateError(`not a valid X.509 certificate: ${error.message}`);
      throw error;
    }
  }

  /** The subject public key (parsed on first use). */
  get publicKey(): KeyObject {
    this.cachedKey ??= createPublicKey({ key: this.spki, format: "der", type: "spki" });
    return this.cachedKey;
  }

  extension(oid: string): CertificateExtension | undefined {
    return this.extensions.find((extension) => extension.oid === oid);
  }

  get isSelfIssued(): boolean {
    return this.subject.equals(this.issuer);
  }

  /** basicConstraints: whether this is a CA, and its path length limit. */
  get basicConstraints(): { ca: boolean; pathLength?: number } | undefined {
    const extension = this.extension(OID.BASIC_CONSTRAINTS);
    if (extension === undefined) return undefined;
    return decode(() => {
      const value = extension.value;
      const sequence = expectTag(readRoot(value), TAG.SEQUENCE, "basicConstraints");
      let ca = false;
      let pathLength: number | undefined;
      for (const item of childrenOf(value, sequence)) {
        if (item.tag === TAG.BOOLEAN) ca = value[item.contentStart] !== 0;
        else if (item.tag === TAG.INTEGER) pathLength = Number(BigInt(`0x${contentOf(value, item).toString("hex") || "0"}`));
      }
      return pathLength === undefined ? { ca } : { ca, pathLength };
    });
  }

  /** The keyUsage bits set, by RFC 5280 number (0 digitalSignature … 5 keyCertSign). */
  get keyUsage(): ReadonlySet<number> | undefined {
    const extension = this.extension(OID.KEY_USAGE);
    if (extension === undefined) return undefined;
    return decode(() => {
      const bits = contentOf(extension.value, expectTag(readRoot(extension.value), TAG.BIT_STRING, "keyUsage"));
      const set = new Set<number>();
      for (let byte = 1; byte < bits.length; byte++) {
        for (let bit = 0; bit < 8; bit++) if (bits[byte]! & (0x80 >> bit)) set.add((byte - 1) * 8 + bit);
      }
      return set;
    });
  }

  get extendedKeyUsage(): readonly string[] | undefined {
    const extension = this.extension(OID.EXT_KEY_USAGE);
    if (extension === undefined) return undefined;
    return decode(() => {
      const value = extension.value;
      return childrenOf(value, expectTag(readRoot(value), TAG.SEQUENCE, "extKeyUsage")).map((item) => decodeOid(contentOf(value, expectTag(item, TAG.OID, "key purpose"))));
    });
  }

  get subjectKeyId(): Buffer | undefined {
    const extension = this.extension(OID.SUBJECT_KEY_ID);
    return extension === undefined ? undefined : decode(() => contentOf(extension.value, expectTag(readRoot(extension.value), TAG.OCTET_STRING, "subjectKeyIdentifier")));
  }

  get authorityKeyId(): Buffer | undefined {
    const extension = this.extension(OID.AUTHORITY_KEY_ID);
    if (extension === undefined) return undefined;
    return decode(() => {
      const value = extension.value;
      const keyId = childrenOf(value, expectTag(readRoot(value), TAG.SEQUENCE, "authorityKeyIdentifier")).find((item) => item.tag === 0x80);
      return keyId === undefined ? undefined : contentOf(value, keyId);
    });
  }

  /** A CA certificate may sign certificates: basicConstraints CA, and keyCertSign when keyUsage is present. */
  get isCA(): boolean {
    const constraints = this.basicConstraints;
    if (constraints?.ca !== true) return false;
    const usage = this.keyUsage;
    return usage === undefined || usage.has(5);
  }

  isValidAt(time: Date): boolean {
    return this.notBefore.getTime() <= time.getTime() && time.getTime() <= this.notAfter.getTime();
  }

  /** Whether `issuerKey` signed this certificate's TBS. */
  isSignedBy(issuerKey: KeyObject): boolean {
    return verifySignedData(this.signatureAlgorithm, this.tbs, this.signature, issuerKey);
  }

  /**
   * Whether `issuer` issued this certificate: names chain, key ids agree when both are given, signature
   * verifies. The issuer remembers the answer for this exact DER (a trusted CA lives as long as its trust
   * material, and a signature check on P-384 costs a millisecond).
   */
  isIssuedBy(issuer: Certificate): boolean {
    if (!this.issuer.equals(issuer.subject)) return false;
    const authorityKeyId = this.authorityKeyId;
    const subjectKeyId = issuer.subjectKeyId;
    if (authorityKeyId !== undefined && subjectKeyId !== undefined && !authorityKeyId.equals(subjectKeyId)) return false;
    const key = createHash("sha256").update(this.der).digest("hex");
    const remembered = issuer.signedByMe.get(key);
    if (remembered !== undefined) return remembered;
    const verified = this.isSignedBy(issuer.publicKey);
    if (issuer.signedByMe.size >= REMEMBERED_SIGNATURES) issuer.signedByMe.delete(issuer.signedByMe.keys().next().value!);
    issuer.signedByMe.set(key, verified);
    return verified;
  }

  equals(other: Certificate): boolean {
    return this.der.equals(other.der);
  }

  /** The TBS as a CT precertificate (RFC 6962 §3.2): the SCT list extension removed, lengths re-encoded. */
  precertificateTbs(): Buffer {
    const element = this.extensionsElement;
    const sct = this.extension(OID.SCT_LIST);
    if (element === undefined || sct === undefined) return this.tbs;
    const kept = this.extensions.filter((extension) => extension !== sct).map((extension) => extension.encoded);
    const listContent = Buffer.concat(kept);
    const list = Buffer.concat([encodeHeader(TAG.SEQUENCE, listContent.length), listContent]);
    const wrapper = kept.length === 0 ? Buffer.alloc(0) : Buffer.concat([encodeHeader(0xa3, list.length), list]);
    const tbsHeaderLength = readRoot(this.tbs).contentStart;
    const content = Buffer.concat([this.tbs.subarray(tbsHeaderLength, element.start), wrapper, this.tbs.subarray(element.end)]);
    return Buffer.concat([encodeHeader(TAG.SEQUENCE, content.length), content]);
  }

  /** sha256 of the SubjectPublicKeyInfo, hex. */
  get publicKeyId(): string {
    return createHash("sha256").update(this.spki).digest("hex");
  }

  toPem(): string {
    const lines = this.der.toString("base64").match(/.{1,64}/g) ?? [];
    return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
  }
}

function shift(element: DerElement, by: number): DerElement {
  return { tag: element.tag, start: element.start + by, contentStart: element.contentStart + by, end: element.end + by };
}

export function algorithmOid(der: Buffer, element: DerElement): string {
  const [oid] = childrenOf(der, element);
  return decodeOid(contentOf(der, expectTag(oid, TAG.OID, "algorithm")));
}

export function parseExtension(der: Buffer, element: DerElement): CertificateExtension {
  const parts = childrenOf(der, expectTag(element, TAG.SEQUENCE, "extension"));
  const oid = decodeOid(contentOf(der, expectTag(parts[0], TAG.OID, "extnID")));
  let critical = false;
  let valueElement = parts[1];
  if (valueElement?.tag === TAG.BOOLEAN) {
    critical = der[valueElement.contentStart] !== 0;
    valueElement = parts[2];
    if (parts.length !== 3) throw new DerError("malformed extension");
  } else if (parts.length !== 2) {
    throw new DerError("malformed extension");
  }
  return { oid, critical, value: contentOf(der, expectTag(valueElement, TAG.OCTET_STRING, "extnValue")), encoded: encodedOf(der, element) };
}

function decode<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof DerError) throw new CertificateError(`malformed certificate extension: ${error.message}`);
    throw error;
  }
}

