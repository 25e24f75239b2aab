/**
 * A key in a PKCS#11 token (an HSM, a smart card, SoftHSM) as a Signer, through pkcs11js (the maintained N-API
 * binding, built from source at install). The private key never leaves the token: signet asks the token to sign.
 *
 * - The module: the URI's module-path, else COSIGN_PKCS11_MODULE_PATH (cosign's variable). module-name alone is
 *   not searched for: loading a shared library is running its code, so signet loads only a path it was given.
 * - The PIN: pin-value, else the file named by pin-source, else COSIGN_PKCS11_PIN; never logged.
 * - The token: every attribute the URI gives (token label, serial, manufacturer, model, slot-id,
 *   slot-description) must match, and exactly one token may match. The key: exactly one private key object with
 *   the URI's label (object=) and id; its public half from the public key object with the same id/label, else a
 *   certificate with it.
 * - Signatures are cosign's (keys/sign-verify.ts): ECDSA over SHA-256 (the token signs the digest, CKM_ECDSA;
 *   its r||s becomes DER), RSA PKCS#1 v1.5 with SHA-256 (CKM_SHA256_RSA_PKCS). Other key types are KEY_UNSUPPORTED.
 *
 * Every sign opens a session, logs in, signs and closes it: nothing is left open between calls.
 */
