/**
 * RFC 3161 timestamp responses read straight from their DER (CMS SignedData over a TSTInfo): the time, the
 * message imprint, the signer's issuer and serial, and the exact signed-attribute bytes the TSA signed.
 */
import { createHash, verify, type KeyObject } from "node:crypto";
import { childrenOf, contentOf, decodeOid, decodeTime, DerError, encodedOf, expectTag, readRoot, TAG, type DerElement } from "../internal/der.js";
import { DIGEST_ALGORITHM, OID, SIGNATURE_ALGORITHM_HASH } from "../internal/oids.js";

/** Signature algorithms a TSA may use (Ed25519 is not one); RSA with `rsaEncryption` takes the hash from the digest algorithm. */
function signatureHashOf(signatureAlgorithm: string, digestAlgorithm: string | undefined): string | undefined {
  if (signatureAlgorithm === OID.RSA_ENCRYPTION) return digestAlgorithm;
  const hash = SIGNATURE_ALGORITHM_HASH.get(signatureAlgorithm);
  if (hash === null || hash === undefined) throw new DerError("the signer uses an unsupported signature algorithm");
  return hash;
}

export class TimestampError extends Error {}

export interface TimestampToken {
  readonly time: Date;
  readonly imprintAlgorithm: string;
  readonly imprint: Buffer;
  /** The content octets of the signer's issuer Name, and its serial number (IssuerAndSerialNumber). */
  readonly signerIssuer: Buffer;
  readonly signerSerial: Buffer;
  /** Whether `data` is what the TSA timestamped. */
  coversData(data: Uint8Array): boolean;
  /** Whether `publicKey` signed the token. */
  isSignedBy(publicKey: KeyObject): boolean;
  /** The certificates the token carries (SignedData `certificates`), DER, untrusted. */
  readonly certificates: readonly Buffer[];
  /** TSTInfo `accuracy` in milliseconds (0 when absent). */
  readonly accuracyMs: number;
  /** TSTInfo `nonce` (the INTEGER's content octets), when the request carried one. */
  readonly nonce: Buffer | undefined;
}

function children(bytes: Buffer, element: DerElement | undefined, tag: number, what: string): DerElement[] {
  return childrenOf(bytes, expectTag(element, tag, what));
}

function oidOf(bytes: Buffer, element: DerElement | undefined, what: string): string {
  return decodeOid(contentOf(bytes, expectTag(element, TAG.OID, what)));
}

function algorithmOf(bytes: Buffer, element: DerElement | undefined, what: string): string {
  return oidOf(bytes, children(bytes, element, TAG.SEQUENCE, what)[0], what);
}

export function parseTimestampResponse(input: Uint8Array): TimestampToken {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  try {
    const [statusInfo, token] = children(bytes, readRoot(bytes), TAG.SEQUENCE, "TimeStampResp");
    const status = contentOf(bytes, expectTag(children(bytes, statusInfo, TAG.SEQUENCE, "PKIStatusInfo")[0], TAG.INTEGER, "status"));
    if (status.length !== 1 || status[0]! > 1) throw new DerError("the TSA did not grant the timestamp");
    return readToken(bytes, token);
  } catch (error) {
    if (error instanceof DerError) throw new TimestampError(error.message);
    throw error;
  }
}

/** A TimeStampToken on its own (a CMS ContentInfo), as Notation stores its countersignatures. */
export function parseTimestampToken(input: Uint8Array): TimestampToken {
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  try {
    return readToken(bytes, readRoot(bytes));
  } catch (error) {
    if (error instanceof DerError) throw new TimestampError(error.message);
    throw error;
  }
}

