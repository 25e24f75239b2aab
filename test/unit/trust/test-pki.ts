/**
 * Mints X.509 certificates for tests: a small DER writer and ECDSA P-256 signing, so tests can build exactly the
 * certificate an attack needs (an expired intermediate, an email SAN where a URI is expected, two disagreeing
 * issuer extensions) instead of hoping a fixture has it.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";

export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const content = Buffer.concat(contents);
  const length = content.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else if (length < 0x100) header = Buffer.from([tag, 0x81, length]);
  else if (length < 0x10000) header = Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  else header = Buffer.from([tag, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff]);
  return Buffer.concat([header, content]);
}

export const der = {
  sequence: (...items: Buffer[]): Buffer => tlv(0x30, ...items),
  set: (...items: Buffer[]): Buffer => tlv(0x31, ...items),
  integer(value: number | bigint): Buffer {
    let hex = BigInt(value).toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = Buffer.from(hex, "hex");
    if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
    return tlv(0x02, bytes);
  },
  boolean: (value: boolean): Buffer => tlv(0x01, Buffer.of(value ? 0xff : 0)),
  oid(text: string): Buffer {
    const parts = text.split(".").map(Number);
    const bytes = [40 * parts[0]! + parts[1]!];
    for (const part of parts.slice(2)) {
      const chunk = [part & 0x7f];
      for (let rest = Math.floor(part / 128); rest > 0; rest = Math.floor(rest / 128)) chunk.unshift((rest & 0x7f) | 0x80);
      bytes.push(...chunk);
    }
    return tlv(0x06, Buffer.from(bytes));
  },
  utf8: (text: string): Buffer => tlv(0x0c, Buffer.from(text, "utf8")),
  octetString: (bytes: Buffer): Buffer => tlv(0x04, bytes),
  bitString: (bytes: Buffer): Buffer => tlv(0x03, Buffer.of(0), bytes),
  time(date: Date): Buffer {
    const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
    return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
  },
  explicit: (number: number, ...content: Buffer[]): Buffer => tlv(0xa0 + number, ...content),
};

export function name(commonName: string): Buffer {
  return der.sequence(der.set(der.sequence(der.oid("2.5.4.3"), der.utf8(commonName))));
}

export interface Extension {
  readonly oid: string;
  readonly critical?: boolean;
  /** The extnValue content (DER of the extension's own type). */
  readonly value: Buffer;
}

export type San = { readonly type: "email" | "uri" | "dns"; readonly value: string } | { readonly type: "otherName"; readonly oid: string; readonly value: string };

export const ext = {
  basicConstraints: (ca: boolean, pathLength?: number): Extension => ({
    oid: "2.5.29.19",
    critical: true,
    value: der.sequence(...(ca ? [der.boolean(true)] : []), ...(pathLength === undefined ? [] : [der.integer(pathLength)])),
  }),
  /** Bits by RFC 5280 number: 0 digitalSignature, 5 keyCertSign, 6 cRLSign. */
  keyUsage(bits: number[]): Extension {
    const value = [0, 0];
    for (const bit of bits) value[bit >> 3]! |= 0x80 >> (bit & 7);
    return { oid: "2.5.29.15", critical: true, value: tlv(0x03, Buffer.of(0, ...value)) };
  },
  extendedKeyUsage: (...purposes: string[]): Extension => ({ oid: "2.5.29.37", value: der.sequence(...purposes.map((p) => der.oid(p))) }),
  subjectAltName: (...names: San[]): Extension => ({
    oid: "2.5.29.17",
    critical: true,
    value: der.sequence(
      ...names.map((san) => {
        switch (san.type) {
          case "email":
            return tlv(0x81, Buffer.from(san.value));
          case "dns":
            return tlv(0x82, Buffer.from(san.value));
          case "uri":
            return tlv(0x86, Buffer.from(san.value));
          case "otherName":
            return tlv(0xa0, der.oid(san.oid), der.explicit(0, der.utf8(san.value)));
        }
      }),
    ),
  }),
  subjectKeyId: (key: KeyObject): Extension => ({ oid: "2.5.29.14", value: der.octetString(keyId(key)) }),
  authorityKeyId: (key: KeyObject): Extension => ({ oid: "2.5.29.35", value: der.sequence(tlv(0x80, keyId(key))) }),
  /** Fulcio 1.1: the OIDC issuer as raw bytes (deprecated encoding). */
  fulcioIssuerV1: (issuer: string): Extension => ({ oid: "1.3.6.1.4.1.57264.1.1", value: Buffer.from(issuer) }),
  /** Fulcio 1.8: the OIDC issuer as a DER UTF8String. */
  fulcioIssuerV2: (issuer: string): Extension => ({ oid: "1.3.6.1.4.1.57264.1.8", value: der.utf8(issuer) }),
  /** Fulcio 1.2 .. 1.6 GitHub claims, raw bytes. */
  fulcioRaw: (arc: number, value: string): Extension => ({ oid: `1.3.6.1.4.1.57264.1.${arc}`, value: Buffer.from(value) }),
};

const CODE_SIGNING = "1.3.6.1.5.5.7.3.3";

function keyId(key: KeyObject): Buffer {
  return createHash("sha1").update(key.export({ format: "der", type: "spki" })).digest();
}

