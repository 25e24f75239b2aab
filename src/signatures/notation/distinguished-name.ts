/**
 * Distinguished names for Notation's `x509.subject:` trusted identities: the identity's DN (RFC 4514 text) must
 * be a subset of the signing certificate's subject, attribute by attribute (the specification's rule), and
 * must name at least C, ST (or S) and O. The certificate's subject is read from its DER, not from a string.
 */
import { childrenOf, contentOf, decodeOid, expectTag, readRoot, TAG } from "../../internal/der.js";

/** Attribute type -> value; each type at most once (the specification forbids repeated attributes). */
export type DistinguishedName = ReadonlyMap<string, string>;

const SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.17": "POSTALCODE",
};
const MANDATORY = ["C", "ST", "O"] as const;

export class DistinguishedNameError extends Error {}

function canonicalType(type: string): string {
  const upper = type.trim().toUpperCase();
  return upper === "S" ? "ST" : upper;
}

/** Splits RFC 4514 text on unescaped separators. */
function splitUnescaped(text: string, separators: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === "\\" && index + 1 < text.length) {
      current += char + text[index + 1]!;
      index++;
    } else if (separators.includes(char)) {
      parts.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function unescapeValue(value: string): string {
  const trimmed = value.trim();
  return trimmed.replace(/\\([0-9a-fA-F]{2}|.)/g, (_, escaped: string) => (escaped.length === 2 ? String.fromCharCode(parseInt(escaped, 16)) : escaped));
}

/** Parses a DN written as text, e.g. `CN=e2e,O=Notary,L=Seattle,ST=WA,C=US`. */
export function parseDistinguishedName(text: string): DistinguishedName {
  if (text.trim() === "") throw new DistinguishedNameError("the distinguished name is empty");
  const attributes = new Map<string, string>();
  for (const rdn of splitUnescaped(text, ",;")) {
    for (const pair of splitUnescaped(rdn, "+")) {
      const equals = pair.indexOf("=");
      if (equals <= 0) throw new DistinguishedNameError(`"${pair.trim()}" is not an attribute=value pair`);
      const type = canonicalType(pair.slice(0, equals));
      if (attributes.has(type)) throw new DistinguishedNameError(`distinguished name (DN) "${text}" has duplicate RDN attribute for "${type}", DN can only have unique RDN attributes`);
      attributes.set(type, unescapeValue(pair.slice(equals + 1)));
    }
  }
  return attributes;
}

/** The DN of a trusted identity, with the specification's mandatory attributes. */
export function parseTrustedIdentityName(text: string): DistinguishedName {
  const name = parseDistinguishedName(text);
  for (const type of MANDATORY) {
    if (!name.has(type)) throw new DistinguishedNameError(`distinguished name (DN) "${text}" has no mandatory RDN attribute for "${type}", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum`);
  }
  return name;
}

/** The subject of a certificate, from its Name DER. */
export function distinguishedNameOfSubject(subjectDer: Buffer): DistinguishedName {
  const attributes = new Map<string, string>();
  const root = expectTag(readRoot(subjectDer), TAG.SEQUENCE, "subject");
  for (const set of childrenOf(subjectDer, root)) {
    for (const pair of childrenOf(subjectDer, expectTag(set, TAG.SET, "relative distinguished name"))) {
      const [typeElement, valueElement] = childrenOf(subjectDer, expectTag(pair, TAG.SEQUENCE, "attribute"));
      const oid = decodeOid(contentOf(subjectDer, expectTag(typeElement, TAG.OID, "attribute type")));
      if (valueElement === undefined) continue;
      const value = contentOf(subjectDer, valueElement);
      const text = valueElement.tag === 0x1e ? Buffer.from(value).swap16().toString("utf16le") : value.toString("utf8");
      const type = SHORT_NAMES[oid] ?? oid;
      // A repeated attribute cannot be matched unambiguously; keep the first and let matching fail closed.
      if (!attributes.has(type)) attributes.set(type, text);
      else attributes.set(type, `${attributes.get(type)!}\u0000${text}`);
    }
  }
  return attributes;
}

/** True when every attribute of `subset` is in `name` with the same value. */
export function isSubsetName(subset: DistinguishedName, name: DistinguishedName): boolean {
  for (const [type, value] of subset) if (name.get(type) !== value) return false;
  return true;
}

export function sameName(a: DistinguishedName, b: DistinguishedName): boolean {
  return a.size === b.size && isSubsetName(a, b);
}

/** RFC 4514-style text for messages, in the certificate's order. */
export function formatDistinguishedName(name: DistinguishedName): string {
  return [...name].map(([type, value]) => `${type}=${value.replace(/([,+"\\<>;])/g, "\\$1")}`).join(",");
}

/** A Name as Go's pkix.Name.String() writes it (last RDN first), so messages match notation's. */
export function goName(nameDer: Buffer): string {
  return formatDistinguishedName(new Map([...distinguishedNameOfSubject(nameDer)].reverse()));
}

export function goSubject(certificate: { readonly subject: Buffer }): string {
  return goName(certificate.subject);
}