function readToken(bytes: Buffer, token: DerElement | undefined): TimestampToken {
  const [contentType, wrapped] = children(bytes, token, TAG.SEQUENCE, "timeStampToken");
  if (oidOf(bytes, contentType, "contentType") !== OID.CMS_SIGNED_DATA) throw new DerError("the token is not CMS SignedData");
  const signedData = children(bytes, expectTag(childrenOf(bytes, expectTag(wrapped, 0xa0, "content"))[0], TAG.SEQUENCE, "SignedData"), TAG.SEQUENCE, "SignedData");
  const [encapsulatedType, encapsulatedContent] = children(bytes, signedData[2], TAG.SEQUENCE, "encapContentInfo");
  if (oidOf(bytes, encapsulatedType, "eContentType") !== OID.TST_INFO) throw new DerError("the token does not hold a TSTInfo");
  const tstInfoOctets = expectTag(childrenOf(bytes, expectTag(encapsulatedContent, 0xa0, "eContent"))[0], TAG.OCTET_STRING, "eContent");
  const tstInfoBytes = contentOf(bytes, tstInfoOctets);
  const tstInfo = children(tstInfoBytes, readRoot(tstInfoBytes), TAG.SEQUENCE, "TSTInfo");
  const [imprintAlgorithmElement, imprintElement] = children(tstInfoBytes, tstInfo[2], TAG.SEQUENCE, "messageImprint");
  const imprintAlgorithm = DIGEST_ALGORITHM.get(algorithmOf(tstInfoBytes, imprintAlgorithmElement, "hashAlgorithm"));
  if (imprintAlgorithm === undefined) throw new DerError("the message imprint uses an unsupported hash");
  const imprint = contentOf(tstInfoBytes, expectTag(imprintElement, TAG.OCTET_STRING, "hashedMessage"));
  const time = decodeTime(tstInfoBytes, expectTag(tstInfo[4], TAG.GENERALIZED_TIME, "genTime"));
  const accuracyMs = tstInfo[5]?.tag === TAG.SEQUENCE ? accuracyOf(tstInfoBytes, tstInfo[5]) : 0;
  // After genTime: accuracy (SEQUENCE), ordering (BOOLEAN), then nonce, the only INTEGER.
  const nonceElement = tstInfo.slice(5).find((element) => element.tag === TAG.INTEGER);
  const nonce = nonceElement === undefined ? undefined : contentOf(tstInfoBytes, nonceElement);
  const certificates = signedData[3]?.tag === 0xa0 ? childrenOf(bytes, signedData[3]).filter((element) => element.tag === TAG.SEQUENCE).map((element) => encodedOf(bytes, element)) : [];

  const signerInfos = children(bytes, signedData[signedData.length - 1], TAG.SET, "signerInfos");
  if (signerInfos.length !== 1) throw new DerError(`the token has ${signerInfos.length} signers; exactly one is expected`);
  const signerInfo = children(bytes, signerInfos[0], TAG.SEQUENCE, "SignerInfo");
  const [issuerName, serial] = children(bytes, signerInfo[1], TAG.SEQUENCE, "sid (IssuerAndSerialNumber)");
  const digestAlgorithm = DIGEST_ALGORITHM.get(algorithmOf(bytes, signerInfo[2], "digestAlgorithm"));
  if (digestAlgorithm === undefined) throw new DerError("the signer uses an unsupported digest");
  const signedAttributes = expectTag(signerInfo[3], TAG.CONTEXT_CONSTRUCTED_0, "signedAttrs");
  const signatureAlgorithm = algorithmOf(bytes, signerInfo[4], "signatureAlgorithm");
  const signatureHash = signatureHashOf(signatureAlgorithm, digestAlgorithm);
  const signature = contentOf(bytes, expectTag(signerInfo[5], TAG.OCTET_STRING, "signature"));

  let messageDigest: Buffer | undefined;
  let contentTypeAttribute: string | undefined;
  for (const attribute of childrenOf(bytes, signedAttributes)) {
    const [type, values] = children(bytes, attribute, TAG.SEQUENCE, "Attribute");
    const oid = oidOf(bytes, type, "attrType");
    const [value] = children(bytes, values, TAG.SET, "attrValues");
    if (oid === OID.CMS_MESSAGE_DIGEST) messageDigest = contentOf(bytes, expectTag(value, TAG.OCTET_STRING, "messageDigest"));
    if (oid === OID.CMS_CONTENT_TYPE) contentTypeAttribute = oidOf(bytes, value, "contentType");
  }
  if (contentTypeAttribute !== OID.TST_INFO) throw new DerError("the signed attributes do not name a TSTInfo");
  if (messageDigest === undefined || !createHash(digestAlgorithm).update(tstInfoBytes).digest().equals(messageDigest)) {
    throw new DerError("the signed attributes do not cover this TSTInfo");
  }
  // The signature covers the signed attributes encoded as a SET (RFC 5652 §5.4), not with their [0] tag.
  const signedBytes = Buffer.concat([Buffer.of(TAG.SET), encodedOf(bytes, signedAttributes).subarray(1)]);
  const issuerContent = contentOf(bytes, expectTag(issuerName, TAG.SEQUENCE, "issuer"));
  const serialContent = contentOf(bytes, expectTag(serial, TAG.INTEGER, "serialNumber"));
  return {
    time,
    imprintAlgorithm,
    imprint,
    signerIssuer: issuerContent,
    signerSerial: serialContent,
    certificates,
    accuracyMs,
    nonce,
    coversData: (data) => createHash(imprintAlgorithm).update(data).digest().equals(imprint),
    isSignedBy(publicKey) {
      try {
        return verify(signatureHash, signedBytes, publicKey, signature);
      } catch {
        return false;
      }
    },
  };
}

/** Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER OPTIONAL, micros [1] INTEGER OPTIONAL } */
function accuracyOf(bytes: Buffer, element: DerElement): number {
  let total = 0;
  for (const part of childrenOf(bytes, element)) {
    const value = contentOf(bytes, part).reduce((sum, byte) => sum * 256 + byte, 0);
    if (part.tag === TAG.INTEGER) total += value * 1000;
    else if (part.tag === 0x80) total += value;
    else if (part.tag === 0x81) total += value / 1000;
  }
  return total;
}
