/**
 * The one vocabulary of image verification. Discovery (I/O) turns whatever is stored next to an image into
 * untrusted signature records of one type; the pure verifier checks one record against one requirement; the
 * orchestrator collects the verdicts into one result with one explanation. Every entry point (library, CLI,
 * policy.json requirements, webhook authorities) speaks these types.
 *
 * A new signature format is one more record kind (and its discovery); a new trust model (Notation, KMS keys,
 * thresholds) is one more requirement kind. Nothing else changes.
 */
import type { KeyObject } from "node:crypto";
import type { ErrorCode } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import type { TrustMaterial } from "../../trust/index.js";
import type { IdentityPolicy } from "../bundle/index.js";
import type { SignerProof, SignerRequirement } from "../cosign/keyless.js";
import type { GpgKeyring } from "../simplesigning/gpg.js";
import type { NotationRequirement } from "../notation/notation-requirement.js";

/** One cosign signature layer as found in a `.sig` image; nothing in it is trusted yet. */
export interface UntrustedCosignSignature {
  /** Digest of the signature layer (the payload blob); the blob was checked against it when fetched. */
  layerDigest: Digest;
  /** The layer's media type; a signature layer is `application/vnd.dev.cosign.simplesigning.v1+json`. */
  mediaType: string;
  untrustedPayload: Buffer;
  /** The `dev.cosignproject.cosign/signature` annotation: base64 of the signature over the payload. */
  untrustedSignatureBase64: string | undefined;
  /** All layer annotations (signature, certificate, chain, Rekor bundle). */
  untrustedAnnotations: Record<string, string>;
}

/** Where a record was stored; each kind is one storage format. */
export type SignatureFormat = "cosign-legacy" | "sigstore-bundle" | "simple-signing" | "notation";

/** A signature found next to an image: untrusted until a verifier says otherwise. */
export type UntrustedSignatureRecord =
  | {
      readonly format: "cosign-legacy";
      /** Where it was read, for explanations: `repo:sha256-<hex>.sig layer sha256:…`. */
      readonly source: string;
      readonly layer: UntrustedCosignSignature;
    }
  | {
      readonly format: "sigstore-bundle";
      readonly source: string;
      /** The referrer manifest holding the bundle. */
      readonly manifestDigest: Digest;
      readonly untrustedBundleBytes: Buffer;
      /** The referrer manifest's annotations: hints only (which predicate type it claims). */
      readonly untrustedAnnotations: Readonly<Record<string, string>>;
    }
  | {
      readonly format: "simple-signing";
      /** The lookaside URL (or file) it was read from. */
      readonly source: string;
      /** An OpenPGP signed message holding an atomic container signature payload. */
      readonly untrustedSignature: Buffer;
    }
  | {
      readonly format: "notation";
      /** The referrer manifest holding the envelope. */
      readonly source: string;
      /** The envelope's media type (JWS or COSE), from the referrer's layer. */
      readonly envelopeMediaType: string;
      readonly untrustedEnvelope: Buffer;
      /**
       * The image's own descriptor (fetched by digest, so trusted): a Notation payload signs the digest, media type
       * and size, and all three must match.
       */
      readonly subject: { readonly mediaType: string; readonly digest: Digest; readonly size: number };
    };

/**
 * Who must have signed. Key and keyless (identity) requirements are the cosign/sigstore ones (keyless.ts checks
 * the signer of both `.sig` layers and bundles); gpg is containers/image's signedBy GPGKeys; notation is a Notary
 * Project trust policy with its trust stores.
 */
export type SignatureRequirement = SignerRequirement | { readonly kind: "gpg"; readonly keyring: GpgKeyring } | NotationRequirement;

/** What a verified signature must say about the image, beyond who signed it. */
export interface SignedClaimsRule {
  /** The manifest digest the signature must name (the image verified, never a digest the signature chose). */
  readonly imageDigest: Digest;
  /** The repository, for the simple-signing view of a bundle (a bundle does not sign one). */
  readonly repository: string;
  /** Each must appear with this value in the signed annotations (cosign `-a k=v`). */
  readonly requiredAnnotations?: Readonly<Record<string, string>>;
  /**
   * A check of the reference the signature claims (policy.json's signedIdentity): undefined accepts any, as
   * cosign does. Formats that sign no reference (bundles) fail it.
   */
  readonly signedIdentity?: (untrustedSignedReference: string) => { readonly matches: boolean; readonly reason: string; readonly hint?: string };
  /** The time GPG keys and signatures are checked at (default: now). */
  readonly now?: Date;
}

/** What verifying a record proved. */
export interface VerifiedSignature {
  readonly format: SignatureFormat;
  readonly source: string;
  /** The claims, in cosign's simple-signing shape (a bundle is mapped to it as sigstore-rs does). */
  readonly payload: {
    readonly critical: { readonly identity: { readonly "docker-reference": string }; readonly image: { readonly "docker-manifest-digest": Digest }; readonly type: string };
    readonly optional: Record<string, unknown> | null;
  };
  readonly signer: VerifiedSigner;
  /** When a signedIdentity rule was applied: why it matched. */
  readonly identityMatch?: string;
}

/** The signer a requirement accepted: a sigstore proof (key or keyless), or a GPG key. */
export type VerifiedSigner =
  | SignerProof
  | { readonly kind: "gpg"; readonly fingerprint: string; readonly signingKeyFingerprint: string; readonly tlog: "not-configured" }
  | NotationSigner;

/** A Notation signer: the leaf certificate's subject, the trust policy statement that accepted it, what it logged. */
export interface NotationSigner {
  readonly kind: "notation";
  readonly subject: string;
  readonly statement: string;
  readonly signingTime?: Date;
  /** Failures of checks the statement only logs (audit/permissive levels): accepted, and reported. */
  readonly warnings: readonly string[];
  readonly outcomes: readonly { readonly check: string; readonly action: string; readonly passed: boolean | undefined; readonly message?: string }[];
  /** The signed user metadata (the payload's annotations). */
  readonly userMetadata: Readonly<Record<string, string>>;
  readonly tlog: "not-configured";
}

/** Why one record was rejected: the code ranks it (errors/catalog.ts EXPLANATION_RANK). */
export interface SignatureRejection {
  readonly format: SignatureFormat;
  readonly source: string;
  readonly code: ErrorCode;
  readonly reason: string;
  readonly hint?: string;
  /** Set once the signer verified (the rejection is about what it signed). */
  readonly signer?: VerifiedSigner;
  readonly signedReference?: string;
  readonly signedDigest?: string;
}

/** All verdicts on an image's records. */
export interface SignatureVerification {
  readonly verified: VerifiedSignature[];
  readonly rejected: SignatureRejection[];
  /** Records that are not image signatures (attestations of other types, other attachments): not counted. */
  readonly ignored: { readonly source: string; readonly reason: string }[];
}

/** Convenience for building key requirements. */
export function keyRequirement(publicKeys: readonly KeyObject[], log?: { readonly trust: TrustMaterial; readonly required: boolean }): SignatureRequirement {
  return log === undefined ? { kind: "key", publicKeys } : { kind: "key", publicKeys, log };
}

/** Convenience for building keyless requirements. */
export function identityRequirement(
  identity: IdentityPolicy | readonly IdentityPolicy[],
  trust: TrustMaterial,
  options: { readonly requireTlog?: boolean; readonly alsoRequired?: IdentityPolicy } = {},
): SignatureRequirement {
  return { kind: "identity", identity, trust, requireTlog: options.requireTlog ?? true, ...(options.alsoRequired === undefined ? {} : { alsoRequired: options.alsoRequired }) };
}
