/**
 * A legacy `.att` layer (a DSSE envelope, with cosign's certificate, chain and Rekor bundle annotations) read as
 * the v0.1 sigstore bundle it amounts to, so that the bundle verifier checks its certificate, log entry (dsse or
 * intoto, about this envelope) and signature in one place. Nothing here is trusted: the verifier checks it all.
 */
import { X509Certificate } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import { decodePemBlocks, pemBlockBytes } from "../../keys/pem.js";
import { parseRekorBundle } from "../bundle/cosign-keyless-layer.js";
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
  let blocks: Buffer[];
  try {
    blocks = decodePemBlocks(pem)
      .filter((block) => block.label === "CERTIFICATE")
      .map(pemBlockBytes);
  } catch (error) {
    return invalid(`${what} annotation is not PEM: ${(error as Error).message}`);
  }
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

/** cosign's `{"SignedEntryTimestamp","Payload":{body,integratedTime,logIndex,logID}}` as a bundle's tlog entry (read by the one parser of that annotation). */
function tlogEntryFromCosignBundle(json: string): Record<string, unknown> {
  const entry = parseRekorBundle(json);
  return {
    logIndex: entry.logIndex.toString(),
    logId: { keyId: entry.logID.toString("base64") },
    kindVersion: { kind: entry.kind, version: entry.version },
    integratedTime: entry.integratedTime.toString(),
    ...(entry.signedEntryTimestamp === undefined ? {} : { inclusionPromise: { signedEntryTimestamp: entry.signedEntryTimestamp.toString("base64") } }),
    canonicalizedBody: entry.canonicalizedBody.toString("base64"),
  };
}
