import { constants, createHash, randomBytes, sign, type KeyObject } from "node:crypto";
import { childrenOf, contentOf, readRoot, TAG } from "../internal/der.js";
import { OID } from "../internal/oids.js";
import { der } from "./der-writer.js";


export interface CertificateName {
  readonly commonName: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly locality?: string;
  readonly state?: string;
  readonly country?: string;
}

export interface CertificateTemplate {
  readonly subject: CertificateName;
  readonly subjectPublicKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** A CA certificate (may sign others), a TLS server certificate, or a code-signing (Notation) certificate. */
  readonly kind: "ca" | "server" | "code-signing";
  /** DNS names for a server certificate (subjectAltName). */
  readonly dnsNames?: readonly string[];
}

export interface CertificateIssuer {
  readonly name: CertificateName;
  /** ECDSA (signed with the curve's hash) or RSA (sha256WithRSAEncryption, sha384 from 3072 bits). */
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/**
 * Writes an X.509 v3 certificate (DER) signed by `issuer` (pass the subject's own keys for a self-signed one).
 * Node can parse certificates but not create them; this builds just the profiles signet needs: a CA with
 * keyCertSign, a TLS server certificate with serverAuth and DNS subjectAltNames (the webhook), and a
 * code-signing certificate (`notation cert generate-test`), all with key identifiers.
 */
export function createCertificate(template: CertificateTemplate, issuer: CertificateIssuer): Buffer {
  const spki = template.subjectPublicKey.export({ type: "spki", format: "der" });
  const { oid, hash, rsa } = signatureAlgorithmFor(issuer.privateKey);
  const signatureAlgorithm = rsa ? der.sequence(der.oid(oid), Buffer.from([0x05, 0x00])) : der.sequence(der.oid(oid));
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, 16 bytes, never zero (RFC 5280 4.1.2.2)
  const tbs = der.sequence(
    der.explicit(0, der.integer(2)), // v3
    der.integer(serial),
    signatureAlgorithm,
    encodeName(issuer.name),
    der.sequence(der.time(template.notBefore), der.time(template.notAfter)),
    encodeName(template.subject),
    spki,
    der.explicit(3, der.sequence(...extensions(template, spki, issuer))),
  );
  const signature = sign(hash, tbs, rsa ? { key: issuer.privateKey, padding: constants.RSA_PKCS1_PADDING } : { key: issuer.privateKey, dsaEncoding: "der" });
  return der.sequence(tbs, signatureAlgorithm, der.bitString(signature));
}

function signatureAlgorithmFor(key: KeyObject): { oid: string; hash: string; rsa: boolean } {
  if (key.asymmetricKeyType === "rsa") {
    return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 3072 ? { oid: OID.SHA384_WITH_RSA, hash: "sha384", rsa: true } : { oid: OID.SHA256_WITH_RSA, hash: "sha256", rsa: true };
  }
  if (key.asymmetricKeyType === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "secp384r1") return { oid: OID.ECDSA_WITH_SHA384, hash: "sha384", rsa: false };
    if (curve === "secp521r1") return { oid: OID.ECDSA_WITH_SHA512, hash: "sha512", rsa: false };
    return { oid: OID.ECDSA_WITH_SHA256, hash: "sha256", rsa: false };
  }
  throw new Error(`cannot sign certificates with a ${String(key.asymmetricKeyType)} key`);
}

export function toPem(derBytes: Buffer, label = "CERTIFICATE"): string {
  const base64 = derBytes.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

function extensions(template: CertificateTemplate, spki: Buffer, issuer: CertificateIssuer): Buffer[] {
  const issuerSpki = issuer.publicKey.export({ type: "spki", format: "der" });
  const result = [
    extension(OID.BASIC_CONSTRAINTS, true, template.kind === "ca" ? der.sequence(der.boolean(true), der.integer(0)) : der.sequence()),
    // keyUsage bits, most significant first: digitalSignature (0), keyCertSign (5), cRLSign (6).
    extension(OID.KEY_USAGE, true, template.kind === "ca" ? der.bitString(Buffer.from([0x86]), 1) : der.bitString(Buffer.from([0x80]), 7)),
    extension(OID.SUBJECT_KEY_ID, false, der.octetString(keyIdentifier(spki))),
    extension(OID.AUTHORITY_KEY_ID, false, der.sequence(der.implicitPrimitive(0, keyIdentifier(issuerSpki)))),
  ];
  if (template.kind === "code-signing") result.push(extension(OID.EXT_KEY_USAGE, false, der.sequence(der.oid(OID.CODE_SIGNING))));
  if (template.kind === "server") {
    result.push(extension(OID.EXT_KEY_USAGE, false, der.sequence(der.oid(OID.SERVER_AUTH))));
    const names = template.dnsNames ?? [];
    if (names.length > 0) result.push(extension(OID.SUBJECT_ALT_NAME, false, der.sequence(...names.map((name) => der.implicitPrimitive(2, Buffer.from(name, "ascii"))))));
  }
  return result;
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical ? der.sequence(der.oid(oid), der.boolean(true), der.octetString(value)) : der.sequence(der.oid(oid), der.octetString(value));
}

/** In the order Go's pkix.Name writes them (C, O, OU, L, ST, CN), so names match notation's certificates. */
function encodeName(name: CertificateName): Buffer {
  const attributes: [string, string | undefined][] = [
    [OID.COUNTRY, name.country],
    [OID.ORGANIZATION, name.organization],
    [OID.ORGANIZATIONAL_UNIT, name.organizationalUnit],
    [OID.LOCALITY, name.locality],
    [OID.STATE, name.state],
    [OID.COMMON_NAME, name.commonName],
  ];
  const rdns = attributes.filter((entry): entry is [string, string] => entry[1] !== undefined).map(([oid, value]) => der.set(der.sequence(der.oid(oid), der.utf8String(value))));
  return der.sequence(...rdns);
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's value. */
function keyIdentifier(spki: Buffer): Buffer {
  // The SPKI is SEQUENCE { AlgorithmIdentifier, BIT STRING }; hash the BIT STRING's bits (after the unused-bits byte).
  const bits = childrenOf(spki, readRoot(spki))[1];
  if (bits === undefined || bits.tag !== TAG.BIT_STRING) throw new Error("the public key is not a SubjectPublicKeyInfo");
  return createHash("sha1").update(contentOf(spki, bits).subarray(1)).digest();
}
