/**
 * OpenPGP packet framing (RFC 4880 §4.2): old- and new-format headers, partial body lengths and the
 * indeterminate length GnuPG uses for its compressed packet. Pure byte handling, no crypto.
 */

export interface RawPacket {
  readonly tag: number;
  readonly body: Uint8Array;
}

/** Packet tags this code looks at. */
export const PacketTag = {
  publicKeyEncryptedSessionKey: 1,
  signature: 2,
  symmetricKeyEncryptedSessionKey: 3,
  onePassSignature: 4,
  compressedData: 8,
  symmetricallyEncryptedData: 9,
  marker: 10,
  literalData: 11,
  symEncryptedIntegrityProtectedData: 18,
  aeadEncryptedData: 20,
} as const;

export class PacketFormatError extends Error {}

/** Splits bytes into packets; throws PacketFormatError on a malformed header or truncated body. */
export function readPackets(bytes: Uint8Array, maxPackets: number): RawPacket[] {
  const packets: RawPacket[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (packets.length >= maxPackets) throw new PacketFormatError(`more than ${maxPackets} packets`);
    const ctb = bytes[offset]!;
    if ((ctb & 0x80) === 0) throw new PacketFormatError(`byte ${offset} is not a packet header`);
    offset++;
    if ((ctb & 0x40) === 0) {
      const tag = (ctb >> 2) & 0x0f;
      const lengthType = ctb & 0x03;
      if (lengthType === 3) {
        // Indeterminate length: the packet runs to the end of the input.
        packets.push({ tag, body: bytes.subarray(offset) });
        offset = bytes.length;
        continue;
      }
      const size = [1, 2, 4][lengthType]!;
      need(bytes, offset, size);
      let length = 0;
      for (let i = 0; i < size; i++) length = length * 256 + bytes[offset + i]!;
      offset += size;
      need(bytes, offset, length);
      packets.push({ tag, body: bytes.subarray(offset, offset + length) });
      offset += length;
      continue;
    }
    const tag = ctb & 0x3f;
    const chunks: Uint8Array[] = [];
    for (;;) {
      need(bytes, offset, 1);
      const first = bytes[offset]!;
      let length: number;
      let partial = false;
      if (first < 192) {
        length = first;
        offset += 1;
      } else if (first < 224) {
        need(bytes, offset, 2);
        length = ((first - 192) << 8) + bytes[offset + 1]! + 192;
        offset += 2;
      } else if (first === 255) {
        need(bytes, offset, 5);
        length = bytes[offset + 1]! * 0x1000000 + (bytes[offset + 2]! << 16) + (bytes[offset + 3]! << 8) + bytes[offset + 4]!;
        offset += 5;
      } else {
        length = 1 << (first & 0x1f);
        partial = true;
        offset += 1;
      }
      need(bytes, offset, length);
      chunks.push(bytes.subarray(offset, offset + length));
      offset += length;
      if (!partial) break;
    }
    packets.push({ tag, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
  }
  return packets;
}

/** Multiprecision integers (RFC 4880 §3.2): a 2-byte bit count, then the big-endian bytes. */
export function readMpis(bytes: Uint8Array, offset: number, count: number): { mpis: Uint8Array[]; end: number } {
  const mpis: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    need(bytes, offset, 2);
    const bits = (bytes[offset]! << 8) | bytes[offset + 1]!;
    const length = (bits + 7) >> 3;
    offset += 2;
    need(bytes, offset, length);
    mpis.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  return { mpis, end: offset };
}

export function need(bytes: Uint8Array, offset: number, length: number): void {
  if (offset + length > bytes.length) throw new PacketFormatError("truncated packet");
}
