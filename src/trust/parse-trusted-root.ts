/**
 * Strict parser for trusted_root.json (sigstore protobuf-specs `TrustedRoot`, media types v0.1 and v0.2).
 * A malformed root is refused whole (TRUST_ROOT_INVALID), never half used: a log key whose `validFor` lacks
 * its required `start` is an error, not "valid since forever" (sigstore-conformance
 * `trust-root-tlog-missing-validity-start_fail`). A `validFor` that is absent altogether means unbounded, as in
 * protobuf (sigstore-js's own test root has such logs).
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { join, ProtoJsonReader, type JsonRecord } from "./proto-json.js";
import { Certificate } from "./x509.js";
import { BEGINNING_OF_TIME, END_OF_TIME, type CertificateAuthority, type LogAuthority, type TrustMaterial, type ValidityPeriod } from "./trust-material.js";
import { LIMITS } from "../internal/limits.js";

export const TRUSTED_ROOT_MEDIA_TYPES = ["application/vnd.dev.sigstore.trustedroot+json;version=0.1", "application/vnd.dev.sigstore.trustedroot.v0.2+json"] as const;

/** protobuf-specs `PublicKeyDetails` values a log key may have. */
const KEY_DETAILS = [
  "PKCS1_RSA_PKCS1V5",
  "PKCS1_RSA_PSS",
  "PKIX_RSA_PKCS1V5",
  "PKIX_RSA_PSS",
  "PKIX_RSA_PKCS1V15_2048_SHA256",
  "PKIX_RSA_PKCS1V15_3072_SHA256",
  "PKIX_RSA_PKCS1V15_4096_SHA256",
  "PKIX_RSA_PSS_2048_SHA256",
  "PKIX_RSA_PSS_3072_SHA256",
  "PKIX_RSA_PSS_4096_SHA256",
  "PKIX_ECDSA_P256_HMAC_SHA_256",
  "PKIX_ECDSA_P256_SHA_256",
  "PKIX_ECDSA_P384_SHA_384",
  "PKIX_ECDSA_P521_SHA_512",
  "PKIX_ED25519",
  "PKIX_ED25519_PH",
] as const;

const LOG_KEYS = ["baseUrl", "hashAlgorithm", "publicKey", "logId", "checkpointKeyId", "operator"];
const CA_KEYS = ["subject", "uri", "certChain", "validFor", "operator"];

/** The most a trusted root may hold: far more than any real deployment, little enough to bound work. */
const MAX_ENTRIES = LIMITS.trustedRootEntries;

/**
 * Parses a trusted_root.json document. `description` names it in messages and in the result
 * ("trusted root /etc/sigstore/trusted_root.json").
 */
