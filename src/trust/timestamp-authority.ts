/**
 * RFC 3161 timestamps over a signature: the TSA (a timestamp authority of the trust material, named by the
 * token's signer issuer and serial) signed the time and the digest of exactly these signature bytes, and its
 * chain was valid at that time.
 */
import { SignetError } from "../errors/index.js";
import { readRoot } from "../internal/der.js";
import { parseTimestampResponse, TimestampError, type TimestampToken } from "./rfc3161.js";
import { isWithinPeriod, type CertificateAuthority } from "./trust-material.js";

export interface VerifiedTsaTimestamp {
  readonly time: Date;
  readonly authority: CertificateAuthority;
}

function invalid(message: string): never {
  throw new SignetError("TIMESTAMP_INVALID", message);
}

function nameContent(name: Buffer): Buffer {
  return name.subarray(readRoot(name).contentStart);
}

export function verifyRfc3161Timestamp(der: Uint8Array, signedBytes: Uint8Array, authorities: readonly CertificateAuthority[]): VerifiedTsaTimestamp {
  let token: TimestampToken;
  try {
    token = parseTimestampResponse(der);
  } catch (error) {
    if (error instanceof TimestampError) invalid(`the RFC 3161 timestamp is malformed: ${error.message}`);
    throw error;
  }
  const { time } = token;
  const candidates = authorities.filter((authority) => {
    const signer = authority.certChain[0];
    return signer !== undefined && signer.serialNumber.equals(token.signerSerial) && nameContent(signer.issuer).equals(token.signerIssuer);
  });
  if (candidates.length === 0) invalid("the RFC 3161 timestamp was signed by a timestamp authority the trusted root does not list");
  if (!token.coversData(signedBytes)) invalid("the RFC 3161 timestamp is for other data than this signature");
  let reason = `no timestamp authority of the trusted root was valid at ${time.toISOString()}`;
  for (const authority of candidates) {
    if (!isWithinPeriod(authority.validFor, time)) continue;
    const expired = authority.certChain.find((certificate) => !certificate.isValidAt(time));
    if (expired !== undefined) {
      reason = `the timestamp authority's certificate is valid from ${expired.notBefore.toISOString()} to ${expired.notAfter.toISOString()}, not at ${time.toISOString()}`;
      continue;
    }
    if (token.isSignedBy(authority.certChain[0]!.publicKey)) return { time, authority };
    reason = "the RFC 3161 timestamp's signature does not verify with its timestamp authority's key";
  }
  return invalid(reason);
}
