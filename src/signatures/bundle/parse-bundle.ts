/**
 * Strict parser for sigstore bundles v0.1 to v0.3 (protobuf-specs `Bundle` in JSON). Everything the verifier
 * will rely on is checked for shape here; nothing is trusted yet. What each version requires:
 *   v0.1: every log entry has an inclusion promise (SET); a proof, if any, has a checkpoint.
 *   v0.2: every log entry has an inclusion proof with a checkpoint.
 *   v0.3: as v0.2, and the signing certificate is a single certificate, not a chain.
 * Of a v0.1/v0.2 certificate chain only the leaf is used: trust anchors come from the trusted root only.
 */
import { SignetError } from "../../errors/index.js";
import type { UntrustedInclusionProof, UntrustedTlogEntry } from "../../transparency/tlog-entry.js";
import { join, ProtoJsonReader, type JsonRecord } from "../../trust/proto-json.js";
import { Certificate } from "../../trust/x509.js";
import { LIMITS } from "../../internal/limits.js";

export const BUNDLE_MEDIA_TYPES: Record<string, BundleVersion> = {
  "application/vnd.dev.sigstore.bundle+json;version=0.1": "0.1",
  "application/vnd.dev.sigstore.bundle+json;version=0.2": "0.2",
  "application/vnd.dev.sigstore.bundle+json;version=0.3": "0.3",
  "application/vnd.dev.sigstore.bundle.v0.3+json": "0.3",
};

export type BundleVersion = "0.1" | "0.2" | "0.3";
export type BundleDigestAlgorithm = "sha256" | "sha384" | "sha512";

export type UntrustedSigningKey =
  | { readonly type: "certificate"; readonly certificate: Certificate; readonly intermediates: readonly Certificate[] }
  | { readonly type: "publicKey"; readonly hint: string };

export type UntrustedContent =
  | { readonly type: "messageSignature"; readonly digest?: { readonly algorithm: BundleDigestAlgorithm; readonly value: Buffer }; readonly signature: Buffer }
  | { readonly type: "dsseEnvelope"; readonly payloadType: string; readonly payload: Buffer; readonly signature: Buffer };

export interface UntrustedBundle {
  readonly mediaType: string;
  readonly version: BundleVersion;
  readonly signingKey: UntrustedSigningKey;
  readonly tlogEntries: readonly UntrustedTlogEntry[];
  /** DER RFC 3161 timestamp responses over the signature. */
  readonly rfc3161Timestamps: readonly Buffer[];
  readonly content: UntrustedContent;
}

/** Far above any real bundle; bounds the work a hostile one can cause. */
const MAX_TLOG_ENTRIES = LIMITS.bundleTlogEntries;
const MAX_TIMESTAMPS = LIMITS.bundleTimestamps;
const MAX_CHAIN = LIMITS.bundleChainCertificates;
const MAX_PROOF_HASHES = LIMITS.inclusionProofHashes;

const HASH_ALGORITHMS: Record<string, BundleDigestAlgorithm> = { SHA2_256: "sha256", SHA2_384: "sha384", SHA2_512: "sha512" };
const DIGEST_LENGTHS: Record<BundleDigestAlgorithm, number> = { sha256: 32, sha384: 48, sha512: 64 };

export function parseBundle(untrustedBundle: unknown): UntrustedBundle {
  const reader = new ProtoJsonReader("BUNDLE_INVALID", "the sigstore bundle");
  const bundle = reader.object(untrustedBundle, "", ["mediaType", "verificationMaterial", "messageSignature", "dsseEnvelope"]);
  const mediaType = reader.optionalString(bundle, "mediaType", "") ?? "";
  const version = BUNDLE_MEDIA_TYPES[mediaType];
  if (version === undefined) {
    throw new SignetError("BUNDLE_INVALID", `the sigstore bundle's media type ${JSON.stringify(mediaType.slice(0, 100))} is not a supported version (v0.1 to v0.3)`, {
      details: { mediaType: mediaType.slice(0, 100) },
    });
  }
  const material = reader.requiredObject(bundle, "verificationMaterial", "", ["publicKey", "x509CertificateChain", "certificate", "tlogEntries", "timestampVerificationData"]);
  const signingKey = parseSigningKey(reader, material, version);
  const tlogValues = reader.array(material, "tlogEntries", "verificationMaterial");
  if (tlogValues.length > MAX_TLOG_ENTRIES) reader.fail("verificationMaterial.tlogEntries", `lists more than ${MAX_TLOG_ENTRIES} entries`);
  const tlogEntries = tlogValues.map((value, index) => parseTlogEntry(reader, value, join("verificationMaterial.tlogEntries", index), version));
  const timestampData = reader.optionalObject(material, "timestampVerificationData", "verificationMaterial", ["rfc3161Timestamps"]);
  const timestampValues = timestampData === undefined ? [] : reader.array(timestampData, "rfc3161Timestamps", "verificationMaterial.timestampVerificationData");
  if (timestampValues.length > MAX_TIMESTAMPS) reader.fail("verificationMaterial.timestampVerificationData.rfc3161Timestamps", `lists more than ${MAX_TIMESTAMPS} timestamps`);
  const rfc3161Timestamps = timestampValues.map((value, index) => {
    const path = join("verificationMaterial.timestampVerificationData.rfc3161Timestamps", index);
    return reader.requiredBytes(reader.object(value, path, ["signedTimestamp"]), "signedTimestamp", path);
  });
  return { mediaType, version, signingKey, tlogEntries, rfc3161Timestamps, content: parseContent(reader, bundle) };
}