export function parseTrustedRoot(untrustedJson: string | Uint8Array, description: string): TrustMaterial {
  const reader = new ProtoJsonReader("TRUST_ROOT_INVALID", description);
  let document: unknown;
  try {
    document = JSON.parse(typeof untrustedJson === "string" ? untrustedJson : new TextDecoder("utf-8", { fatal: true }).decode(untrustedJson));
  } catch (error) {
    throw new SignetError("TRUST_ROOT_INVALID", `${description} is not valid JSON: ${(error as Error).message}`);
  }
  const root = reader.object(document, "", ["mediaType", "tlogs", "certificateAuthorities", "ctlogs", "timestampAuthorities"]);
  const mediaType = reader.optionalString(root, "mediaType", "");
  if (mediaType === undefined || !(TRUSTED_ROOT_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    reader.fail("mediaType", `must be one of ${TRUSTED_ROOT_MEDIA_TYPES.join(", ")}, not ${JSON.stringify(mediaType ?? null)}`);
  }
  const list = (key: string): readonly unknown[] => {
    const items = reader.array(root, key, "");
    if (items.length > MAX_ENTRIES) reader.fail(key, `lists more than ${MAX_ENTRIES} entries`);
    return items;
  };
  return {
    description,
    tlogs: list("tlogs").flatMap((item, index) => parseLog(reader, item, join("tlogs", index), true)),
    ctlogs: list("ctlogs").flatMap((item, index) => parseLog(reader, item, join("ctlogs", index), false)),
    certificateAuthorities: list("certificateAuthorities").map((item, index) => parseAuthority(reader, item, join("certificateAuthorities", index))),
    timestampAuthorities: list("timestampAuthorities").map((item, index) => parseAuthority(reader, item, join("timestampAuthorities", index))),
  };
}

/**
 * A log, or none when its key is of a type this version of signet does not know (a newer root may add, say, a
 * post-quantum key): such a log cannot vouch for anything here, which is no reason to refuse the others.
 */
function parseLog(reader: ProtoJsonReader, value: unknown, path: string, isTransparencyLog: boolean): LogAuthority[] {
  const log = reader.object(value, path, LOG_KEYS);
  const baseURL = reader.optionalString(log, "baseUrl", path) ?? "";
  if (isTransparencyLog && baseURL === "") reader.fail(join(path, "baseUrl"), "is missing");
  reader.optionalString(log, "hashAlgorithm", path);
  const publicKey = reader.requiredObject(log, "publicKey", path, ["rawBytes", "keyDetails", "validFor"]);
  const keyPath = join(path, "publicKey");
  const keyDetails = reader.optionalString(publicKey, "keyDetails", keyPath);
  const rawBytes = reader.requiredBytes(publicKey, "rawBytes", keyPath);
  const validFor = parseValidity(reader, publicKey, keyPath);
  if (keyDetails !== undefined && !(KEY_DETAILS as readonly string[]).includes(keyDetails)) return [];
  const key = toPublicKey(reader, rawBytes, keyDetails, join(keyPath, "rawBytes"));
  const logID = reader.requiredBytes(reader.requiredObject(log, "logId", path, ["keyId"]), "keyId", join(path, "logId"));
  const checkpointKeyIdObject = reader.optionalObject(log, "checkpointKeyId", path, ["keyId"]);
  const checkpointKeyID = checkpointKeyIdObject === undefined ? undefined : reader.requiredBytes(checkpointKeyIdObject, "keyId", join(path, "checkpointKeyId"));
  return [{ baseURL, logID, checkpointKeyID: checkpointKeyID ?? logID, publicKey: key, validFor }];
}

function parseAuthority(reader: ProtoJsonReader, value: unknown, path: string): CertificateAuthority {
  const authority = reader.object(value, path, CA_KEYS);
  const subject = reader.optionalObject(authority, "subject", path, ["organization", "commonName"]);
  const uri = reader.optionalString(authority, "uri", path);
  const chain = reader.requiredObject(authority, "certChain", path, ["certificates"]);
  const certificates = reader.array(chain, "certificates", join(path, "certChain"));
  if (certificates.length === 0) reader.fail(join(path, "certChain.certificates"), "is empty");
  if (certificates.length > 10) reader.fail(join(path, "certChain.certificates"), "lists more than 10 certificates");
  const certChain = certificates.map((item, index) => {
    const certificatePath = join(join(path, "certChain.certificates"), index);
    const raw = reader.requiredBytes(reader.object(item, certificatePath, ["rawBytes"]), "rawBytes", certificatePath);
    try {
      return Certificate.parse(raw);
    } catch (error) {
      return reader.fail(certificatePath, `is not an X.509 certificate: ${(error as Error).message}`);
    }
  });
  const commonName = subject === undefined ? undefined : reader.optionalString(subject, "commonName", join(path, "subject"));
  for (const [index, certificate] of certChain.entries()) {
    // Parse each key now, once: verifications then never pay for it (and a bad key fails the load, not a verify).
    try {
      void certificate.publicKey;
    } catch (error) {
      reader.fail(join(join(path, "certChain.certificates"), index), `has an unusable public key: ${(error as Error).message}`);
    }
  }
  return { name: uri ?? commonName ?? `certificate authority ${path}`, certChain, validFor: parseValidity(reader, authority, path) };
}

function parseValidity(reader: ProtoJsonReader, parent: JsonRecord, path: string): ValidityPeriod {
  const validFor = reader.optionalObject(parent, "validFor", path, ["start", "end"]);
  if (validFor === undefined) return { start: BEGINNING_OF_TIME, end: END_OF_TIME };
  const start = reader.optionalTimestamp(validFor, "start", join(path, "validFor"));
  if (start === undefined) reader.fail(join(path, "validFor.start"), "is missing (a validity period must say when it starts)");
  const end = reader.optionalTimestamp(validFor, "end", join(path, "validFor")) ?? END_OF_TIME;
  if (end.getTime() < start.getTime()) reader.fail(join(path, "validFor"), "ends before it starts");
  return { start, end };
}

function toPublicKey(reader: ProtoJsonReader, der: Buffer, details: string | undefined, path: string): KeyObject {
  const type = details === "PKCS1_RSA_PKCS1V5" || details === "PKCS1_RSA_PSS" ? "pkcs1" : "spki";
  try {
    return createPublicKey({ key: der, format: "der", type });
  } catch (error) {
    return reader.fail(path, `is not a ${type.toUpperCase()} public key: ${(error as Error).message}`);
  }
}

/** sha256 of a DER SubjectPublicKeyInfo: the log id of Rekor v1 and CT logs, and cosign's key id. */
export function keyIdOf(publicKey: KeyObject): Buffer {
  return createHash("sha256").update(publicKey.export({ format: "der", type: "spki" })).digest();
}
