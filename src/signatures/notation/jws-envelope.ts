/**
 * The JWS JSON serialization Notation writes (application/jose+json): `{payload, protected, header, signature}`
 * with the Notary headers in the protected header and the certificate chain in `header.x5c`.
 */
import { decodeBase64Strict } from "../../internal/base64.js";
import { parseSignedJson } from "../../internal/json-reader.js";
import { isRecord } from "../../internal/strict-json.js";
import { checkCriticalHeaders, envelopeInvalid, type NotationEnvelope } from "./envelope.js";
import { HEADER, NOTATION_PAYLOAD_CONTENT_TYPE, SIGNING_SCHEMES, type NotationAlgorithm, type SigningScheme } from "./media-types.js";

const ALGORITHMS: ReadonlySet<string> = new Set(["PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]);
const KNOWN_PROTECTED = new Set(["alg", "cty", "crit", HEADER.signingScheme, HEADER.signingTime, HEADER.authenticSigningTime, HEADER.expiry]);
const KNOWN_CRITICAL = new Set([HEADER.signingScheme, HEADER.authenticSigningTime, HEADER.expiry]);
const ENVELOPE_KEYS = new Set(["payload", "protected", "header", "signature"]);
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** base64url without padding (RFC 7515 §2), refusing anything else, with the offending position. */
function base64Url(text: unknown, what: string): Buffer {
  if (typeof text !== "string") envelopeInvalid(`the JWS ${what} is not a string`);
  if (!BASE64URL.test(text) || text.length % 4 === 1) {
    const at = text.search(/[^A-Za-z0-9_-]/);
    envelopeInvalid(`the JWS ${what} is not unpadded base64url${at >= 0 ? ` (illegal data at input byte ${at})` : ""}`);
  }
  const bytes = Buffer.from(text, "base64url");
  if (bytes.toString("base64url") !== text) envelopeInvalid(`the JWS ${what} is not canonical base64url`);
  return bytes;
}

function parseObject(bytes: Buffer, what: string): Record<string, unknown> {
  // The one reader of signed JSON: duplicate keys, a BOM or trailing bytes are refused.
  const value = parseSignedJson(bytes, `the JWS ${what}`, "NOTATION_ENVELOPE_INVALID");
  if (!isRecord(value)) envelopeInvalid(`the JWS ${what} is not a JSON object`);
  return value;
}

function rfc3339(value: unknown, name: string): Date {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    envelopeInvalid(`the protected header "${name}" is not an RFC 3339 time`);
  }
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) envelopeInvalid(`the protected header "${name}" is not a valid time`);
  return time;
}

export function parseJwsEnvelope(bytes: Uint8Array): NotationEnvelope {
  const envelope = parseObject(Buffer.from(bytes), "envelope");
  for (const key of Object.keys(envelope)) if (!ENVELOPE_KEYS.has(key)) envelopeInvalid(`the JWS envelope has an unexpected member "${key}" (only the flattened JSON serialization is allowed)`);
  const protectedText = envelope["protected"];
  const payloadText = envelope["payload"];
  const protectedBytes = base64Url(protectedText, "protected header");
  const payload = base64Url(payloadText, "payload");
  const signature = base64Url(envelope["signature"], "signature");
  const header = envelope["header"];
  if (!isRecord(header)) envelopeInvalid("the JWS unprotected header is missing");
  const protectedHeader = parseObject(protectedBytes, "protected header");

  const algorithm = protectedHeader["alg"];
  if (typeof algorithm !== "string" || !ALGORITHMS.has(algorithm)) envelopeInvalid(`the JWS algorithm ${JSON.stringify(algorithm)} is not one Notation allows (PS256/384/512, ES256/384/512)`);
  if (protectedHeader["cty"] !== NOTATION_PAYLOAD_CONTENT_TYPE) envelopeInvalid(`the payload content type must be "${NOTATION_PAYLOAD_CONTENT_TYPE}"`);
  const scheme = protectedHeader[HEADER.signingScheme];
  if (!SIGNING_SCHEMES.includes(scheme as SigningScheme)) envelopeInvalid(`the signing scheme ${JSON.stringify(scheme)} is not notary.x509 or notary.x509.signingAuthority`);
  const critical = protectedHeader["crit"];
  if (!Array.isArray(critical) || critical.length === 0 || !critical.every((name): name is string => typeof name === "string")) {
    envelopeInvalid('the protected header "crit" must be a non-empty list of header names');
  }
  const signingScheme = scheme as SigningScheme;
  const timeHeader = signingScheme === "notary.x509" ? HEADER.signingTime : HEADER.authenticSigningTime;
  const otherTime = signingScheme === "notary.x509" ? HEADER.authenticSigningTime : HEADER.signingTime;
  if (protectedHeader[timeHeader] === undefined) envelopeInvalid(`the signing scheme ${signingScheme} requires the protected header "${timeHeader}"`);
  if (protectedHeader[otherTime] !== undefined) envelopeInvalid(`the signing scheme ${signingScheme} does not allow the protected header "${otherTime}"`);
  const required = [HEADER.signingScheme, HEADER.expiry, ...(signingScheme === "notary.x509.signingAuthority" ? [HEADER.authenticSigningTime] : [])];
  if (!critical.includes(HEADER.signingScheme)) envelopeInvalid(`the protected header "${HEADER.signingScheme}" must be marked critical`);
  const unknownCritical = checkCriticalHeaders(critical, (name) => protectedHeader[name] !== undefined, required, KNOWN_CRITICAL);

  const chain = header["x5c"];
  if (!Array.isArray(chain) || chain.length === 0) envelopeInvalid('the JWS unprotected header has no certificate chain ("x5c")');
  const certificateChain = chain.map((entry, index) => {
    const der = typeof entry === "string" ? decodeBase64Strict(entry, "std-exact") : undefined;
    return der ?? envelopeInvalid(`x5c[${index}] is not standard base64`);
  });
  const timestamp = header[HEADER.timestampSignature];
  const timestampSignature = typeof timestamp === "string" ? decodeBase64Strict(timestamp, "std-exact") : undefined;
  if (timestamp !== undefined && timestampSignature === undefined) envelopeInvalid("the timestamp countersignature is not standard base64");
  const agent = header[HEADER.signingAgent] ?? header["io.cncf.notary.SigningAgent"];

  const extendedAttributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(protectedHeader)) if (!KNOWN_PROTECTED.has(name)) extendedAttributes[name] = value;
  const plugin = protectedHeader[HEADER.verificationPlugin];
  return {
    format: "jws",
    algorithm: algorithm as NotationAlgorithm,
    signingScheme,
    signingTime: rfc3339(protectedHeader[timeHeader], timeHeader),
    expiry: protectedHeader[HEADER.expiry] === undefined ? undefined : rfc3339(protectedHeader[HEADER.expiry], HEADER.expiry),
    signedBytes: Buffer.from(`${protectedText as string}.${payloadText as string}`, "ascii"),
    signature,
    payload,
    certificateChain,
    unknownCritical,
    extendedAttributes,
    signingAgent: typeof agent === "string" ? agent : undefined,
    timestampSignature,
    verificationPlugin: typeof plugin === "string" ? plugin : undefined,
  };
}
