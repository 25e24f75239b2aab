/**
 * COSE_Sign1 envelopes (RFC 9052, tag 18) as Notation writes them (application/cose): the Notary headers in
 * the protected header map, the certificate chain in `x5chain` (label 33) of the unprotected one. Decoded by a
 * maintained CBOR library with duplicate keys and indefinite lengths refused; the signature covers the
 * Sig_structure built from the protected header's exact received bytes.
 */
import { decode, encode, Tag } from "cbor2";
import { checkCriticalHeaders, envelopeInvalid, type NotationEnvelope } from "./envelope.js";
import { COSE_ALGORITHMS, HEADER, NOTATION_PAYLOAD_CONTENT_TYPE, SIGNING_SCHEMES, type SigningScheme } from "./media-types.js";

const LABEL = { alg: 1, crit: 2, contentType: 3, x5chain: 33 } as const;
const COSE_SIGN1_TAG = 18;
const DECODE_OPTIONS = { preferMap: true, rejectDuplicateKeys: true, rejectStreaming: true } as const;
const KNOWN_PROTECTED: ReadonlySet<unknown> = new Set([LABEL.alg, LABEL.crit, LABEL.contentType, HEADER.signingScheme, HEADER.signingTime, HEADER.authenticSigningTime, HEADER.expiry]);
const KNOWN_CRITICAL = new Set<string>([HEADER.signingScheme, HEADER.authenticSigningTime, HEADER.expiry]);

function cbor(bytes: Uint8Array, what: string): unknown {
  try {
    return decode(bytes, DECODE_OPTIONS);
  } catch (error) {
    return envelopeInvalid(`the COSE ${what} is not valid CBOR: ${(error as Error).message}`);
  }
}

function bytesOf(value: unknown, what: string): Buffer {
  if (!(value instanceof Uint8Array)) envelopeInvalid(`the COSE ${what} is not a byte string`);
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** The encoder writes a Node Buffer as a map: hand it a plain Uint8Array view to get a byte string. */
function plainBytes(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function timeOf(value: unknown, name: string): Date {
  // Notation writes times as tag 1 (epoch seconds), which the decoder turns into a Date.
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) envelopeInvalid(`the protected header "${name}" is not a tag 1 time`);
  return value;
}

export function parseCoseEnvelope(bytes: Uint8Array): NotationEnvelope {
  const message = cbor(bytes, "envelope");
  if (!(message instanceof Tag) || Number(message.tag) !== COSE_SIGN1_TAG) envelopeInvalid("the COSE envelope is not a tagged COSE_Sign1 message");
  const parts = message.contents;
  if (!Array.isArray(parts) || parts.length !== 4) envelopeInvalid("a COSE_Sign1 message has exactly four parts");
  const protectedBytes = bytesOf(parts[0], "protected header");
  const unprotected = parts[1];
  const payload = bytesOf(parts[2], "payload");
  const signature = bytesOf(parts[3], "signature");
  const header = cbor(protectedBytes, "protected header");
  if (!(header instanceof Map)) envelopeInvalid("the COSE protected header is not a map");
  if (!(unprotected instanceof Map)) envelopeInvalid("the COSE unprotected header is not a map");

  const algorithm = COSE_ALGORITHMS.get(header.get(LABEL.alg) as number);
  if (algorithm === undefined) envelopeInvalid(`the COSE algorithm ${String(header.get(LABEL.alg))} is not one Notation allows (PS256/384/512, ES256/384/512)`);
  if (header.get(LABEL.contentType) !== NOTATION_PAYLOAD_CONTENT_TYPE) envelopeInvalid(`the payload content type must be "${NOTATION_PAYLOAD_CONTENT_TYPE}"`);
  const scheme = header.get(HEADER.signingScheme);
  if (!SIGNING_SCHEMES.includes(scheme as SigningScheme)) envelopeInvalid(`the signing scheme ${JSON.stringify(scheme)} is not notary.x509 or notary.x509.signingAuthority`);
  const signingScheme = scheme as SigningScheme;
  const critical = header.get(LABEL.crit);
  if (!Array.isArray(critical) || critical.length === 0 || !critical.every((name): name is string => typeof name === "string")) {
    envelopeInvalid("the COSE crit header must be a non-empty list of header names");
  }
  if (!critical.includes(HEADER.signingScheme)) envelopeInvalid(`the protected header "${HEADER.signingScheme}" must be marked critical`);
  const timeHeader = signingScheme === "notary.x509" ? HEADER.signingTime : HEADER.authenticSigningTime;
  const otherTime = signingScheme === "notary.x509" ? HEADER.authenticSigningTime : HEADER.signingTime;
  if (!header.has(timeHeader)) envelopeInvalid(`the signing scheme ${signingScheme} requires the protected header "${timeHeader}"`);
  if (header.has(otherTime)) envelopeInvalid(`the signing scheme ${signingScheme} does not allow the protected header "${otherTime}"`);
  const required = [HEADER.signingScheme, HEADER.expiry, ...(signingScheme === "notary.x509.signingAuthority" ? [HEADER.authenticSigningTime] : [])];
  const unknownCritical = checkCriticalHeaders(critical, (name) => header.has(name), required, KNOWN_CRITICAL);

  const x5chain = unprotected.get(LABEL.x5chain);
  const chainEntries: unknown[] = x5chain instanceof Uint8Array ? [x5chain] : Array.isArray(x5chain) ? x5chain : [];
  if (chainEntries.length === 0) envelopeInvalid("the COSE unprotected header has no certificate chain (x5chain)");
  const certificateChain = chainEntries.map((entry, index) => bytesOf(entry, `x5chain[${index}]`));
  const timestamp = unprotected.get(HEADER.timestampSignature);
  const agent = unprotected.get(HEADER.signingAgent);
  const plugin = header.get(HEADER.verificationPlugin);

  const extendedAttributes: Record<string, unknown> = {};
  for (const [name, value] of header) if (!KNOWN_PROTECTED.has(name)) extendedAttributes[String(name)] = value;
  return {
    format: "cose",
    algorithm,
    signingScheme,
    signingTime: timeOf(header.get(timeHeader), timeHeader),
    expiry: header.has(HEADER.expiry) ? timeOf(header.get(HEADER.expiry), HEADER.expiry) : undefined,
    signedBytes: Buffer.from(encode(["Signature1", plainBytes(protectedBytes), new Uint8Array(0), plainBytes(payload)])),
    signature,
    payload,
    certificateChain,
    unknownCritical,
    extendedAttributes,
    signingAgent: typeof agent === "string" ? agent : undefined,
    timestampSignature: timestamp === undefined ? undefined : bytesOf(timestamp, "timestamp countersignature"),
    verificationPlugin: typeof plugin === "string" ? plugin : undefined,
  };
}
