import { inflateRawSync, inflateSync } from "node:zlib";
import { PacketFormatError, PacketTag, need, readMpis, readPackets, type RawPacket } from "./openpgp-packets.js";
import { LIMITS } from "../../internal/limits.js";

/**
 * The structure of a signed OpenPGP message as `gpg --sign` (and so skopeo --sign-by) writes it: an optional
 * compressed packet around a one-pass signature, the literal data and the signature (or the older
 * signature-then-literal order). Version 3 and 4 signature packets are read, as GnuPG 2.2 reads them.
 * Nothing here is verified; `verifyGpgSignature` checks it.
 */
export interface UntrustedSignedMessage {
  /** The literal data packet's content: the signed payload. */
  readonly data: Uint8Array;
  readonly signature: UntrustedSignaturePacket;
}

export interface UntrustedSignaturePacket {
  readonly version: 3 | 4;
  /** 0x00 binary document, 0x01 canonical text document. */
  readonly signatureType: number;
  readonly publicKeyAlgorithm: number;
  readonly hashAlgorithm: number;
  /** Seconds since the epoch (hashed). */
  readonly created: number;
  /** Seconds after `created` (hashed subpacket 3); undefined or 0 = never. */
  readonly expiresAfter: number | undefined;
  /** 16 lower-case hex digits, from the packet (v3) or the issuer subpacket; a hint, not trusted. */
  readonly issuerKeyId: string | undefined;
  /** 40 lower-case hex digits, from the issuer fingerprint subpacket (v4 keys only). */
  readonly issuerFingerprint: string | undefined;
  /** What is hashed after the data: the v3 type and time, or the v4 hashed part and its trailer. */
  readonly hashTrailer: Uint8Array;
  readonly leftHashBytes: Uint8Array;
  /** The signature's MPIs (RSA: one; ECDSA, EdDSA: r and s), or the raw 64 bytes of an RFC 9580 Ed25519 signature. */
  readonly signatureValues: readonly Uint8Array[];
}

/** The message is not a signed message signet can read; `notSigned` when it is well formed but carries no signature. */
export class MessageFormatError extends Error {
  constructor(
    message: string,
    readonly notSigned = false,
  ) {
    super(message);
  }
}

export interface MessageLimits {
  /** Upper bound on the decompressed size of the message. */
  readonly maxBytes: number;
}

const MAX_PACKETS = LIMITS.openpgpPackets;

/** Reads the structure of a signed message; throws MessageFormatError (or PacketFormatError) when it is not one. */
export function parseSignedMessage(untrustedBytes: Uint8Array, limits: MessageLimits): UntrustedSignedMessage {
  let packets = readPackets(untrustedBytes, MAX_PACKETS).filter((p) => p.tag !== PacketTag.marker);
  if (packets.length === 1 && packets[0]!.tag === PacketTag.compressedData) {
    packets = readPackets(decompress(packets[0]!.body, limits.maxBytes), MAX_PACKETS).filter((p) => p.tag !== PacketTag.marker);
  }
  const tags = packets.map((p) => p.tag);
  if (tags.some((t) => ENCRYPTED_TAGS.has(t))) throw new MessageFormatError("the message is encrypted, not signed", true);
  if (tags.includes(PacketTag.compressedData)) throw new MessageFormatError("the message has nested or extra compressed packets");
  const literals = packets.filter((p) => p.tag === PacketTag.literalData);
  if (literals.length !== 1) throw new MessageFormatError(`the message has ${literals.length} literal data packets, expected 1`);
  const signatures = packets.filter((p) => p.tag === PacketTag.signature);
  const onePass = packets.filter((p) => p.tag === PacketTag.onePassSignature);
  if (signatures.length === 0) throw new MessageFormatError("the message is not signed", true);
  // containers/image (gpgme) refuses anything but exactly one signature.
  if (signatures.length !== 1) throw new MessageFormatError(`the message has ${signatures.length} signatures, expected exactly 1`);

  const isOnePassForm = tags.length === 3 && tags[0] === PacketTag.onePassSignature && tags[1] === PacketTag.literalData && tags[2] === PacketTag.signature;
  const isPrefixForm = tags.length === 2 && tags[0] === PacketTag.signature && tags[1] === PacketTag.literalData;
  if (!isOnePassForm && !isPrefixForm) throw new MessageFormatError(`unexpected packet sequence [${tags.join(", ")}]`);

  const signature = parseSignaturePacket(signatures[0]!.body);
  if (isOnePassForm) checkOnePass(onePass[0]!, signature);
  return { data: literalContent(literals[0]!.body), signature };
}

