/**
 * The RFC 3161 countersignature of a Notation signature: a TimeStampToken over the signature value, signed by
 * a TSA certificate the token carries, which must chain to a root of the statement's `tsa` trust stores and be
 * valid at the timestamp's time. The result is the time range [genTime - accuracy, genTime + accuracy].
 */
import { OID, Certificate, CertificateError } from "../../trust/x509.js";
import { parseTimestampToken, TimestampError, type TimestampToken } from "../../trust/rfc3161.js";
import { readRoot } from "../../trust/der.js";

export interface TimestampRange {
  readonly earliest: Date;
  readonly latest: Date;
}

export class NotationTimestampError extends Error {}

const MAX_TSA_INTERMEDIATES = 4;

function nameContent(name: Buffer): Buffer {
  return name.subarray(readRoot(name).contentStart);
}

export function verifyNotationTimestamp(tokenBytes: Uint8Array, signature: Uint8Array, roots: readonly Certificate[]): TimestampRange {
  let token: TimestampToken;
  let carried: Certificate[];
  try {
    token = parseTimestampToken(tokenBytes);
    carried = token.certificates.map((der) => Certificate.parse(der));
  } catch (error) {
    if (error instanceof TimestampError || error instanceof CertificateError) throw new NotationTimestampError(`failed to parse timestamp countersignature with error: ${error.message}`);
    throw error;
  }
  if (!token.coversData(signature)) throw new NotationTimestampError("the timestamp countersignature is not over this signature value");
  const signer = carried.find((certificate) => certificate.serialNumber.equals(token.signerSerial) && nameContent(certificate.issuer).equals(token.signerIssuer));
  if (signer === undefined) throw new NotationTimestampError("the timestamp countersignature does not carry its signing certificate");
  if (!token.isSignedBy(signer.publicKey)) throw new NotationTimestampError("the timestamp countersignature does not verify with its signing certificate");
  const usages = signer.extendedKeyUsage;
  if (usages === undefined || !usages.includes(OID.TIME_STAMPING)) throw new NotationTimestampError("the timestamping certificate is not for time stamping (its extended key usage lacks timeStamping)");
  // Walk from the TSA certificate to a trusted root through the token's own certificates.
  const path = [signer];
  let current = signer;
  for (let depth = 0; ; depth++) {
    const root = roots.find((candidate) => current.isIssuedBy(candidate));
    if (root !== undefined) {
      if (!root.equals(current)) path.push(root);
      break;
    }
    const next = carried.find((candidate) => !path.includes(candidate) && current.isIssuedBy(candidate));
    if (next === undefined || depth >= MAX_TSA_INTERMEDIATES) throw new NotationTimestampError("the timestamping certificate does not chain to a certificate of the tsa trust store");
    path.push(next);
    current = next;
  }
  for (const [index, certificate] of path.entries()) {
    if (!certificate.isValidAt(token.time)) throw new NotationTimestampError(`the timestamping certificate chain is not valid at the timestamp's time ${token.time.toISOString()}`);
    if (index > 0 && !certificate.isCA) throw new NotationTimestampError("a certificate of the timestamping chain is not a CA");
  }
  return { earliest: new Date(token.time.getTime() - token.accuracyMs), latest: new Date(token.time.getTime() + token.accuracyMs) };
}
