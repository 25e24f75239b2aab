/**
 * Who must have signed, and whether a transparency log must vouch for it: one requirement that every storage
 * format (legacy `.sig`/`.att` layers, sigstore bundles) is checked against. Pure: no I/O.
 *
 * - A key without a configured log: the signature must verify with one of the keys; no log is checked, and
 *   the proof says so.
 * - A key with a log (a trusted root or Rekor key is configured): the same, plus a Rekor entry for this
 *   signature, unless the requirement waives the log (`--insecure-ignore-tlog`).
 * - An identity (keyless): a certificate chaining to a Fulcio CA of the trust material, naming a subject and
 *   issuer the policy accepts, logged unless waived.
 */
import type { KeyObject } from "node:crypto";
import { SignetError, mostTelling } from "../../errors/index.js";
import type { TrustMaterial } from "../../trust/index.js";
import {
  compileIdentityPolicy,
  matchIdentity,
  verifyCosignKeylessLayer,
  verifySigstoreBundle,
  type ArtifactInput,
  type CompiledIdentityPolicy,
  type FulcioExtensions,
  type IdentityPolicy,
  type VerifiedBundle,
} from "../bundle/index.js";
import { isKeyOnly, verifyKeyOnlySigner } from "./key-signer.js";
import { CosignAnnotation } from "./signature-manifest.js";

export type SignerRequirement =
  | {
      readonly kind: "key";
      readonly publicKeys: readonly KeyObject[];
      /** The log to require entries from; undefined when none is configured. */
      readonly log?: { readonly trust: TrustMaterial; readonly required: boolean };
    }
  | {
      readonly kind: "identity";
      /** The signer must match this identity, or any one of these (a ClusterImagePolicy lists several). */
      readonly identity: IdentityPolicy | readonly IdentityPolicy[];
      /** And also this one (a container's annotations may narrow the accepted identities, never widen them). */
      readonly alsoRequired?: IdentityPolicy;
      readonly trust: TrustMaterial;
      readonly requireTlog: boolean;
      /** Require the certificate's SCT (false: cosign's --insecure-ignore-sct); default: when the trust material lists CT logs. */
      readonly requireSct?: boolean;
      /**
       * cosign's `verify --certificate`: the signing certificate (PEM) the user gave. A `.sig` layer is checked with it
       * in place of any certificate it carries (a key-signed layer then verifies with the certificate's key); a
       * bundle must carry this very certificate.
       */
      readonly certificatePem?: string;
      /**
       * With the log waived (requireTlog false): when no time verified, check the certificate at the current time, as
       * cosign does with a user-given PKI, instead of refusing it for want of a verified time.
       */
      readonly untimedCertificateAtCurrentTime?: boolean;
    };

/** How the transparency log was treated for one signature. */
export type TlogStatus = "verified" | "not-configured" | "ignored";

/** What verifying the signer proved. */
export interface SignerProof {
  readonly kind: "key" | "keyless";
  /** Which key verified (key). */
  readonly keyIndex?: number;
  /** The certificate's subject and OIDC issuer (keyless). */
  readonly subject?: string;
  readonly issuer?: string;
  readonly extensions?: FulcioExtensions;
  readonly tlog: TlogStatus;
  /** The verified log entry's time and index, when a log entry verified. */
  readonly integratedTime?: Date;
  readonly logIndex?: string;
  readonly log?: string;
  /** The full result of the sigstore verifier, when it ran. */
  readonly verified?: VerifiedBundle;
}

/** Material of one legacy cosign layer: what was signed, the signature, and the layer's annotations. */
export interface LegacySignedMaterial {
  /** The bytes the signature covers: the payload of a `.sig` layer, PAE(type, payload) of a `.att` envelope. */
  readonly signedBytes: Uint8Array;
  readonly signatureBase64: string;
  readonly untrustedAnnotations: Readonly<Record<string, string>>;
}

