/**
 * A legacy `.att` layer (a DSSE envelope, with cosign's certificate, chain and Rekor bundle annotations) read as
 * the v0.1 sigstore bundle it amounts to, so that the bundle verifier checks its certificate, log entry (dsse or
 * intoto, about this envelope) and signature in one place. Nothing here is trusted: the verifier checks it all.
 */
import { X509Certificate } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import { CosignAnnotation } from "../cosign/signature-manifest.js";
import type { UntrustedDsseEnvelope } from "./dsse.js";

export function legacyAttestationAsBundle(envelope: UntrustedDsseEnvelope, annotations: Readonly<Record<string, string>>): unknown {
  const certificatePem = annotations[CosignAnnotation.certificate];
  const chainPem = annotations[CosignAnnotation.chain];
  const rekorBundle = annotations[CosignAnnotation.bundle];
  const verificationMaterial: Record<string, unknown> = {
    ...(certificatePem !== undefined && certificatePem !== ""
      ? { x509CertificateChain: { certificates: [...pemCertificates(certificatePem, "certificate").slice(0, 1), ...(chainPem ? pemCertificates(chainPem, "chain").filter((der) => !isSelfIssued(der)) : [])].map((der) => ({ rawBytes: der.toString("base64") })) } }
      : { publicKey: { hint: "" } }),
    tlogEntries: rekorBundle !== undefined && rekorBundle !== "" ? [tlogEntryFromCosignBundle(rekorBundle)] : [],
  };
  return {
    mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
    verificationMaterial,
    dsseEnvelope: {
      payload: envelope.payload.toString("base64"),
      payloadType: envelope.payloadType,
      signatures: envelope.signatures.map((s) => ({ sig: s.sig.toString("base64"), keyid: s.keyid })),
    },
  };
}

function invalid(problem: string): never {
  throw new SignetError("BUNDLE_INVALID", `the attestation's ${problem}`, { hint: "The attestation's annotations are malformed; attest the image again." });
}

function pemCertificates(pem: string, what: string): Buffer[] {
  const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ""), "base64"));
  if (blocks.length === 0) invalid(`${what} annotation holds no PEM certificate`);
  if (blocks.length > 10) invalid(`${what} annotation holds more than 10 certificates`);
  return blocks;
}

function isSelfIssued(der: Buffer): boolean {
  try {
    const certificate = new X509Certificate(der);
    return certificate.subject === certificate.issuer;
  } catch {
    return false;
  }
}

/** cosign's `{"SignedEntryTimestamp","Payload":{body,integratedTime,logIndex,logID}}` as a bundle's tlog entry. */
function tlogEntryFromCosignBundle(json: string): Record<string, unknown> {
  let value: { SignedEntryTimestamp?: unknown; Payload?: { body?: unknown; integratedTime?: unknown; logIndex?: unknown; logID?: unknown } };
  try {
    value = JSON.parse(json) as typeof value;
  } catch {
    return invalid("Rekor bundle annotation is not JSON");
  }
  const payload = value?.Payload;
  const { body, integratedTime, logIndex, logID } = payload ?? {};
  if (typeof value?.SignedEntryTimestamp !== "string" || typeof body !== "string") invalid("Rekor bundle annotation lacks its SignedEntryTimestamp or body");
  if (!Number.isSafeInteger(integratedTime) || !Number.isSafeInteger(logIndex)) invalid("Rekor bundle annotation's integratedTime and logIndex must be integers");
  if (typeof logID !== "string" || !/^[0-9a-f]{64}$/.test(logID)) invalid("Rekor bundle annotation's logID must be 64 lower-case hex digits");
  let kind: unknown;
  let version: unknown;
  try {
    const parsed = JSON.parse(Buffer.from(body, "base64").toString("utf8")) as { kind?: unknown; apiVersion?: unknown };
    kind = parsed.kind;
    version = parsed.apiVersion;
  } catch {
    invalid("Rekor entry body is not JSON");
  }
  if (typeof kind !== "string" || typeof version !== "string") invalid("Rekor entry body names no kind and version");
  return {
    logIndex: String(logIndex),
    logId: { keyId: Buffer.from(logID, "hex").toString("base64") },
    kindVersion: { kind, version },
    integratedTime: String(integratedTime),
    inclusionPromise: { signedEntryTimestamp: value.SignedEntryTimestamp },
    canonicalizedBody: body,
  };
}
