/**
 * What a Rekor entry body claims: which signature, by which key or certificate, over which digest. The body
 * is covered by the SET or the inclusion proof, so once inclusion is verified these claims are the log's; the
 * verifier then checks they are about the signature, key and artifact at hand (security case A.1).
 *
 * Supported kinds: hashedrekord 0.0.1 and 0.0.2 (Rekor v2), dsse 0.0.1 and 0.0.2, intoto 0.0.2.
 */
import { createPublicKey } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { decodePemBlocks, pemBlockBytes, type PemBlock } from "../keys/pem.js";
import { JsonSyntaxError, readJsonBytes, toPlainJson } from "../internal/json-reader.js";
import { decodeBase64Strict } from "../internal/base64.js";

export type DigestAlgorithm = "sha256" | "sha384" | "sha512";

export interface EntryDigest {
  readonly algorithm: DigestAlgorithm;
  readonly value: Buffer;
}

/** A signing key or certificate as the entry records it. */
export type EntryVerifier = { readonly type: "certificate"; readonly der: Buffer } | { readonly type: "publicKey"; readonly spki: Buffer };

export interface EntryClaims {
  readonly kind: string;
  readonly version: string;
  readonly signatures: readonly { readonly signature: Buffer; readonly verifier: EntryVerifier }[];
  /** hashedrekord: the digest of the signed bytes (the artifact, or the DSSE PAE for Rekor v2 DSSE). */
  readonly signedDigest?: EntryDigest;
  /** dsse, intoto: the digest of the DSSE payload. */
  readonly payloadDigest?: EntryDigest;
}

function malformed(problem: string): never {
  throw new SignetError("TLOG_ENTRY_MISMATCH", `the log entry body is malformed: ${problem}`);
}

type Json = Record<string, unknown>;

function field(value: unknown, key: string, path: string): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) malformed(`${path} is not an object`);
  return (value as Json)[key];
}

function text(value: unknown, key: string, path: string): string {
  const result = field(value, key, path);
  if (typeof result !== "string" || result === "") malformed(`${path}.${key} is missing`);
  return result;
}

function base64(value: unknown, key: string, path: string): Buffer {
  const encoded = text(value, key, path);
  const bytes = decodeBase64Strict(encoded, "std-exact");
  if (bytes === undefined) malformed(`${path}.${key} is not base64`);
  return bytes;
}

function list(value: unknown, key: string, path: string): readonly unknown[] {
  const result = field(value, key, path);
  if (!Array.isArray(result)) malformed(`${path}.${key} is not a list`);
  return result;
}

const HEX_DIGEST_ALGORITHMS: Record<string, DigestAlgorithm> = { sha256: "sha256", sha384: "sha384", sha512: "sha512" };
const PROTO_DIGEST_ALGORITHMS: Record<string, DigestAlgorithm> = { SHA2_256: "sha256", SHA2_384: "sha384", SHA2_512: "sha512" };
const DIGEST_LENGTH: Record<DigestAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** Rekor v1 style `{"algorithm":"sha256","value":"<hex>"}`. */
function hexDigest(value: unknown, path: string): EntryDigest {
  const algorithm = HEX_DIGEST_ALGORITHMS[text(value, "algorithm", path)];
  const hex = text(value, "value", path);
  if (algorithm === undefined) malformed(`${path}.algorithm is not sha256, sha384 or sha512`);
  if (!/^[0-9a-f]+$/.test(hex) || hex.length !== DIGEST_LENGTH[algorithm] * 2) malformed(`${path}.value is not a ${algorithm} hex digest`);
  return { algorithm, value: Buffer.from(hex, "hex") };
}

/** Rekor v2 style `{"algorithm":"SHA2_256","digest":"<base64>"}`. */
function protoDigest(value: unknown, path: string): EntryDigest {
  const algorithm = PROTO_DIGEST_ALGORITHMS[text(value, "algorithm", path)];
  if (algorithm === undefined) malformed(`${path}.algorithm is not SHA2_256, SHA2_384 or SHA2_512`);
  const digest = base64(value, "digest", path);
  if (digest.length !== DIGEST_LENGTH[algorithm]) malformed(`${path}.digest is not a ${algorithm} digest`);
  return { algorithm, value: digest };
}

/** A PEM certificate or public key, as Rekor v1 records verifiers (base64 of the PEM text). */
function pemVerifier(pemBase64: Buffer, path: string): EntryVerifier {
  let blocks: PemBlock[];
  try {
    blocks = decodePemBlocks(pemBase64.toString("utf8"));
  } catch {
    return malformed(`${path} is not a PEM certificate or public key`);
  }
  const block = blocks[0];
  if (blocks.length !== 1 || (block!.label !== "CERTIFICATE" && block!.label !== "PUBLIC KEY")) malformed(`${path} is not a PEM certificate or public key`);
  let der: Buffer;
  try {
    der = pemBlockBytes(block!);
  } catch {
    return malformed(`${path} is not a PEM certificate or public key`);
  }
  if (block!.label === "CERTIFICATE") return { type: "certificate", der };
  return { type: "publicKey", spki: normalizeSpki(der, path) };
}