/** Checks a legacy layer's signer; throws the most specific SignetError when the requirement is not met. */
export function verifyLegacySigner(requirement: SignerRequirement, material: LegacySignedMaterial): SignerProof {
  const annotations = withGivenCertificate(requirement, material.untrustedAnnotations);
  // A key with no log, or with the log waived (cosign's --insecure-ignore-tlog): the key alone decides.
  if (isKeyOnly(requirement)) return verifyKeyOnlySigner(requirement, material);
  const layer = {
    payload: material.signedBytes,
    signatureBase64: material.signatureBase64,
    ...optional("rekorBundleJson", annotations[CosignAnnotation.bundle]),
    ...optional("rfc3161TimestampJson", annotations[CosignAnnotation.rfc3161Timestamp]),
  };
  if (requirement.kind === "key") {
    const { trust } = requirement.log!;
    return firstKeyThatVerifies(requirement.publicKeys, (publicKey) => verifyCosignKeylessLayer(layer, { kind: "key", publicKey }, trust, { requireTlog: true }), true);
  }
  const certificatePem = annotations[CosignAnnotation.certificate];
  if (certificatePem === undefined || certificatePem === "") {
    throw new SignetError("SIG_INVALID", "the signature has no certificate (dev.sigstore.cosign/certificate): it was signed with a key, so verify it with --key");
  }
  const verified = verifyCosignKeylessLayer(
    { ...layer, certificatePem, ...optional("chainPem", annotations[CosignAnnotation.chain]) },
    identityToVerify(requirement),
    requirement.trust,
    certificateOptions(requirement),
  );
  checkIdentities(requirement, verified);
  return keylessProof(verified, requirement.requireTlog);
}

/**
 * The layer's annotations as the requirement reads them: with cosign's `verify --certificate`, the given certificate
 * in place of the one the layer carries, and no chain from the layer (the user's CA files complete the path).
 */
export function withGivenCertificate(requirement: SignerRequirement, annotations: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  if (requirement.kind !== "identity" || requirement.certificatePem === undefined) return annotations;
  const { [CosignAnnotation.chain]: _chain, ...rest } = annotations;
  return { ...rest, [CosignAnnotation.certificate]: requirement.certificatePem };
}

/** An empty trust material: a key-based bundle verified with no log configured trusts no log, CA or TSA. */
const NO_TRUST: TrustMaterial = { description: "no trust root (key only)", certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] };

/** Checks a sigstore bundle's signer for an artifact; throws the most specific SignetError when not met. */
export function verifyBundleSigner(requirement: SignerRequirement, untrustedBundle: unknown, artifact: ArtifactInput): SignerProof {
  if (requirement.kind === "key") {
    const trust = requirement.log?.trust ?? NO_TRUST;
    const required = requirement.log?.required ?? false;
    return firstKeyThatVerifies(
      requirement.publicKeys,
      (publicKey) => verifySigstoreBundle(untrustedBundle, artifact, { kind: "key", publicKey }, trust, { requireTlog: required, requireTimestamps: required ? 1 : 0 }),
      required,
      requirement.log === undefined,
    );
  }
  const verified = verifySigstoreBundle(untrustedBundle, artifact, identityToVerify(requirement), requirement.trust, certificateOptions(requirement));
  if (requirement.certificatePem !== undefined) checkGivenCertificate(requirement.certificatePem, verified);
  checkIdentities(requirement, verified);
  return keylessProof(verified, requirement.requireTlog);
}

type IdentityRequirement = Extract<SignerRequirement, { kind: "identity" }>;

/** The certificate checks an identity requirement asks of the one bundle verifier. */
function certificateOptions(requirement: IdentityRequirement): { requireTlog: boolean; requireSct?: boolean; certificateTimeWithoutTimestamp?: Date } {
  return {
    requireTlog: requirement.requireTlog,
    ...optional("requireSct", requirement.requireSct),
    ...(requirement.untimedCertificateAtCurrentTime === true && !requirement.requireTlog ? { certificateTimeWithoutTimestamp: new Date() } : {}),
  };
}

/** A bundle verified with `--certificate` must have been signed with that very certificate. */
function checkGivenCertificate(givenPem: string, verified: VerifiedBundle): void {
  const carried = verified.signer.certificatePem;
  if (carried === undefined || derOfPem(carried) !== derOfPem(givenPem)) {
    throw new SignetError("SIG_INVALID", "the sigstore bundle was signed with another certificate than the one given (--certificate)", {
      hint: "Give the bundle's own signing certificate, or verify without --certificate (the bundle carries its certificate).",
    });
  }
}

function derOfPem(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
}

/** Verifies any signer the trust material vouches for; the identity rules are then applied by checkIdentities. */
const ANY_TRUSTED_SIGNER: IdentityPolicy = { kind: "identity", insecureAnyIdentity: true };

