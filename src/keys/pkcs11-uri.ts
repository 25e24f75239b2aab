/**
 * PKCS#11 URIs (RFC 7512): `pkcs11:` path attributes separated by `;`, then `?` and query attributes separated
 * by `&`, every value percent-encoded where needed. Pure: no module is loaded here (pkcs11-signer.ts does that).
 *
 *   pkcs11:token=signet;object=release%20key?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234
 *
 * Strict, as a key reference should be: an attribute this parser does not know, one given twice, a bad
 * percent-encoding or an empty module-path/pin-source/id is KEY_REF_INVALID (RFC 7512 lets a consumer refuse what it cannot use).
 * `x-` vendor attributes are refused too: signet has none. Values are kept as bytes where the RFC says so
 * (`id`), as UTF-8 text elsewhere.
 */
import { SignetError } from "../errors/index.js";

export const PKCS11_SCHEME = "pkcs11:";

export interface Pkcs11Uri {
  readonly token?: string;
  readonly manufacturer?: string;
  readonly serial?: string;
  readonly model?: string;
  readonly object?: string;
  /** CKA_ID, raw bytes. */
  readonly id?: Buffer;
  /** CKO_* class: only private, public and cert select a key here. */
  readonly type?: "private" | "public" | "cert" | "secret-key" | "data";
  readonly slotId?: number;
  readonly slotDescription?: string;
  readonly slotManufacturer?: string;
  readonly libraryManufacturer?: string;
  readonly libraryDescription?: string;
  readonly libraryVersion?: string;
  readonly modulePath?: string;
  readonly moduleName?: string;
  /** The PIN itself (RFC 7512 pin-value); never printed (see redactPkcs11Uri). */
  readonly pinValue?: string;
  /** Where to read the PIN: a file path or file: URI. */
  readonly pinSource?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const PATH_ATTRIBUTES: Readonly<Record<string, keyof Pkcs11Uri>> = {
  token: "token",
  manufacturer: "manufacturer",
  serial: "serial",
  model: "model",
  object: "object",
  id: "id",
  type: "type",
  "slot-id": "slotId",
  "slot-description": "slotDescription",
  "slot-manufacturer": "slotManufacturer",
  "library-manufacturer": "libraryManufacturer",
  "library-description": "libraryDescription",
  "library-version": "libraryVersion",
};
const QUERY_ATTRIBUTES: Readonly<Record<string, keyof Pkcs11Uri>> = {
  "module-path": "modulePath",
  "module-name": "moduleName",
  "pin-value": "pinValue",
  "pin-source": "pinSource",
};
const TYPES = ["private", "public", "cert", "secret-key", "data"] as const;
/** RFC 7512's pk11-pchar / pk11-qchar: unreserved, a few sub-delims, ":" "[" "]" "@" "!" "$" "'" "(" ")" "*" "+" "," "=" and "/" "?" in queries, or %XX. */
const PATH_VALUE = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=&]|%[0-9A-Fa-f]{2})*$/;
const QUERY_VALUE = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|;]|%[0-9A-Fa-f]{2})*$/;
const MAX_LENGTH = 4096;

export function isPkcs11Uri(text: string): boolean {
  return text.toLowerCase().startsWith(PKCS11_SCHEME);
}