function parseCertificate(reader: ProtoJsonReader, value: unknown, path: string): { certificate: Certificate } {
  const der = reader.requiredBytes(reader.object(value, path, ["rawBytes"]), "rawBytes", path);
  try {
    return { certificate: Certificate.parse(der) };
  } catch (error) {
    return reader.fail(path, `is not an X.509 certificate: ${(error as Error).message}`);
  }
}

function parseSigningKey(reader: ProtoJsonReader, material: JsonRecord, version: BundleVersion): UntrustedSigningKey {
  const present = ["publicKey", "x509CertificateChain", "certificate"].filter((key) => material[key] !== undefined && material[key] !== null);
  if (present.length !== 1) reader.fail("verificationMaterial", "must have exactly one of publicKey, x509CertificateChain and certificate");
  const path = "verificationMaterial";
  switch (present[0]) {
    case "publicKey": {
      const key = reader.requiredObject(material, "publicKey", path, ["hint"]);
      return { type: "publicKey", hint: reader.optionalString(key, "hint", join(path, "publicKey")) ?? "" };
    }
    case "certificate":
      return { type: "certificate", ...parseCertificate(reader, material["certificate"], join(path, "certificate")), intermediates: [] };
    default: {
      if (version === "0.3") reader.fail(join(path, "x509CertificateChain"), "is not allowed in a v0.3 bundle (use certificate)");
      const chainPath = join(path, "x509CertificateChain");
      const chain = reader.requiredObject(material, "x509CertificateChain", path, ["certificates"]);
      const values = reader.array(chain, "certificates", chainPath);
      if (values.length === 0) reader.fail(join(chainPath, "certificates"), "is empty");
      if (values.length > MAX_CHAIN) reader.fail(join(chainPath, "certificates"), `lists more than ${MAX_CHAIN} certificates`);
      const certificates = values.map((value, index) => parseCertificate(reader, value, join(join(chainPath, "certificates"), index)));
      // Only the leaf is used, as sigstore-go, -python and -js do: the CA chain, root included, comes from the
      // trust material. (Real npm v0.1 provenance bundles carry the root too; it is ignored, never trusted.)
      return { type: "certificate", certificate: certificates[0]!.certificate, intermediates: [] };
    }
  }
}

function parseTlogEntry(reader: ProtoJsonReader, value: unknown, path: string, version: BundleVersion): UntrustedTlogEntry {
  const entry = reader.object(value, path, ["logIndex", "logId", "kindVersion", "integratedTime", "inclusionPromise", "inclusionProof", "canonicalizedBody"]);
  const logIndex = reader.optionalInt64(entry, "logIndex", path) ?? 0n;
  const logID = reader.requiredBytes(reader.requiredObject(entry, "logId", path, ["keyId"]), "keyId", join(path, "logId"));
  const kindVersion = reader.requiredObject(entry, "kindVersion", path, ["kind", "version"]);
  const kind = reader.requiredString(kindVersion, "kind", join(path, "kindVersion"));
  const kindVersionText = reader.requiredString(kindVersion, "version", join(path, "kindVersion"));
  const integratedTime = reader.optionalInt64(entry, "integratedTime", path) ?? 0n;
  const promise = reader.optionalObject(entry, "inclusionPromise", path, ["signedEntryTimestamp"]);
  const signedEntryTimestamp = promise === undefined ? undefined : reader.requiredBytes(promise, "signedEntryTimestamp", join(path, "inclusionPromise"));
  const proofObject = reader.optionalObject(entry, "inclusionProof", path, ["logIndex", "rootHash", "treeSize", "hashes", "checkpoint"]);
  const inclusionProof = proofObject === undefined ? undefined : parseInclusionProof(reader, proofObject, join(path, "inclusionProof"));
  const canonicalizedBody = reader.requiredBytes(entry, "canonicalizedBody", path);
  if (version === "0.1" && signedEntryTimestamp === undefined) reader.fail(path, "has no inclusion promise, which a v0.1 bundle requires");
  if (version !== "0.1" && inclusionProof === undefined) reader.fail(path, `has no inclusion proof, which a v${version} bundle requires`);
  return {
    logIndex,
    logID,
    kind,
    version: kindVersionText,
    integratedTime,
    ...(signedEntryTimestamp === undefined ? {} : { signedEntryTimestamp }),
    ...(inclusionProof === undefined ? {} : { inclusionProof }),
    canonicalizedBody,
  };
}

