/**
 * An RFC 3161 client: asks a timestamp authority to countersign a signature value (notation's
 * `--timestamp-url`, cosign's `--timestamp-server-url`). The request carries the SHA-256 of the bytes, a random nonce and asks for the TSA's
 * certificate; the answer must be granted, echo the nonce and cover the bytes, or it is refused.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Dispatcher } from "undici";
import { SignetError } from "../errors/index.js";
import { boundedRequest } from "../internal/bounded-http.js";
import { childrenOf, contentOf, encodedOf, expectTag, readRoot, TAG } from "../internal/der.js";
import { der } from "../trust/der-writer.js";
import { parseTimestampToken } from "../trust/rfc3161.js";

const SHA256_OID = "2.16.840.1.101.3.4.2.1";
const MAX_RESPONSE_BYTES = 1024 * 1024;

export function timestampRequest(data: Uint8Array, nonce: Buffer): Buffer {
  const imprint = der.sequence(der.sequence(der.oid(SHA256_OID), Buffer.from([0x05, 0x00])), der.octetString(createHash("sha256").update(data).digest()));
  return der.sequence(der.integer(1), imprint, der.integer(nonce), der.boolean(true));
}

function stripZeros(integer: Buffer): Buffer {
  let start = 0;
  while (start < integer.length - 1 && integer[start] === 0) start++;
  return integer.subarray(start);
}

/** The TimeStampToken (CMS ContentInfo) a TSA grants for `data`, checked to cover it. */
export async function requestTimestamp(tsaUrl: string, data: Uint8Array, options: TimestampRequestOptions = {}): Promise<Buffer> {
  return (await requestTimestampResponse(tsaUrl, data, options)).token;
}

export interface TimestampRequestOptions {
  timeoutMs?: number;
  /** The flag that named the URL, for messages (default --timestamp-url). */
  flag?: string;
  /** For an https TSA with its own CA (cosign's --timestamp-client-cacert). */
  dispatcher?: Dispatcher;
}

/**
 * The whole TimeStampResp (as cosign stores it) and the token inside it, checked: granted, echoing the nonce,
 * covering `data`.
 */
export async function requestTimestampResponse(tsaUrl: string, data: Uint8Array, options: TimestampRequestOptions = {}): Promise<{ response: Buffer; token: Buffer }> {
  const flag = options.flag ?? "--timestamp-url";
  let url: URL;
  try {
    url = new URL(tsaUrl);
  } catch {
    throw new SignetError("USAGE", `${flag} ${tsaUrl} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new SignetError("USAGE", `${flag} must be http(s), not ${url.protocol}`);
  const nonce = randomBytes(8);
  nonce[0] = nonce[0]! & 0x7f;
  const response = await boundedRequest(url.href, {
    method: "POST",
    headers: { "content-type": "application/timestamp-query", accept: "application/timestamp-reply" },
    body: timestampRequest(data, nonce),
    timeoutMs: options.timeoutMs ?? 30_000,
    maxBytes: MAX_RESPONSE_BYTES,
    what: "a timestamp",
    code: "TSA_UNAVAILABLE",
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  });
  try {
    const [statusInfo, token] = childrenOf(response, expectTag(readRoot(response), TAG.SEQUENCE, "TimeStampResp"));
    const status = contentOf(response, expectTag(childrenOf(response, expectTag(statusInfo, TAG.SEQUENCE, "PKIStatusInfo"))[0], TAG.INTEGER, "status"));
    if (status.length !== 1 || status[0]! > 1 || token === undefined) throw new Error(`the request was not granted (status ${status.toString("hex")})`);
    const tokenBytes = encodedOf(response, token);
    const parsed = parseTimestampToken(tokenBytes);
    if (!parsed.coversData(data)) throw new Error("the token is for other data");
    if (parsed.nonce === undefined || !stripZeros(parsed.nonce).equals(stripZeros(nonce))) throw new Error("the token does not echo the request's nonce");
    return { response, token: tokenBytes };
  } catch (error) {
    if (SignetError.is(error)) throw error;
    throw new SignetError("TIMESTAMP_INVALID", `the timestamp authority ${url.origin} answered with an unusable timestamp: ${(error as Error).message}`);
  }
}
