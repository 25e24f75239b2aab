import type { KeyObject } from "node:crypto";
import { SignetError } from "./errors/index.js";
import { loadPublicKey, type Signer } from "./keys/index.js";
import { ImageAccess, type ImageAccessOptions } from "./oci/image-access.js";
import type { IdentityPolicy } from "./signatures/bundle/index.js";
import { signImage, type SignImageResult } from "./signatures/cosign/sign-image.js";
import { verifyImage, type ImageVerificationResult, type SignatureFormats, type SignatureRequirement } from "./signatures/verifier/index.js";
import type { TrustMaterial } from "./trust/index.js";
import type { VerifiedImageAttestations } from "./signatures/attestation/verify-image-attestations.js";

export interface ApiAccessOptions {
  /** Reuse one ImageAccess (pooled connections, cached tokens) across calls; the caller closes it. */
  access?: ImageAccess;
  /** Registry options for a one-off ImageAccess when `access` is not given. */
  registry?: ImageAccessOptions;
}

export interface SignOptions extends ApiAccessOptions {
  /** An in-memory key (SigningKey), or one opened with loadSigner (PKCS#11, KMS). */
  key: Signer;
  annotations?: Record<string, string>;
  recursive?: boolean;
  signContainerIdentity?: string;
}

/** A keyless signer rule, as cosign's `--certificate-identity[-regexp]` and `--certificate-oidc-issuer[-regexp]`. */
export type KeylessIdentity = Omit<IdentityPolicy, "kind" | "insecureAnyIdentity">;

export interface VerifyOptions extends ApiAccessOptions {
  /** Key-signed images: a public key, or the path of a PEM public key, certificate or private key (or several). */
  key?: KeyObject | string | readonly (KeyObject | string)[];
  /** Keyless images: who must have signed (a subject rule and an issuer rule). */
  identity?: KeylessIdentity;
  /**
   * Notation-signed images: a Notary Project trust policy (a trustpolicy.json path) and a trust store directory
   * (notation's `truststore/`); the statement is chosen by each image's `registry/repository`. OCSP/CRL are
   * checked as the statement says (`revocation: false` treats every status as unknown, without network).
   */
  notation?: { trustPolicy: string; trustStore: string; userMetadata?: Record<string, string>; revocation?: boolean };
  /**
   * The sigstore trust root: a trusted_root.json path or loaded trust material. Keyless needs one (default: the
   * public-good root, TUF cache else the copy shipped with signet, never updated over the network); with a key it
   * makes a transparency log entry required, as cosign's `--rekor-url`.
   */
  trustedRoot?: string | TrustMaterial;
  /** Accept signatures without a verified log entry (cosign's --insecure-ignore-tlog). */
  insecureIgnoreTlog?: boolean;
  /** Each must appear with this value in the signed annotations (cosign `-a k=v`). */
  annotations?: Record<string, string>;
  /** Where to look: both formats (default; `.sig` first, then sigstore bundles as referrers), only one. */
  formats?: SignatureFormats;
  /** `os/arch[/variant]`: verify the instance of a multi-arch index that a runtime there would pull. */
  platform?: string;
  /** Verify a multi-arch index and every platform instance in it. */
  recursive?: boolean;
}

export type ImageVerifierOptions = VerifyOptions;

/** Verifies many images with keys and trust roots loaded once (as sigstore-js's createVerifier). */
export interface ImageVerifier {
  /** Verifies one image; throws a SignetError with the ranked reason when it has no acceptable signature. */
  verify(image: string, options?: Pick<VerifyOptions, "annotations" | "platform" | "recursive">): Promise<ImageVerificationResult>;
  /**
   * Verifies an image's attestations (`.att` layers and sigstore bundles) signed as this verifier requires, of
   * `predicateType` (a URI or cosign's names: slsaprovenance, spdx, …); throws the ranked reason when none is.
   */
  verifyAttestations(image: string, options: { predicateType: string } & Pick<VerifyOptions, "platform" | "recursive">): Promise<VerifiedImageAttestations>;
  /** Closes the registry connections it opened (not a caller's `access`). */
  close(): Promise<void>;
}

/** Signs an image (registry reference or `oci:PATH[:TAG]`) with a key, cosign-style. */
export async function sign(image: string, options: SignOptions): Promise<SignImageResult> {
  return withAccess(options, (access) =>
    signImage(access, image, { key: options.key, annotations: options.annotations, recursive: options.recursive, signContainerIdentity: options.signContainerIdentity }),
  );
}

/**
 * Loads the keys and trust root once and returns a verifier for many images. Every format `signet verify` reads is
 * read here (cosign `.sig` layers signed with a key or keylessly, sigstore bundles among the referrers), by the
 * same code: the verdicts and error codes are the CLI's.
 */
