/**
 * What a successful bundle (or cosign keyless layer) verification proves. Only the verifiers in this folder
 * create these values.
 */
import type { CertificateIdentity, FulcioExtensions } from "./certificate-identity.js";

export interface VerifiedSigner {
  /** The certificate's subject alternative name (keyless). */
  readonly subject?: string;
  /** The OIDC issuer from the Fulcio extension (keyless). */
  readonly issuer?: string;
  /** Hex sha256 of the signing public key's DER SubjectPublicKeyInfo. */
  readonly publicKeyId: string;
  /** The Fulcio certificate extensions found (empty for key-based signatures). */
  readonly extensions: FulcioExtensions;
  /** The signing certificate, PEM (keyless). */
  readonly certificatePem?: string;
  /** Every identity the certificate names (keyless), for matching against identity policies after verification. */
  readonly identity?: CertificateIdentity;
}

export interface VerifiedTimestamp {
  /** "tlog": a Rekor integrated time vouched for by a verified SET; "tsa": an RFC 3161 timestamp. */
  readonly kind: "tlog" | "tsa";
  readonly time: Date;
  /** The log's base URL or the TSA's name. */
  readonly authority: string;
}

export interface VerifiedTlogEntry {
  /** The log's base URL from the trust material. */
  readonly log: string;
  /** Hex log id. */
  readonly logId: string;
  /** Decimal string (a log index can exceed 2^53). */
  readonly logIndex: string;
  readonly kind: string;
  readonly version: string;
  /** Present only when an inclusion promise (SET) vouched for it. */
  readonly integratedTime?: Date;
  /** How inclusion was proven. */
  readonly inclusion: { readonly promise: boolean; readonly proof: boolean };
}

export interface VerifiedBundle {
  /** The bundle's media type, or "cosign-legacy" for a `.sig` layer's annotations. */
  readonly mediaType: string;
  readonly signer: VerifiedSigner;
  /** Each verified time source; the signing key was valid at all of them. */
  readonly timestamps: readonly VerifiedTimestamp[];
  readonly tlogEntries: readonly VerifiedTlogEntry[];
  /** "messageSignature" or "dsseEnvelope". */
  readonly contentKind: "messageSignature" | "dsseEnvelope";
  /** DSSE only: the payload type and the verified payload bytes (an in-toto statement, usually). */
  readonly payloadType?: string;
  readonly payload?: Uint8Array;
  /** The artifact digest the signature was proven to cover ("sha256:<hex>"). */
  readonly artifactDigest?: string;
}