/** Reads a detached signature (`gpg --detach-sign`): exactly one signature packet, nothing else. */
export function parseDetachedSignature(untrustedBytes: Uint8Array): UntrustedSignaturePacket {
  const packets = readPackets(untrustedBytes, MAX_PACKETS).filter((p) => p.tag !== PacketTag.marker);
  const signatures = packets.filter((p) => p.tag === PacketTag.signature);
  if (signatures.length === 0) throw new MessageFormatError("it holds no signature packet", true);
  if (packets.length !== 1) throw new MessageFormatError(`it holds ${packets.length} packets (${signatures.length} signatures), expected exactly one signature`);
  return parseSignaturePacket(signatures[0]!.body);
}

const ENCRYPTED_TAGS: ReadonlySet<number> = new Set([
  PacketTag.publicKeyEncryptedSessionKey,
  PacketTag.symmetricKeyEncryptedSessionKey,
  PacketTag.symmetricallyEncryptedData,
  PacketTag.symEncryptedIntegrityProtectedData,
  PacketTag.aeadEncryptedData,
]);

function decompress(body: Uint8Array, maxBytes: number): Uint8Array {
  need(body, 0, 1);
  const algorithm = body[0]!;
  const data = body.subarray(1);
  try {
    switch (algorithm) {
      case 0:
        return data;
      case 1: // ZIP: raw deflate
        return inflateRawSync(data, { maxOutputLength: maxBytes });
      case 2: // ZLIB
        return inflateSync(data, { maxOutputLength: maxBytes });
      default:
        throw new MessageFormatError(`compression algorithm ${algorithm} is not supported (only ZIP and ZLIB)`);
    }
  } catch (error) {
    if (error instanceof MessageFormatError) throw error;
    throw new MessageFormatError(`the compressed data cannot be decompressed within ${maxBytes} bytes: ${(error as Error).message}`);
  }
}

/** Literal data packet (RFC 4880 §5.9): format, file name, date, then the data. */
function literalContent(body: Uint8Array): Uint8Array {
  need(body, 0, 2);
  const nameLength = body[1]!;
  need(body, 2, nameLength + 4);
  return body.subarray(2 + nameLength + 4);
}

function checkOnePass(packet: RawPacket, signature: UntrustedSignaturePacket): void {
  const body = packet.body;
  if (body.length !== 13 || body[0] !== 3) throw new MessageFormatError("unsupported one-pass signature packet");
  const keyId = Buffer.from(body.subarray(4, 12)).toString("hex");
  if (body[1] !== signature.signatureType || body[2] !== signature.hashAlgorithm || body[3] !== signature.publicKeyAlgorithm) {
    throw new MessageFormatError("the one-pass signature packet does not match the signature");
  }
  if (signature.issuerKeyId !== undefined && keyId !== signature.issuerKeyId) {
    throw new MessageFormatError("the one-pass signature names another key than the signature");
  }
}

/** Signature packet (RFC 4880 §5.2), version 3 or 4. */
export function parseSignaturePacket(body: Uint8Array): UntrustedSignaturePacket {
  need(body, 0, 1);
  const version = body[0];
  if (version === 3) return parseV3(body);
  if (version === 4) return parseV4(body);
  throw new MessageFormatError(`signature packet version ${version} is not supported`);
}

function parseV3(body: Uint8Array): UntrustedSignaturePacket {
  need(body, 0, 19);
  if (body[1] !== 5) throw new MessageFormatError("a version 3 signature must hash 5 bytes");
  const publicKeyAlgorithm = body[15]!;
  return {
    version: 3,
    signatureType: body[2]!,
    created: readUint32(body, 3),
    expiresAfter: undefined,
    issuerKeyId: Buffer.from(body.subarray(7, 15)).toString("hex"),
    issuerFingerprint: undefined,
    publicKeyAlgorithm,
    hashAlgorithm: body[16]!,
    hashTrailer: body.subarray(2, 7),
    leftHashBytes: body.subarray(17, 19),
    signatureValues: readSignatureValues(body, 19, publicKeyAlgorithm),
  };
}

