/**
 * A certificate for a signing key (cosign's `sign`/`attest --key K --certificate C [--certificate-chain CH]`),
 * checked before anything is signed or pushed, as cosign checks it: the certificate must certify the very key
 * that signs (cosign: "public key in certificate does not match the provided public key"), and the chain, root
 * last, must issue it. What is written is what cosign writes: the certificate re-encoded as one PEM block and the
 * chain as given, in the `.sig` layer's certificate and chain annotations. Verifiers check both again.
 */
import type { KeyObject } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import { decodePemBlocks, pemBlockBytes } from "../../keys/pem.js";
import { publicKeysEqual } from "../../keys/public-key.js";
import { verifyCertificateChainAt } from "../../trust/certificate-chain.js";
import { trustMaterialFromCertificateAuthorities } from "../../trust/keys-trust-material.js";
import { toPem } from "../../trust/certificate-writer.js";
import { Certificate } from "../../trust/x509.js";

export interface SigningCertificate {
  /** The certificate, one PEM block (cosign's `dev.sigstore.cosign/certificate`). */
  readonly certificatePem: string;
  /** The chain as given (cosign's `dev.sigstore.cosign/chain`), when one was. */
  readonly chainPem?: string;
}

export interface SigningCertificateInput {
  /** The --certificate file's bytes: one PEM CERTIFICATE block or DER (cosign accepts both). */
  readonly certificate: Buffer;
  readonly certificateName: string;
  /** The --certificate-chain file's text: PEM certificates, the root last. */
  readonly chainPem?: string;
  readonly chainName?: string;
  /** When the chain must be valid (now, for a signature made now). */
  readonly now?: Date;
}

function invalid(message: string, cause?: unknown): never {
  throw new SignetError("SIGNING_CERTIFICATE_INVALID", message, cause === undefined ? {} : { cause });
}

/** The certificate and chain to attach for `signingKey`, or a SIGNING_CERTIFICATE_INVALID error (nothing was signed). */
export function signingCertificateFor(signingKey: KeyObject, input: SigningCertificateInput): SigningCertificate {
  const leaf = parseOne(input.certificate, input.certificateName);
  if (!publicKeysEqual(leaf.publicKey, signingKey)) {
    invalid(`the public key in certificate ${input.certificateName} does not match the signing key: it certifies another key`);
  }
  const certificatePem = toPem(leaf.der);
  if (input.chainPem === undefined) return { certificatePem };
  const chainName = input.chainName ?? "the certificate chain";
  let authorities;
  try {
    authorities = trustMaterialFromCertificateAuthorities({ chainPem: input.chainPem, logs: { tlogs: [], ctlogs: [], timestampAuthorities: [] }, description: chainName }).certificateAuthorities;
  } catch (error) {
    return invalid(`${chainName} is not a PEM certificate chain: ${(error as Error).message}`, error);
  }
  try {
    verifyCertificateChainAt(leaf, input.now ?? new Date(), authorities);
  } catch (error) {
    return invalid(`certificate ${input.certificateName} does not chain to ${chainName}: ${(error as Error).message}`, error);
  }
  return { certificatePem, chainPem: input.chainPem };
}

function parseOne(bytes: Buffer, name: string): Certificate {
  let der: Uint8Array = bytes;
  if (bytes.subarray(0, 5).toString("latin1") === "-----") {
    let blocks;
    try {
      blocks = decodePemBlocks(bytes.toString("utf8"));
    } catch (error) {
      return invalid(`certificate ${name} is not PEM: ${(error as Error).message}`, error);
    }
    const first = blocks[0];
    if (first === undefined || first.label !== "CERTIFICATE") invalid(`${name} is not a certificate (its first PEM block is ${first === undefined ? "missing" : first.label})`);
    der = pemBlockBytes(first);
  }
  try {
    const certificate = Certificate.parse(der);
    void certificate.publicKey;
    return certificate;
  } catch (error) {
    return invalid(`certificate ${name} is not an X.509 certificate: ${(error as Error).message}`, error);
  }
}
