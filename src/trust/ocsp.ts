/**
 * OCSP (RFC 6960): the request for one certificate's status, and the response checked to the letter: a
 * successful basic response, signed by the issuer or by a responder it delegated (id-kp-OCSPSigning), naming
 * this certificate, current at `now`. Pure; sending the request is its caller's job.
 */
import { createHash } from "node:crypto";
import { childrenOf, contentOf, decodeOid, decodeTime, DerError, encodedOf, expectTag, readRoot, TAG, type DerElement } from "../internal/der.js";
import { OID } from "../internal/oids.js";
import { der } from "./der-writer.js";
import type { CrlVerdict } from "./crl.js";
import { serialKey } from "./crl.js";
import { algorithmOid, Certificate, CertificateError, verifySignedData } from "./x509.js";

const HASH_NAMES: Record<string, string> = { [OID.SHA1]: "sha1", [OID.SHA256]: "sha256", [OID.SHA384]: "sha384", [OID.SHA512]: "sha512" };
/** Clock skew allowed on thisUpdate, as Go's ocsp package and notation allow. */
const SKEW_MS = 5 * 60 * 1000;

function subjectPublicKeyBits(certificate: Certificate): Buffer {
  const spki = certificate.spki;
  const [, bits] = childrenOf(spki, readRoot(spki));
  return contentOf(spki, expectTag(bits, TAG.BIT_STRING, "subjectPublicKey")).subarray(1);
}

function certIdHashes(hash: string, issuer: Certificate): { nameHash: Buffer; keyHash: Buffer } {
  return { nameHash: createHash(hash).update(issuer.subject).digest(), keyHash: createHash(hash).update(subjectPublicKeyBits(issuer)).digest() };
}

/** An OCSPRequest for `certificate` (CertID with SHA-256), DER. */
export function ocspRequest(certificate: Certificate, issuer: Certificate): Buffer {
  const { nameHash, keyHash } = certIdHashes("sha256", issuer);
  const certId = der.sequence(der.sequence(der.oid(OID.SHA256), Buffer.from([0x05, 0x00])), der.octetString(nameHash), der.octetString(keyHash), der.integer(certificate.serialNumber));
  return der.sequence(der.sequence(der.sequence(der.sequence(certId))));
}

/** The OCSP responder URLs of a certificate's authorityInfoAccess extension. */
export function ocspUrlsOf(certificate: Certificate): string[] {
  const extension = certificate.extension(OID.AUTHORITY_INFO_ACCESS);
  if (extension === undefined) return [];
  const value = extension.value;
  try {
    const urls: string[] = [];
    for (const access of childrenOf(value, expectTag(readRoot(value), TAG.SEQUENCE, "AuthorityInfoAccessSyntax"))) {
      const [method, location] = childrenOf(value, expectTag(access, TAG.SEQUENCE, "AccessDescription"));
      if (decodeOid(contentOf(value, expectTag(method, TAG.OID, "accessMethod"))) === OID.ACCESS_OCSP && location?.tag === 0x86) urls.push(contentOf(value, location).toString("latin1"));
    }
    return urls;
  } catch (error) {
    if (error instanceof DerError) return [];
    throw error;
  }
}

function unknown(reason: string): CrlVerdict {
  return { state: "unknown", reason };
}

function children(bytes: Buffer, element: DerElement | undefined, tag: number, what: string): DerElement[] {
  return childrenOf(bytes, expectTag(element, tag, what));
}

