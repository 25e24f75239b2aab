/**
 * The one DER reader (and the few encoders signet needs): definite lengths only, minimal length encodings,
 * single-byte tags, every element inside its parent, nothing copied. It serves X.509, SCTs, RFC 3161 timestamps,
 * PKCS#8 keys and the webhook's certificate writer, which need the exact bytes of elements (a TBS certificate, an
 * extension) more than a decoded tree. Readers throw DerError; callers turn it into their own error code.
 */

export interface DerElement {
  /** The identifier octet (single-byte tags only: all X.509 needs). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

export class DerError extends Error {}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** [0] IMPLICIT, constructed (PKCS#8 attributes, X.509 version). */
  CONTEXT_CONSTRUCTED_0: 0xa0,
  /** [1] IMPLICIT, primitive (the PKCS#8 v2, RFC 5958, public key). */
  CONTEXT_PRIMITIVE_1: 0x81,
} as const;

/** Reads the element starting at `offset`, which must end by `limit`. */
export function readElement(bytes: Uint8Array, offset: number, limit = bytes.length): DerElement {
  if (offset + 2 > limit) throw new DerError("truncated element");
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not supported");
  let length = bytes[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new DerError("unsupported length encoding");
    if (contentStart + count > limit) throw new DerError("truncated length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[contentStart + i]!;
    if (length < 0x80 || (count > 1 && bytes[contentStart] === 0)) throw new DerError("non-minimal length");
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError("element longer than its container");
  return { tag, start: offset, contentStart, end };
}

/** The elements inside a constructed element. */
export function childrenOf(bytes: Uint8Array, parent: DerElement): DerElement[] {
  const result: DerElement[] = [];
  let offset = parent.contentStart;
  while (offset < parent.end) {
    const child = readElement(bytes, offset, parent.end);
    result.push(child);
    offset = child.end;
  }
  return result;
}

export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (element === undefined || element.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}`);
  return element;
}

/** Parses a whole buffer as one element (nothing may follow). */
export function readRoot(bytes: Uint8Array): DerElement {
  const root = readElement(bytes, 0);
  if (root.end !== bytes.length) throw new DerError("data after the DER element");
  return root;
}

export function contentOf(bytes: Buffer, element: DerElement): Buffer {
  return bytes.subarray(element.contentStart, element.end);
}

export function encodedOf(bytes: Buffer, element: DerElement): Buffer {
  return bytes.subarray(element.start, element.end);
}

export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) throw new DerError("empty OID");
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i]!;
    if (value === 0 && byte === 0x80) throw new DerError("non-minimal OID");
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw new DerError("OID arc too large");
    if ((byte & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    } else if (i === content.length - 1) {
      throw new DerError("truncated OID");
    }
  }
  return parts.join(".");
}

/** UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSS[.f]Z). */
export function decodeTime(bytes: Buffer, element: DerElement): Date {
  const text = contentOf(bytes, element).toString("latin1");
  let match: RegExpExecArray | null;
  if (element.tag === TAG.UTC_TIME) {
    match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (match) {
      const year = Number(match[1]);
      return new Date(Date.UTC(year < 50 ? 2000 + year : 1900 + year, Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])));
    }
  } else if (element.tag === TAG.GENERALIZED_TIME) {
    match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?Z$/.exec(text);
    if (match) {
      const millis = match[7] === undefined ? 0 : Math.floor(Number(`0.${match[7]}`) * 1000);
      return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6]), millis));
    }
  }
  throw new DerError(`invalid time ${JSON.stringify(text.slice(0, 20))}`);
}

/** The DER header for `length` content octets under `tag`. */
export function encodeHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const octets: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets.unshift(rest % 256);
  return Buffer.from([tag, 0x80 | octets.length, ...octets]);
}

/** One element: the header for `content` under `tag`, then `content`. */
export function encodeElement(tag: number, content: Buffer): Buffer {
  return Buffer.concat([encodeHeader(tag, content.length), content]);
}