export async function createImageVerifier(options: ImageVerifierOptions): Promise<ImageVerifier> {
  const requirement = await requirementFrom(options);
  const ownAccess = options.access === undefined ? new ImageAccess(options.registry) : undefined;
  const access = options.access ?? ownAccess!;
  return {
    verify(image, overrides = {}) {
      const annotations = overrides.annotations ?? options.annotations;
      const platform = overrides.platform ?? options.platform;
      const recursive = overrides.recursive ?? options.recursive;
      return verifyImage(access, image, {
        requirement,
        ...(annotations === undefined ? {} : { requiredAnnotations: annotations }),
        ...(options.formats === undefined ? {} : { formats: options.formats }),
        ...(platform === undefined ? {} : { platform }),
        ...(recursive === undefined ? {} : { recursive }),
      });
    },
    async verifyAttestations(image, { predicateType, platform, recursive }) {
      if (requirement.kind === "gpg" || requirement.kind === "notation") throw new SignetError("OPTION_CONFLICT", `attestations are signed with sigstore keys or identities, not ${requirement.kind === "gpg" ? "GPG" : "Notation"}`);
      const [{ resolvePredicateType }, { verifyImageAttestations }] = await Promise.all([
        import("./signatures/attestation/predicate-types.js"),
        import("./signatures/attestation/verify-image-attestations.js"),
      ]);
      return verifyImageAttestations(access, image, {
        signer: requirement,
        predicateType: resolvePredicateType(predicateType),
        ...(options.formats === undefined ? {} : { formats: options.formats }),
        ...(platform === undefined ? {} : { platform }),
        ...(recursive === undefined ? {} : { recursive }),
      });
    },
    close: () => (ownAccess === undefined ? Promise.resolve() : ownAccess.close()),
  };
}

/** Verifies an image's signatures in every format; throws a SignetError with the reason when none verifies. */
export async function verify(image: string, options: VerifyOptions): Promise<ImageVerificationResult> {
  const verifier = await createImageVerifier(options);
  try {
    return await verifier.verify(image);
  } finally {
    await verifier.close();
  }
}

async function requirementFrom(options: VerifyOptions): Promise<SignatureRequirement> {
  const kinds = [options.key, options.identity, options.notation].filter((given) => given !== undefined).length;
  if (kinds > 1) throw new SignetError("OPTION_CONFLICT", "give one of key, identity or notation: they name different kinds of signer");
  if (options.notation !== undefined) return notationRequirementFrom(options.notation);
  const requireTlog = options.insecureIgnoreTlog !== true;
  if (options.key !== undefined) {
    const given: readonly (KeyObject | string)[] = Array.isArray(options.key) ? options.key : [options.key as KeyObject | string];
    if (given.length === 0) throw new SignetError("KEY_NOT_FOUND", "key lists no public key");
    const publicKeys = await Promise.all(given.map((key) => (typeof key === "string" ? loadPublicKey(key) : Promise.resolve(key))));
    if (options.trustedRoot === undefined) return { kind: "key", publicKeys };
    return { kind: "key", publicKeys, log: { trust: await trustFrom(options.trustedRoot), required: requireTlog } };
  }
  if (options.identity === undefined) throw new SignetError("IDENTITY_POLICY_INVALID", "verifying needs a key, or a keyless identity (subject and issuer rules)");
  const identity: IdentityPolicy = { kind: "identity", ...options.identity };
  const { compileIdentityPolicy } = await import("./signatures/bundle/index.js");
  compileIdentityPolicy(identity); // rejects an incomplete rule before any image is read
  return { kind: "identity", identity, trust: await trustFrom(options.trustedRoot), requireTlog };
}

async function notationRequirementFrom(notation: NonNullable<VerifyOptions["notation"]>): Promise<SignatureRequirement> {
  const [{ readFileLocation }, { parseSignedJson }, { parseTrustPolicy }, { trustStoresIn }, { checkChainRevocation }] = await Promise.all([
    import("./internal/file-location.js"),
    import("./internal/json-reader.js"),
    import("./signatures/notation/trust-policy.js"),
    import("./signatures/notation/trust-store-files.js"),
    import("./signatures/notation/revocation.js"),
  ]);
  const policy = parseTrustPolicy(parseSignedJson(await readFileLocation(notation.trustPolicy, { maxBytes: 1024 * 1024, what: "the Notation trust policy", code: "FILE_NOT_FOUND" }), notation.trustPolicy, "NOTATION_POLICY_INVALID"));
  return {
    kind: "notation",
    policy,
    trustStores: trustStoresIn(notation.trustStore),
    ...(notation.revocation === false ? {} : { checkRevocation: (chain) => checkChainRevocation(chain) }),
    ...(notation.userMetadata === undefined ? {} : { userMetadata: notation.userMetadata }),
  };
}

async function trustFrom(trustedRoot: string | TrustMaterial | undefined): Promise<TrustMaterial> {
  if (trustedRoot !== undefined && typeof trustedRoot !== "string") return trustedRoot;
  const { defaultTufCacheDir, loadTrustedRoot } = await import("./trust/index.js");
  return trustedRoot === undefined ? loadTrustedRoot({ offline: true, tufCacheDir: defaultTufCacheDir(process.env) }) : loadTrustedRoot({ trustedRootPath: trustedRoot });
}

async function withAccess<T>(options: ApiAccessOptions, action: (access: ImageAccess) => Promise<T>): Promise<T> {
  if (options.access) return action(options.access);
  const access = new ImageAccess(options.registry);
  try {
    return await action(access);
  } finally {
    await access.close();
  }
}