export function parsePkcs11Uri(text: string): Pkcs11Uri {
  if (!isPkcs11Uri(text)) throw invalid(text, `it does not start with ${PKCS11_SCHEME}`);
  if (text.length > MAX_LENGTH) throw invalid(text, `it is longer than ${MAX_LENGTH} characters`);
  const rest = text.slice(PKCS11_SCHEME.length);
  const question = rest.indexOf("?");
  const path = question === -1 ? rest : rest.slice(0, question);
  const query = question === -1 ? undefined : rest.slice(question + 1);
  const uri: Mutable<Pkcs11Uri> = {};
  const seen = new Set<string>();
  const take = (part: string, table: Readonly<Record<string, keyof Pkcs11Uri>>, valueRule: RegExp, where: string) => {
    const equals = part.indexOf("=");
    if (equals <= 0) throw invalid(text, `${JSON.stringify(part)} in the ${where} is not NAME=VALUE`);
    const name = part.slice(0, equals).toLowerCase();
    const raw = part.slice(equals + 1);
    const field = table[name];
    if (field === undefined) {
      const other = table === PATH_ATTRIBUTES ? QUERY_ATTRIBUTES[name] : PATH_ATTRIBUTES[name];
      throw invalid(text, other !== undefined ? `${name} belongs in the ${where === "path" ? "query (after ?)" : "path (before ?)"}` : `unknown ${where} attribute ${JSON.stringify(name)}`);
    }
    if (seen.has(name)) throw invalid(text, `${name} is given twice`);
    seen.add(name);
    if (!valueRule.test(raw)) throw invalid(text, `the value of ${name} has characters that must be percent-encoded`);
    const bytes = percentDecode(raw);
    // RFC 7512 allows an empty value (it matches an empty attribute); a module or PIN location cannot be empty.
    if (bytes.length === 0 && (name === "module-path" || name === "module-name" || name === "pin-source" || name === "id")) throw invalid(text, `${name} is empty`);
    (uri as Record<string, unknown>)[field] = field === "id" ? bytes : decodeText(text, name, bytes);
  };
  if (path !== "") for (const part of path.split(";")) take(part, PATH_ATTRIBUTES, PATH_VALUE, "path");
  if (query !== undefined && query !== "") for (const part of query.split("&")) take(part, QUERY_ATTRIBUTES, QUERY_VALUE, "query");
  if (uri.type !== undefined && !(TYPES as readonly string[]).includes(uri.type)) throw invalid(text, `type must be one of ${TYPES.join(", ")}`);
  if (uri.slotId !== undefined) {
    const slot = String(uri.slotId);
    if (!/^\d{1,10}$/.test(slot) || Number(slot) > 0xffffffff) throw invalid(text, "slot-id must be a decimal number");
    uri.slotId = Number(slot);
  }
  if (uri.pinValue !== undefined && uri.pinSource !== undefined) throw invalid(text, "give pin-value or pin-source, not both");
  if (uri.token === undefined && uri.slotId === undefined && uri.serial === undefined && uri.slotDescription === undefined) {
    throw invalid(text, "name the token (token=, serial=, slot-id= or slot-description=)");
  }
  if (uri.object === undefined && uri.id === undefined) throw invalid(text, "name the key (object= or id=)");
  return Object.freeze(uri);
}

/** The URI as given with its PIN replaced: for messages and logs. */
export function redactPkcs11Uri(text: string): string {
  return text.replace(/([?&]pin-value=)[^&]*/gi, "$1REDACTED");
}

function percentDecode(raw: string): Buffer {
  const bytes: number[] = [];
  for (let index = 0; index < raw.length; index++) {
    const char = raw[index]!;
    if (char === "%") {
      bytes.push(Number.parseInt(raw.slice(index + 1, index + 3), 16));
      index += 2;
    } else {
      bytes.push(char.charCodeAt(0));
    }
  }
  return Buffer.from(bytes);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodeText(text: string, name: string, bytes: Buffer): string {
  try {
    const value = utf8.decode(bytes);
    if ([...value].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) throw new Error("control character");
    return value;
  } catch {
    throw invalid(text, `the value of ${name} is not UTF-8 text`);
  }
}

function invalid(text: string, problem: string): SignetError {
  return new SignetError("KEY_REF_INVALID", `invalid PKCS#11 URI ${JSON.stringify(redactPkcs11Uri(text).slice(0, 200))}: ${problem}`, {
    hint: "Write pkcs11:token=TOKEN;object=LABEL?module-path=/path/to/module.so&pin-value=PIN (RFC 7512; percent-encode spaces and reserved characters).",
    details: { scheme: "pkcs11" },
  });
}