function parseInclusionProof(reader: ProtoJsonReader, proof: JsonRecord, path: string): UntrustedInclusionProof {
  const hashValues = reader.array(proof, "hashes", path);
  if (hashValues.length > MAX_PROOF_HASHES) reader.fail(join(path, "hashes"), `lists more than ${MAX_PROOF_HASHES} hashes`);
  const hashes = hashValues.map((value, index) => {
    if (typeof value !== "string") return reader.fail(join(join(path, "hashes"), index), "must be a string");
    return reader.requiredBytes({ hash: value }, "hash", join(join(path, "hashes"), index));
  });
  const checkpoint = reader.optionalObject(proof, "checkpoint", path, ["envelope"]);
  if (checkpoint === undefined) reader.fail(join(path, "checkpoint"), "is missing: an inclusion proof without a checkpoint proves nothing");
  return {
    logIndex: reader.optionalInt64(proof, "logIndex", path) ?? 0n,
    rootHash: reader.requiredBytes(proof, "rootHash", path),
    treeSize: reader.optionalInt64(proof, "treeSize", path) ?? 0n,
    hashes,
    checkpoint: reader.requiredString(checkpoint, "envelope", join(path, "checkpoint")),
  };
}

function parseContent(reader: ProtoJsonReader, bundle: JsonRecord): UntrustedContent {
  const hasMessage = bundle["messageSignature"] !== undefined && bundle["messageSignature"] !== null;
  const hasEnvelope = bundle["dsseEnvelope"] !== undefined && bundle["dsseEnvelope"] !== null;
  if (hasMessage === hasEnvelope) reader.fail("", "must have exactly one of messageSignature and dsseEnvelope");
  if (hasMessage) {
    const message = reader.requiredObject(bundle, "messageSignature", "", ["messageDigest", "signature"]);
    const digestObject = reader.optionalObject(message, "messageDigest", "messageSignature", ["algorithm", "digest"]);
    let digest: { algorithm: BundleDigestAlgorithm; value: Buffer } | undefined;
    if (digestObject !== undefined) {
      const algorithmName = reader.optionalString(digestObject, "algorithm", "messageSignature.messageDigest") ?? "SHA2_256";
      const algorithm = HASH_ALGORITHMS[algorithmName];
      if (algorithm === undefined) reader.fail("messageSignature.messageDigest.algorithm", `is not SHA2_256, SHA2_384 or SHA2_512: ${JSON.stringify(algorithmName.slice(0, 40))}`);
      const value = reader.requiredBytes(digestObject, "digest", "messageSignature.messageDigest");
      if (value.length !== DIGEST_LENGTHS[algorithm]) reader.fail("messageSignature.messageDigest.digest", `is not a ${algorithm} digest`);
      digest = { algorithm, value };
    }
    return { type: "messageSignature", ...(digest === undefined ? {} : { digest }), signature: reader.requiredBytes(message, "signature", "messageSignature") };
  }
  const envelope = reader.requiredObject(bundle, "dsseEnvelope", "", ["payload", "payloadType", "signatures"]);
  const signatures = reader.array(envelope, "signatures", "dsseEnvelope");
  if (signatures.length !== 1) reader.fail("dsseEnvelope.signatures", `must hold exactly one signature, not ${signatures.length}`);
  const signature = reader.object(signatures[0], "dsseEnvelope.signatures[0]", ["sig", "keyid"]);
  reader.optionalString(signature, "keyid", "dsseEnvelope.signatures[0]");
  return {
    type: "dsseEnvelope",
    payloadType: reader.requiredString(envelope, "payloadType", "dsseEnvelope"),
    payload: reader.requiredBytes(envelope, "payload", "dsseEnvelope"),
    signature: reader.requiredBytes(signature, "sig", "dsseEnvelope.signatures[0]"),
  };
}