/** One identity is checked by the certificate verifier itself; a list (or a narrowing) after it, by the same matcher. */
function identityToVerify(requirement: IdentityRequirement): IdentityPolicy {
  const identity = requirement.identity;
  return isSingle(identity) && requirement.alsoRequired === undefined ? identity : ANY_TRUSTED_SIGNER;
}

function isSingle(identity: IdentityPolicy | readonly IdentityPolicy[]): identity is IdentityPolicy {
  return !Array.isArray(identity);
}

/** Compiled once per policy object (regexps are RE2, compiled with the policy). */
const compiled = new WeakMap<IdentityPolicy, CompiledIdentityPolicy>();

function compiledOf(policy: IdentityPolicy): CompiledIdentityPolicy {
  let found = compiled.get(policy);
  if (found === undefined) {
    found = compileIdentityPolicy(policy);
    compiled.set(policy, found);
  }
  return found;
}

/**
 * The identity rules not already applied by the certificate verifier: any one of a list, and the narrowing rule.
 * The matcher is the one every keyless check uses (bundle/identity-match.ts).
 */
function checkIdentities(requirement: IdentityRequirement, verified: VerifiedBundle): void {
  const { identity, alsoRequired } = requirement;
  if (isSingle(identity) && alsoRequired === undefined) return;
  const certificate = verified.signer.identity;
  if (certificate === undefined) throw new SignetError("CERT_IDENTITY_MISMATCH", "the signature has no certificate naming its signer");
  const candidates = isSingle(identity) ? [identity] : identity;
  if (candidates.length === 0) throw new SignetError("CERT_IDENTITY_MISMATCH", "no identity is accepted: the requirement lists none");
  let first: SignetError | undefined;
  let matched = false;
  for (const candidate of candidates) {
    try {
      matchIdentity(compiledOf(candidate), certificate);
      matched = true;
      break;
    } catch (error) {
      if (!SignetError.is(error)) throw error;
      first ??= error;
    }
  }
  if (!matched) {
    const who = `${JSON.stringify(verified.signer.subject ?? "(no single subject)")} (issuer ${JSON.stringify(verified.signer.issuer ?? "none")})`;
    throw new SignetError("CERT_IDENTITY_MISMATCH", `signed by ${who}, which matches none of the ${candidates.length} accepted identities: ${first!.message}`, {
      details: first!.details,
    });
  }
  if (alsoRequired !== undefined) {
    try {
      matchIdentity(compiledOf(alsoRequired), certificate);
    } catch (error) {
      if (!SignetError.is(error)) throw error;
      throw new SignetError("CERT_IDENTITY_MISMATCH", `${error.message}, which the container's identity annotation requires`, { details: error.details });
    }
  }
}

function firstKeyThatVerifies(keys: readonly KeyObject[], verify: (key: KeyObject) => VerifiedBundle, required: boolean, noLog = false): SignerProof {
  const failures: SignetError[] = [];
  for (const [keyIndex, publicKey] of keys.entries()) {
    try {
      const verified = verify(publicKey);
      const entry = verified.tlogEntries[0];
      return {
        kind: "key",
        keyIndex,
        tlog: noLog ? "not-configured" : entry !== undefined ? "verified" : required ? "verified" : "ignored",
        ...logFields(verified),
        verified,
      };
    } catch (error) {
      if (!SignetError.is(error)) throw error;
      failures.push(error);
    }
  }
  throw mostSpecific(failures);
}

function keylessProof(verified: VerifiedBundle, requireTlog: boolean): SignerProof {
  return {
    kind: "keyless",
    ...optional("subject", verified.signer.subject),
    ...optional("issuer", verified.signer.issuer),
    extensions: verified.signer.extensions,
    tlog: verified.tlogEntries.length > 0 ? "verified" : requireTlog ? "verified" : "ignored",
    ...logFields(verified),
    verified,
  };
}

function logFields(verified: VerifiedBundle): Partial<SignerProof> {
  const entry = verified.tlogEntries[0];
  if (entry === undefined) return {};
  return { logIndex: entry.logIndex, log: entry.log, ...optional("integratedTime", entry.integratedTime) };
}

/** When several keys fail, the failure that says most (the catalog's one ranking). */
function mostSpecific(failures: readonly SignetError[]): SignetError {
  return mostTelling(failures) ?? new SignetError("SIG_INVALID", "no key was given");
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