function parseV4(body: Uint8Array): UntrustedSignaturePacket {
  need(body, 0, 6);
  const hashedLength = (body[4]! << 8) | body[5]!;
  need(body, 6, hashedLength + 2);
  const hashedEnd = 6 + hashedLength;
  const hashed = readSubpackets(body.subarray(6, hashedEnd), true);
  const unhashedLength = (body[hashedEnd]! << 8) | body[hashedEnd + 1]!;
  const unhashedStart = hashedEnd + 2;
  need(body, unhashedStart, unhashedLength + 2);
  const unhashed = readSubpackets(body.subarray(unhashedStart, unhashedStart + unhashedLength), false);
  const leftStart = unhashedStart + unhashedLength;
  if (hashed.created === undefined) throw new MessageFormatError("the signature has no hashed creation time");

  // v4 trailer: the hashed part of the packet, then 0x04 0xFF and its length as 4 bytes.
  const trailer = Buffer.alloc(hashedEnd + 6);
  trailer.set(body.subarray(0, hashedEnd), 0);
  trailer[hashedEnd] = 0x04;
  trailer[hashedEnd + 1] = 0xff;
  trailer.writeUInt32BE(hashedEnd, hashedEnd + 2);

  const issuerFingerprint = hashed.issuerFingerprint ?? unhashed.issuerFingerprint;
  const issuerKeyId = hashed.issuerKeyId ?? unhashed.issuerKeyId ?? issuerFingerprint?.slice(-16);
  if (issuerFingerprint !== undefined && issuerKeyId !== issuerFingerprint.slice(-16)) {
    throw new MessageFormatError("the signature's issuer key ID and issuer fingerprint disagree");
  }
  const publicKeyAlgorithm = body[2]!;
  return {
    version: 4,
    signatureType: body[1]!,
    publicKeyAlgorithm,
    hashAlgorithm: body[3]!,
    created: hashed.created,
    expiresAfter: hashed.expiresAfter,
    issuerKeyId,
    issuerFingerprint,
    hashTrailer: trailer,
    leftHashBytes: body.subarray(leftStart, leftStart + 2),
    signatureValues: readSignatureValues(body, leftStart + 2, publicKeyAlgorithm),
  };
}

/** Subpacket types a data signature may mark critical and still be understood (as GnuPG does). */
const KNOWN_CRITICAL_SUBPACKETS: ReadonlySet<number> = new Set([2, 3, 4, 7, 16, 26, 28, 33]);

interface Subpackets {
  created?: number;
  expiresAfter?: number;
  issuerKeyId?: string;
  issuerFingerprint?: string;
}

function readSubpackets(area: Uint8Array, isHashed: boolean): Subpackets {
  const result: Subpackets = {};
  let offset = 0;
  while (offset < area.length) {
    const first = area[offset]!;
    let length: number;
    if (first < 192) {
      length = first;
      offset += 1;
    } else if (first < 255) {
      need(area, offset, 2);
      length = ((first - 192) << 8) + area[offset + 1]! + 192;
      offset += 2;
    } else {
      need(area, offset, 5);
      length = readUint32(area, offset + 1);
      offset += 5;
    }
    if (length === 0) throw new MessageFormatError("empty signature subpacket");
    need(area, offset, length);
    const type = area[offset]! & 0x7f;
    const critical = (area[offset]! & 0x80) !== 0;
    const data = area.subarray(offset + 1, offset + length);
    offset += length;
    if (isHashed && critical && !KNOWN_CRITICAL_SUBPACKETS.has(type)) {
      throw new MessageFormatError(`the signature has an unknown critical subpacket ${type}`);
    }
    switch (type) {
      case 2: // signature creation time; only the hashed one counts
        if (isHashed && data.length === 4) result.created ??= readUint32(data, 0);
        break;
      case 3: // signature expiration time; only the hashed one counts
        if (isHashed && data.length === 4) result.expiresAfter ??= readUint32(data, 0);
        break;
      case 16:
        if (data.length === 8) result.issuerKeyId ??= Buffer.from(data).toString("hex");
        break;
      case 33: // issuer fingerprint: version byte, then the v4 fingerprint
        if (data.length === 21 && data[0] === 4) result.issuerFingerprint ??= Buffer.from(data.subarray(1)).toString("hex");
        break;
      default:
        break;
    }
  }
  return result;
}

function readSignatureValues(body: Uint8Array, offset: number, publicKeyAlgorithm: number): Uint8Array[] {
  if (publicKeyAlgorithm === 27) {
    need(body, offset, 64);
    return [body.subarray(offset, offset + 64)];
  }
  const count = publicKeyAlgorithm === 1 || publicKeyAlgorithm === 3 ? 1 : 2;
  try {
    return readMpis(body, offset, count).mpis;
  } catch (error) {
    if (error instanceof PacketFormatError) throw new MessageFormatError("truncated signature values");
    throw error;
  }
}

function readUint32(bytes: Uint8Array, offset: number): number {
  need(bytes, offset, 4);
  return bytes[offset]! * 0x1000000 + (bytes[offset + 1]! << 16) + (bytes[offset + 2]! << 8) + bytes[offset + 3]!;
}