export interface MintOptions {
  readonly subject: string;
  readonly subjectKey: KeyObject;
  readonly issuer: string;
  readonly issuerKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serial?: number;
  readonly extensions?: readonly Extension[];
  /** Replace the subject Name DER (e.g. an empty name for Fulcio leaves). */
  readonly subjectName?: Buffer;
}

let serialCounter = 1000;

/** The DER of a certificate signed with ecdsa-with-SHA256 by `issuerKey`. */
export function mintCertificate(options: MintOptions): Buffer {
  const algorithm = der.sequence(der.oid("1.2.840.10045.4.3.2"));
  const extensions = options.extensions ?? [];
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)),
    der.integer(options.serial ?? serialCounter++),
    algorithm,
    name(options.issuer),
    der.sequence(der.time(options.notBefore), der.time(options.notAfter)),
    options.subjectName ?? name(options.subject),
    options.subjectKey.export({ format: "der", type: "spki" }),
    ...(extensions.length === 0
      ? []
      : [der.explicit(3, der.sequence(...extensions.map((e) => der.sequence(der.oid(e.oid), ...(e.critical ? [der.boolean(true)] : []), der.octetString(e.value)))))]),
  );
  return der.sequence(tbs, algorithm, der.bitString(sign("sha256", tbs, options.issuerKey)));
}

export interface KeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

export function newKey(): KeyPair {
  return generateKeyPairSync("ec", { namedCurve: "P-256" });
}

export interface TestCa {
  readonly root: KeyPair & { readonly der: Buffer };
  readonly intermediate: KeyPair & { readonly der: Buffer };
}

const YEAR = 365 * 24 * 3600 * 1000;

/** A root and an intermediate CA, valid for years around `around`. */
export function createTestCa(around = new Date("2024-01-01T00:00:00Z"), options: { intermediateNotAfter?: Date } = {}): TestCa {
  const root = newKey();
  const intermediate = newKey();
  const rootDer = mintCertificate({
    subject: "test root",
    subjectKey: root.publicKey,
    issuer: "test root",
    issuerKey: root.privateKey,
    notBefore: new Date(around.getTime() - 5 * YEAR),
    notAfter: new Date(around.getTime() + 5 * YEAR),
    extensions: [ext.basicConstraints(true, 1), ext.keyUsage([5, 6]), ext.subjectKeyId(root.publicKey)],
  });
  const intermediateDer = mintCertificate({
    subject: "test intermediate",
    subjectKey: intermediate.publicKey,
    issuer: "test root",
    issuerKey: root.privateKey,
    notBefore: new Date(around.getTime() - 4 * YEAR),
    notAfter: options.intermediateNotAfter ?? new Date(around.getTime() + 4 * YEAR),
    extensions: [ext.basicConstraints(true, 0), ext.keyUsage([5, 6]), ext.extendedKeyUsage(CODE_SIGNING), ext.subjectKeyId(intermediate.publicKey), ext.authorityKeyId(root.publicKey)],
  });
  return { root: { ...root, der: rootDer }, intermediate: { ...intermediate, der: intermediateDer } };
}

export interface LeafOptions {
  readonly signedAt: Date;
  readonly sans?: readonly San[];
  readonly issuer?: string | { v1?: string; v2?: string };
  readonly extraExtensions?: readonly Extension[];
  readonly commonName?: string;
  /** Validity in minutes around signedAt (default: from 1 minute before to 9 minutes after, like Fulcio's 10). */
  readonly validMinutes?: readonly [number, number];
  readonly extendedKeyUsage?: readonly string[];
}

/** A Fulcio-like leaf: empty subject (unless commonName), SAN, issuer extensions, code signing. */
export function mintLeaf(ca: TestCa, leafKey: KeyObject, options: LeafOptions): Buffer {
  const [before, after] = options.validMinutes ?? [1, 9];
  const issuer = options.issuer ?? { v2: "https://issuer.example" };
  const issuerExtensions =
    typeof issuer === "string"
      ? [ext.fulcioIssuerV1(issuer), ext.fulcioIssuerV2(issuer)]
      : [...(issuer.v1 === undefined ? [] : [ext.fulcioIssuerV1(issuer.v1)]), ...(issuer.v2 === undefined ? [] : [ext.fulcioIssuerV2(issuer.v2)])];
  return mintCertificate({
    subject: options.commonName ?? "",
    subjectName: options.commonName === undefined ? der.sequence() : undefined,
    subjectKey: leafKey,
    issuer: "test intermediate",
    issuerKey: ca.intermediate.privateKey,
    notBefore: new Date(options.signedAt.getTime() - before * 60_000),
    notAfter: new Date(options.signedAt.getTime() + after * 60_000),
    extensions: [
      ext.keyUsage([0]),
      ext.extendedKeyUsage(...(options.extendedKeyUsage ?? [CODE_SIGNING])),
      ext.authorityKeyId(ca.intermediate.publicKey),
      ...(options.sans === undefined || options.sans.length > 0 ? [ext.subjectAltName(...(options.sans ?? [{ type: "email", value: "signer@example.com" }]))] : []),
      ...issuerExtensions,
      ...(options.extraExtensions ?? []),
    ],
  });
}

export function toPem(label: string, bytes: Buffer): string {
  return `-----BEGIN ${label}-----\n${(bytes.toString("base64").match(/.{1,64}/g) ?? []).join("\n")}\n-----END ${label}-----\n`;
}