/** Rekor v2 `verifier`: `{"x509Certificate":{"rawBytes"}}` or `{"publicKey":{"rawBytes"}}`. */
function protoVerifier(value: unknown, path: string): EntryVerifier {
  const certificate = field(value, "x509Certificate", path);
  if (certificate !== undefined) return { type: "certificate", der: base64(certificate, "rawBytes", `${path}.x509Certificate`) };
  const publicKey = field(value, "publicKey", path);
  if (publicKey !== undefined) return { type: "publicKey", spki: normalizeSpki(base64(publicKey, "rawBytes", `${path}.publicKey`), path) };
  return malformed(`${path} has neither a certificate nor a public key`);
}

function normalizeSpki(der: Buffer, path: string): Buffer {
  try {
    return createPublicKey({ key: der, format: "der", type: "spki" }).export({ format: "der", type: "spki" });
  } catch {
    return malformed(`${path} is not a public key`);
  }
}

export function parseEntryBody(canonicalizedBody: Buffer, kind: string, version: string): EntryClaims {
  let body: unknown;
  try {
    body = toPlainJson(readJsonBytes(canonicalizedBody));
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    malformed(`not JSON: ${error.message}`);
  }
  const bodyKind = text(body, "kind", "body");
  const bodyVersion = text(body, "apiVersion", "body");
  if (bodyKind !== kind || bodyVersion !== version) {
    throw new SignetError("TLOG_ENTRY_MISMATCH", `the log entry says it is ${kind} ${version} but its body is ${bodyKind} ${bodyVersion}`);
  }
  const spec = field(body, "spec", "body");
  switch (`${kind}/${version}`) {
    case "hashedrekord/0.0.1": {
      const signature = field(spec, "signature", "spec");
      return {
        kind,
        version,
        signatures: [{ signature: base64(signature, "content", "spec.signature"), verifier: pemVerifier(base64(field(signature, "publicKey", "spec.signature"), "content", "spec.signature.publicKey"), "spec.signature.publicKey") }],
        signedDigest: hexDigest(field(field(spec, "data", "spec"), "hash", "spec.data"), "spec.data.hash"),
      };
    }
    case "hashedrekord/0.0.2": {
      const v2 = field(spec, "hashedRekordV002", "spec");
      const signature = field(v2, "signature", "spec.hashedRekordV002");
      return {
        kind,
        version,
        signatures: [{ signature: base64(signature, "content", "signature"), verifier: protoVerifier(field(signature, "verifier", "signature"), "signature.verifier") }],
        signedDigest: protoDigest(field(v2, "data", "spec.hashedRekordV002"), "spec.hashedRekordV002.data"),
      };
    }
    case "dsse/0.0.1":
      return {
        kind,
        version,
        signatures: list(spec, "signatures", "spec").map((item, index) => ({
          signature: base64(item, "signature", `spec.signatures[${index}]`),
          verifier: pemVerifier(base64(item, "verifier", `spec.signatures[${index}]`), `spec.signatures[${index}].verifier`),
        })),
        payloadDigest: hexDigest(field(spec, "payloadHash", "spec"), "spec.payloadHash"),
      };
    case "dsse/0.0.2": {
      const v2 = field(spec, "dsseV002", "spec");
      return {
        kind,
        version,
        signatures: list(v2, "signatures", "spec.dsseV002").map((item, index) => ({
          signature: base64(item, "content", `signatures[${index}]`),
          verifier: protoVerifier(field(item, "verifier", `signatures[${index}]`), `signatures[${index}].verifier`),
        })),
        payloadDigest: protoDigest(field(v2, "payloadHash", "spec.dsseV002"), "spec.dsseV002.payloadHash"),
      };
    }
    case "intoto/0.0.2": {
      const content = field(spec, "content", "spec");
      const envelope = field(content, "envelope", "spec.content");
      return {
        kind,
        version,
        signatures: list(envelope, "signatures", "envelope").map((item, index) => ({
          // intoto 0.0.2 stores the signature base64-encoded twice.
          signature: Buffer.from(base64(item, "sig", `envelope.signatures[${index}]`).toString("utf8"), "base64"),
          verifier: pemVerifier(base64(item, "publicKey", `envelope.signatures[${index}]`), `envelope.signatures[${index}].publicKey`),
        })),
        payloadDigest: hexDigest(field(content, "payloadHash", "spec.content"), "spec.content.payloadHash"),
      };
    }
    default:
      throw new SignetError("TLOG_ENTRY_MISMATCH", `log entries of kind ${kind} ${version} are not supported`, {
        hint: "signet checks hashedrekord 0.0.1/0.0.2, dsse 0.0.1/0.0.2 and intoto 0.0.2 entries.",
      });
  }
}
