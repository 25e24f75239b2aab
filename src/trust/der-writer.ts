import { encodeElement as encodeDerElement } from "../internal/der.js";
import { appendAll } from "../internal/arrays.js";

/** The few DER encoders an X.509 certificate needs (RFC 5280); every value is built from known inputs. */
export const der = {
  sequence: (...children: Buffer[]): Buffer => encodeDerElement(0x30, Buffer.concat(children)),
  set: (...children: Buffer[]): Buffer => encodeDerElement(0x31, Buffer.concat(children)),
  integer(value: Buffer | number): Buffer {
    let bytes = typeof value === "number" ? unsignedBytes(value) : value;
    // Positive INTEGERs need a leading 0x00 when the top bit is set; strip redundant leading zeros.
    while (bytes.length > 1 && bytes[0] === 0 && (bytes[1]! & 0x80) === 0) bytes = bytes.subarray(1);
    if ((bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return encodeDerElement(0x02, bytes);
  },
  boolean: (value: boolean): Buffer => encodeDerElement(0x01, Buffer.from([value ? 0xff : 0x00])),
  bitString: (bytes: Buffer, unusedBits = 0): Buffer => encodeDerElement(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes])),
  octetString: (bytes: Buffer): Buffer => encodeDerElement(0x04, bytes),
  utf8String: (text: string): Buffer => encodeDerElement(0x0c, Buffer.from(text, "utf8")),
  oid(dotted: string): Buffer {
    const parts = dotted.split(".").map(Number);
    const bytes: number[] = [40 * parts[0]! + parts[1]!];
    for (const part of parts.slice(2)) {
      const chunk: number[] = [part & 0x7f];
      for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128)) chunk.unshift((rest & 0x7f) | 0x80);
      appendAll(bytes, chunk);
    }
    return encodeDerElement(0x06, Buffer.from(bytes));
  },
  /** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
  time(date: Date): Buffer {
    const iso = date.toISOString();
    const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
    const year = date.getUTCFullYear();
    return year < 2050 ? encodeDerElement(0x17, Buffer.from(`${digits.slice(2)}Z`, "ascii")) : encodeDerElement(0x18, Buffer.from(`${digits}Z`, "ascii"));
  },
  /** A context-specific tag: [n] EXPLICIT (constructed) or IMPLICIT primitive. */
  explicit: (n: number, inner: Buffer): Buffer => encodeDerElement(0xa0 | n, inner),
  implicitPrimitive: (n: number, content: Buffer): Buffer => encodeDerElement(0x80 | n, content),
};

function unsignedBytes(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot encode ${value} as a DER INTEGER`);
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest & 0xff);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  return Buffer.from(bytes);
}
