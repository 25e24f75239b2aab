/**
 * Just enough DER to take a PKCS#8 key apart where OpenSSL will not (see pkcs8.ts). Not a general ASN.1 parser:
 * definite lengths only, at most 4 length bytes, single-byte tags.
 */
export interface DerElement {
  tag: number;
  /** The whole element: tag, length and content. */
  raw: Buffer;
  content: Buffer;
}

/** Reads the element at `offset`; undefined when the bytes are not well-formed DER. */
export function readDerElement(bytes: Buffer, offset: number): DerElement | undefined {
  if (offset + 2 > bytes.length) return undefined;
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) return undefined; // multi-byte tags never occur in keys
  let length = bytes[offset + 1]!;
  let headerLength = 2;
  if (length & 0x80) {
    const lengthBytes = length & 0x7f;
    if (lengthBytes === 0 || lengthBytes > 4 || offset + 2 + lengthBytes > bytes.length) return undefined;
    length = 0;
    for (let i = 0; i < lengthBytes; i++) length = length * 256 + bytes[offset + 2 + i]!;
    headerLength += lengthBytes;
  }
  const end = offset + headerLength + length;
  if (end > bytes.length) return undefined;
  return { tag, raw: bytes.subarray(offset, end), content: bytes.subarray(offset + headerLength, end) };
}

/** The children of a constructed element, or undefined when its content does not split into whole elements. */
export function readDerChildren(element: DerElement): DerElement[] | undefined {
  const children: DerElement[] = [];
  let offset = 0;
  while (offset < element.content.length) {
    const child = readDerElement(element.content, offset);
    if (!child) return undefined;
    children.push(child);
    offset += child.raw.length;
  }
  return children;
}

/** Parses `bytes` as exactly one element, nothing after it. */
export function readDerWhole(bytes: Buffer): DerElement | undefined {
  const element = readDerElement(bytes, 0);
  return element && element.raw.length === bytes.length ? element : undefined;
}

export function encodeDerElement(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else if (length < 0x100) header = Buffer.from([tag, 0x81, length]);
  else if (length < 0x10000) header = Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  else header = Buffer.from([tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff]);
  return Buffer.concat([header, content]);
}

export const DER_TAG = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  sequence: 0x30,
  /** [0] IMPLICIT, constructed: PKCS#8 attributes. */
  contextConstructed0: 0xa0,
  /** [1] IMPLICIT, primitive: the PKCS#8 v2 (RFC 5958) public key. */
  contextPrimitive1: 0x81,
} as const;
