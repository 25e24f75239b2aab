/**
 * The RFC 3161 countersignature of a Notation signature: a TimeStampToken over the signature value, signed by
 * a TSA certificate the token carries, which must chain to a root of the statement's `tsa` trust stores and be
 * valid at the timestamp's time. The result is the time range [genTime - accuracy, genTime + accuracy].
 */
import { OID } from "../../internal/oids.js";
import { Certificate, CertificateError } from "../../trust/x509.js";
import { parseTimestampToken, TimestampError, type TimestampToken } from "../../trust/rfc3161.js";
import { readRoot } from "../../internal/der.js";
import { goName, goSubject } from "./distinguished-name.js";

export interface TimestampRange {
  readonly earliest: Date;
  readonly latest: Date;
}

export class NotationTimestampError extends Error {}

const MAX_TSA_INTERMEDIATES = 4;

function nameContent(name: Buffer): Buffer {
  return name.subarray(readRoot(name).contentStart);
}

function isSelfSigned(certificate: Certificate): boolean {
  return certificate.isIssuedBy(certificate);
}

/**
 * notation-core-go's ValidateTimestampingCertChain: leaf first, each certificate issued by the next, ending at
 * a self-signed root; no self-signed leaf or intermediate; the leaf for time stamping only (critical EKU).
 */
export function validateTimestampingChain(chain: readonly Certificate[]): void {
  const name = (certificate: Certificate) => goSubject(certificate);
  if (chain.length === 0) throw new NotationTimestampError("certificate chain must contain at least one certificate");
  const leaf = chain[0]!;
  const checkLeafUsage = (prefix: string) => {
    const usage = leaf.extension(OID.EXT_KEY_USAGE);
    const usages = leaf.extendedKeyUsage;
    if (usage === undefined || !usage.critical || usages === undefined || usages.length !== 1 || usages[0] !== OID.TIME_STAMPING) {
      throw new NotationTimestampError(`${prefix}timestamp signing certificate with subject "${name(leaf)}" must have and only have Timestamping as extended key usage`);
    }
  };
  if (chain.length === 1) {
    if (!leaf.issuer.equals(leaf.subject)) throw new NotationTimestampError(`invalid self-signed certificate. subject: "${name(leaf)}". Error: issuer (${goName(leaf.issuer)}) and subject (${name(leaf)}) are not the same`);
    if (!leaf.isSignedBy(leaf.publicKey)) throw new NotationTimestampError(`invalid self-signed certificate. subject: "${name(leaf)}". Error: the signature does not verify`);
    checkLeafUsage("invalid self-signed certificate. Error: ");
    return;
  }
  if (isSelfSigned(leaf)) throw new NotationTimestampError(`leaf certificate with subject "${name(leaf)}" is self-signed. Certificate chain must not contain self-signed leaf certificate`);
  for (let index = 0; index + 1 < chain.length; index++) {
    const child = chain[index]!;
    const parent = chain[index + 1]!;
    if (index + 1 < chain.length - 1 && isSelfSigned(parent)) throw new NotationTimestampError(`intermediate certificate with subject "${name(parent)}" is self-signed. Certificate chain must not contain self-signed intermediate certificate`);
    if (index + 1 === chain.length - 1 && !isSelfSigned(parent)) throw new NotationTimestampError(`root certificate with subject "${name(parent)}" is invalid or not self-signed. Certificate chain must end with a valid self-signed root certificate`);
    if (!child.isIssuedBy(parent)) throw new NotationTimestampError(`invalid certificates or certificate with subject "${name(child)}" is not issued by "${name(parent)}"`);
  }
  checkLeafUsage("");
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
  validateTimestampingChain(path);
  return { earliest: new Date(token.time.getTime() - token.accuracyMs), latest: new Date(token.time.getTime() + token.accuracyMs) };
}