/** Reads and checks an OCSPResponse for `certificate`; anything untrustworthy is "unknown". */
export function checkOcspResponse(response: Uint8Array, certificate: Certificate, issuer: Certificate, now: Date): CrlVerdict {
  const bytes = Buffer.from(response.buffer, response.byteOffset, response.byteLength);
  try {
    const [status, responseBytes] = children(bytes, readRoot(bytes), TAG.SEQUENCE, "OCSPResponse");
    const code = contentOf(bytes, expectTag(status, 0x0a, "responseStatus"))[0];
    if (code !== 0) return unknown(`the OCSP responder answered status ${String(code)} (not successful)`);
    const [type, octets] = children(bytes, children(bytes, responseBytes, 0xa0, "responseBytes")[0], TAG.SEQUENCE, "ResponseBytes");
    if (decodeOid(contentOf(bytes, expectTag(type, TAG.OID, "responseType"))) !== OID.OCSP_BASIC_RESPONSE) return unknown("the OCSP response is not a basic response");
    const basicBytes = contentOf(bytes, expectTag(octets, TAG.OCTET_STRING, "response"));
    const [tbsElement, algorithmElement, signatureElement, certsElement] = children(basicBytes, readRoot(basicBytes), TAG.SEQUENCE, "BasicOCSPResponse");
    const tbs = encodedOf(basicBytes, expectTag(tbsElement, TAG.SEQUENCE, "tbsResponseData"));
    const algorithm = algorithmOid(basicBytes, expectTag(algorithmElement, TAG.SEQUENCE, "signatureAlgorithm"));
    const signature = contentOf(basicBytes, expectTag(signatureElement, TAG.BIT_STRING, "signature")).subarray(1);
    // certs [0] EXPLICIT SEQUENCE OF Certificate: a delegated responder sends its certificate here.
    const carried = certsElement?.tag === 0xa0 ? children(basicBytes, children(basicBytes, certsElement, 0xa0, "certs")[0], TAG.SEQUENCE, "certs").map((element: DerElement) => Certificate.parse(encodedOf(basicBytes, element))) : [];
    // The issuer signs for its certificates, or a responder certificate it issued for OCSP signing.
    const signers = [issuer, ...carried.filter((candidate) => candidate.isIssuedBy(issuer) && (candidate.extendedKeyUsage ?? []).includes(OID.OCSP_SIGNING) && candidate.isValidAt(now))];
    if (!signers.some((signer) => verifySignedData(algorithm, tbs, signature, signer.publicKey))) return unknown("the OCSP response is not signed by the issuer or a responder it authorised");
    const data = childrenOf(basicBytes, tbsElement!);
    let index = data[0]?.tag === 0xa0 ? 1 : 0;
    index++; // responderID
    index++; // producedAt
    const responses = children(basicBytes, data[index], TAG.SEQUENCE, "responses");
    const serial = serialKey(certificate.serialNumber);
    for (const single of responses) {
      const [certId, certStatus, thisUpdateElement, ...rest] = childrenOf(basicBytes, expectTag(single, TAG.SEQUENCE, "SingleResponse"));
      const [hashAlgorithm, nameHash, keyHash, serialNumber] = children(basicBytes, certId, TAG.SEQUENCE, "CertID");
      const hashName = HASH_NAMES[algorithmOid(basicBytes, expectTag(hashAlgorithm, TAG.SEQUENCE, "hashAlgorithm"))];
      if (hashName === undefined) continue;
      const expected = certIdHashes(hashName, issuer);
      if (!contentOf(basicBytes, expectTag(nameHash, TAG.OCTET_STRING, "issuerNameHash")).equals(expected.nameHash)) continue;
      if (!contentOf(basicBytes, expectTag(keyHash, TAG.OCTET_STRING, "issuerKeyHash")).equals(expected.keyHash)) continue;
      if (serialKey(contentOf(basicBytes, expectTag(serialNumber, TAG.INTEGER, "serialNumber"))) !== serial) continue;
      const thisUpdate = decodeTime(basicBytes, expectTag(thisUpdateElement, TAG.GENERALIZED_TIME, "thisUpdate"));
      if (thisUpdate.getTime() > now.getTime() + SKEW_MS) return unknown(`the OCSP response is not valid before ${thisUpdate.toISOString()}`);
      const next = rest.find((element) => element.tag === 0xa0);
      if (next !== undefined) {
        const nextUpdate = decodeTime(basicBytes, expectTag(childrenOf(basicBytes, next)[0], TAG.GENERALIZED_TIME, "nextUpdate"));
        if (now.getTime() > nextUpdate.getTime() + SKEW_MS) return unknown(`the OCSP response expired at ${nextUpdate.toISOString()}`);
      }
      if (certStatus?.tag === 0x80) return { state: "good", reason: "OCSP: good" };
      if (certStatus?.tag === 0xa1) return { state: "revoked", reason: `OCSP: revoked on ${decodeTime(basicBytes, childrenOf(basicBytes, certStatus)[0]!).toISOString()}` };
      return unknown("OCSP: the responder does not know the certificate");
    }
    return unknown("the OCSP response does not name this certificate");
  } catch (error) {
    if (error instanceof DerError || error instanceof CertificateError) return unknown(`the OCSP response is malformed: ${error.message}`);
    throw error;
  }
}