import { createHash, createPublicKey, X509Certificate, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type * as Pkcs11Module from "pkcs11js";
import { SignetError } from "../errors/index.js";
import { encodeElement, readElement } from "../internal/der.js";
import { keyAlgorithmOf } from "./key-algorithm.js";
import { redactPkcs11Uri, type Pkcs11Uri } from "./pkcs11-uri.js";
import type { Signer } from "./signer.js";

export interface Pkcs11Options {
  readonly env?: NodeJS.ProcessEnv;
}

type Binding = typeof Pkcs11Module;
type Handle = Buffer;

const CKF_SERIAL_SESSION = 0x4;
const CKU_USER = 1;
const CKA_CLASS = 0x0;
const CKA_VALUE = 0x11;
const CKA_KEY_TYPE = 0x100;
const CKA_LABEL = 0x3;
const CKA_ID = 0x102;
const CKA_MODULUS = 0x120;
const CKA_PUBLIC_EXPONENT = 0x122;
const CKA_EC_PARAMS = 0x180;
const CKA_EC_POINT = 0x181;
const CKO_CERTIFICATE = 1;
const CKO_PUBLIC_KEY = 2;
const CKO_PRIVATE_KEY = 3;
const CKK_RSA = 0;
const CKK_EC = 3;
const CKM_ECDSA = 0x1041;
const CKM_SHA256_RSA_PKCS = 0x40;
const CKR_PIN_INCORRECT = 0xa0;
const CKR_USER_ALREADY_LOGGED_IN = 0x100;
const CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;
/** id-ecPublicKey, DER. */
const EC_PUBLIC_KEY_OID = Buffer.from("06072a8648ce3d0201", "hex");
const PIN_FILE_MAX_BYTES = 4096;

/** Opens the key a pkcs11: URI names (reading its public key once) as a Signer. */
export async function openPkcs11Signer(text: string, uri: Pkcs11Uri, options: Pkcs11Options = {}): Promise<Signer> {
  const env = options.env ?? process.env;
  const description = redactPkcs11Uri(text);
  const fail = (code: Pkcs11FailureCode, problem: string, cause?: unknown): SignetError =>
    new SignetError(code, `${description}: ${problem}`, { details: { scheme: "pkcs11" }, ...(cause !== undefined ? { cause } : {}) });
  const modulePath = uri.modulePath ?? nonEmpty(env["COSIGN_PKCS11_MODULE_PATH"]);
  if (modulePath === undefined) {
    throw fail("KEY_REF_INVALID", uri.moduleName !== undefined ? "module-name is not searched for: give module-path" : "no PKCS#11 module: give module-path= in the URI or set COSIGN_PKCS11_MODULE_PATH");
  }
  const pin = await pinOf(uri, env, fail);
  let binding: Binding;
  try {
    binding = (await import("pkcs11js")) as Binding;
  } catch (error) {
    throw fail("KEY_REF_UNSUPPORTED", `the PKCS#11 binding (pkcs11js) is not installed: ${(error as Error).message}`, error);
  }
  const module = new binding.PKCS11();
  try {
    module.load(modulePath);
    try {
      module.C_Initialize();
    } catch (error) {
      // The module is loaded once per process (dlopen): another signer of this process initialised it already.
      if ((error as { code?: number }).code !== CKR_CRYPTOKI_ALREADY_INITIALIZED) throw error;
    }
  } catch (error) {
    throw fail("KEY_REF_UNREADABLE", `cannot load the PKCS#11 module ${modulePath}: ${(error as Error).message}`, error);
  }

  const slot = findSlot(module, uri, fail);
  const inSession = <T>(action: (session: Handle) => T): T => {
    let session: Handle | undefined;
    try {
      session = module.C_OpenSession(slot, CKF_SERIAL_SESSION);
      if (pin !== undefined) {
        try {
          module.C_Login(session, CKU_USER, pin);
        } catch (error) {
          const code = (error as { code?: number }).code;
          if (code === CKR_PIN_INCORRECT) throw fail("KEY_PASSWORD_WRONG", "the token refused the PIN", error);
          if (code !== CKR_USER_ALREADY_LOGGED_IN) throw error;
        }
      }
      return action(session);
    } catch (error) {
      if (SignetError.is(error)) throw error;
      throw fail("KEY_REF_UNREADABLE", `the token failed: ${(error as Error).message}`, error);
    } finally {
      if (session !== undefined) {
        try {
          module.C_CloseSession(session);
        } catch {
          // The session is gone either way.
        }
      }
    }
  };

  const { publicKey, keyType } = inSession((session) => {
    const privateKey = findOne(module, session, CKO_PRIVATE_KEY, uri, fail, "private key");
    const attributes = module.C_GetAttributeValue(session, privateKey, [{ type: CKA_KEY_TYPE }, { type: CKA_ID }, { type: CKA_LABEL }]);
    const keyType = numberOf(attributes[0]?.value);
    const id = attributes[1]?.value as Buffer | undefined;
    const label = attributes[2]?.value as Buffer | undefined;
    const sameKey = { ...(id !== undefined && id.length > 0 ? { id } : {}), ...(label !== undefined && label.length > 0 ? { object: label.toString("utf8") } : {}) };
    return { publicKey: publicKeyOf(module, session, sameKey, keyType, fail), keyType };
  });
  const algorithm = keyAlgorithmOf(publicKey);
  if (!(keyType === CKK_EC && algorithm.startsWith("ecdsa-")) && !(keyType === CKK_RSA && algorithm === "rsa")) {
    throw fail("KEY_UNSUPPORTED", `${algorithm} keys in a PKCS#11 token are not supported (ECDSA and RSA PKCS#1 v1.5 are)`);
  }
  const sign = async (message: Uint8Array): Promise<Buffer> =>
    inSession((session) => {
      const privateKey = findOne(module, session, CKO_PRIVATE_KEY, uri, fail, "private key");
      if (keyType === CKK_EC) {
        const digest = createHash("sha256").update(message).digest();
        module.C_SignInit(session, { mechanism: CKM_ECDSA }, privateKey);
        return ecdsaRawToDer(module.C_Sign(session, digest, Buffer.alloc(2 * 66 + 2)), fail);
      }
      module.C_SignInit(session, { mechanism: CKM_SHA256_RSA_PKCS }, privateKey);
      return Buffer.from(module.C_Sign(session, Buffer.from(message), Buffer.alloc(2048)));
    });
  return Object.freeze({ algorithm, publicKey, description, sign });
}

type Pkcs11FailureCode = "KEY_REF_UNREADABLE" | "KEY_REF_INVALID" | "KEY_REF_UNSUPPORTED" | "KEY_UNSUPPORTED" | "KEY_PASSWORD_WRONG" | "KEY_PASSWORD_MISSING";
type Fail = (code: Pkcs11FailureCode, problem: string, cause?: unknown) => SignetError;

async function pinOf(uri: Pkcs11Uri, env: NodeJS.ProcessEnv, fail: Fail): Promise<string | undefined> {
  if (uri.pinValue !== undefined) return uri.pinValue;
  if (uri.pinSource !== undefined) {
    const path = uri.pinSource.startsWith("file:") ? fileURLToPath(uri.pinSource) : uri.pinSource;
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw fail("KEY_PASSWORD_MISSING", `cannot read the pin-source file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (bytes.length > PIN_FILE_MAX_BYTES) throw fail("KEY_PASSWORD_MISSING", `the pin-source file ${path} is larger than ${PIN_FILE_MAX_BYTES} bytes`);
    return bytes.toString("utf8").replace(/\r?\n$/, "");
  }
  return nonEmpty(env["COSIGN_PKCS11_PIN"]);
}

function findSlot(module: Pkcs11Module.PKCS11, uri: Pkcs11Uri, fail: Fail): Handle {
  const matches: Handle[] = [];
  for (const slot of module.C_GetSlotList(true)) {
    if (uri.slotId !== undefined && slotNumber(slot) !== uri.slotId) continue;
    if (uri.slotDescription !== undefined && module.C_GetSlotInfo(slot).slotDescription.trimEnd() !== uri.slotDescription) continue;
    const token = module.C_GetTokenInfo(slot);
    if (uri.token !== undefined && token.label.trimEnd() !== uri.token) continue;
    if (uri.serial !== undefined && token.serialNumber.trimEnd() !== uri.serial) continue;
    if (uri.manufacturer !== undefined && token.manufacturerID.trimEnd() !== uri.manufacturer) continue;
    if (uri.model !== undefined && token.model.trimEnd() !== uri.model) continue;
    matches.push(slot);
  }
  if (matches.length === 0) throw fail("KEY_REF_UNREADABLE", "no token matches (check token=, serial= or slot-id=; `pkcs11-tool --module MODULE --list-slots` lists them)");
  if (matches.length > 1) throw fail("KEY_REF_INVALID", `${matches.length} tokens match: add serial= or slot-id= to name one`);
  return matches[0]!;
}

function findAll(module: Pkcs11Module.PKCS11, session: Handle, objectClass: number, key: { object?: string; id?: Buffer }): Handle[] {
  const template: Pkcs11Module.Template = [{ type: CKA_CLASS, value: objectClass }];
  if (key.object !== undefined) template.push({ type: CKA_LABEL, value: key.object });
  if (key.id !== undefined) template.push({ type: CKA_ID, value: key.id });
  module.C_FindObjectsInit(session, template);
  try {
    return module.C_FindObjects(session, 3);
  } finally {
    module.C_FindObjectsFinal(session);
  }
}

function findOne(module: Pkcs11Module.PKCS11, session: Handle, objectClass: number, key: { object?: string; id?: Buffer }, fail: Fail, what: string): Handle {
  const found = findAll(module, session, objectClass, key);
  if (found.length === 0) throw fail("KEY_REF_UNREADABLE", `the token holds no ${what} with this object=/id= (is the PIN right? private keys are visible only after login)`);
  if (found.length > 1) throw fail("KEY_REF_INVALID", `the token holds several ${what}s with this object=/id=: add id= to name one`);
  return found[0]!;
}

function publicKeyOf(module: Pkcs11Module.PKCS11, session: Handle, key: { object?: string; id?: Buffer }, keyType: number, fail: Fail): KeyObject {
  const [publicObject] = findAll(module, session, CKO_PUBLIC_KEY, key);
  if (publicObject !== undefined) {
    if (keyType === CKK_EC) {
      const [params, point] = module.C_GetAttributeValue(session, publicObject, [{ type: CKA_EC_PARAMS }, { type: CKA_EC_POINT }]);
      const spki = encodeElement(0x30, Buffer.concat([encodeElement(0x30, Buffer.concat([EC_PUBLIC_KEY_OID, params!.value as Buffer])), encodeElement(0x03, Buffer.concat([Buffer.of(0), unwrapEcPoint(point!.value as Buffer)]))]));
      return createPublicKey({ key: spki, format: "der", type: "spki" });
    }
    if (keyType === CKK_RSA) {
      const [modulus, exponent] = module.C_GetAttributeValue(session, publicObject, [{ type: CKA_MODULUS }, { type: CKA_PUBLIC_EXPONENT }]);
      return createPublicKey({ key: { kty: "RSA", n: (modulus!.value as Buffer).toString("base64url"), e: (exponent!.value as Buffer).toString("base64url") }, format: "jwk" });
    }
    throw fail("KEY_UNSUPPORTED", `key type ${keyType} is not supported (ECDSA and RSA are)`);
  }
  const [certificate] = findAll(module, session, CKO_CERTIFICATE, key);
  if (certificate !== undefined) return new X509Certificate(module.C_GetAttributeValue(session, certificate, [{ type: CKA_VALUE }])[0]!.value as Buffer).publicKey;
  throw fail("KEY_REF_UNREADABLE", "the token holds the private key but neither its public key nor a certificate with the same id/label");
}

/** CKA_EC_POINT is the DER OCTET STRING of the point (PKCS#11 2.40); some modules give the bare point. */
function unwrapEcPoint(value: Buffer): Buffer {
  if (value[0] === 0x04 && value.length > 2) {
    try {
      const element = readElement(value, 0);
      const content = value.subarray(element.contentStart, element.end);
      if (element.end === value.length && content[0] === 0x04 && content.length % 2 === 1) return content;
    } catch {
      // Not DER: the bare point.
    }
  }
  return value;
}

/** PKCS#11 ECDSA signatures are r||s; cosign's (and node:crypto's default) are DER. */
function ecdsaRawToDer(raw: Buffer, fail: Fail): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0) throw fail("KEY_REF_UNREADABLE", `the token returned a ${raw.length}-byte ECDSA signature`);
  const integer = (bytes: Buffer): Buffer => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.subarray(start);
    return encodeElement(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.of(0), trimmed]) : trimmed);
  };
  const half = raw.length / 2;
  return encodeElement(0x30, Buffer.concat([integer(raw.subarray(0, half)), integer(raw.subarray(half))]));
}

function slotNumber(slot: Handle): number {
  return Number(slot.length >= 8 ? slot.readBigUInt64LE(0) : BigInt(slot.readUInt32LE(0)));
}

function numberOf(value: unknown): number {
  if (typeof value === "number") return value;
  if (Buffer.isBuffer(value)) return Number(value.length >= 8 ? value.readBigUInt64LE(0) : BigInt(value.readUInt32LE(0)));
  return -1;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

