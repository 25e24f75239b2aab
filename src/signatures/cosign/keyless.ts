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
import { SignetError, type ErrorCode } from "../../errors/index.js";
import { verifyWithKey } from "../../keys/sign-verify.js";
import type { TrustMaterial } from "../../trust/index.js";
import { verifyCosignKeylessLayer, verifySigstoreBundle, type ArtifactInput, type FulcioExtensions, type IdentityPolicy, type VerifiedBundle } from "../bundle/index.js";
import { CosignAnnotation } from "./signature-manifest.js";
import { decodeBase64Strict } from "../../internal/base64.js";

export type SignerRequirement =
  | {
      readonly kind: "key";
      readonly publicKeys: readonly KeyObject[];
      /** The log to require entries from; undefined when none is configured. */
      readonly log?: { readonly trust: TrustMaterial; readonly required: boolean };
    }
  | { readonly kind: "identity"; readonly identity: IdentityPolicy; readonly trust: TrustMaterial; readonly requireTlog: boolean };

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
  const annotations = material.untrustedAnnotations;
  // A key with no log, or with the log waived (cosign's --insecure-ignore-tlog): the key alone decides.
  if (requirement.kind === "key" && requirement.log?.required !== true) {
    const signature = decodeBase64Strict(material.signatureBase64);
    if (signature === undefined) throw new SignetError("SIG_INVALID", "the signature is not valid base64");
    const keyIndex = requirement.publicKeys.findIndex((key) => verifyWithKey(key, material.signedBytes, signature));
    if (keyIndex === -1) throw new SignetError("SIG_INVALID", "signature does not verify with the given key");
    return { kind: "key", keyIndex, tlog: requirement.log === undefined ? "not-configured" : "ignored" };
  }
  const layer = {
    payload: material.signedBytes,
    signatureBase64: material.signatureBase64,
    ...optional("rekorBundleJson", annotations[CosignAnnotation.bundle]),
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
    requirement.identity,
    requirement.trust,
    { requireTlog: requirement.requireTlog },
  );
  return keylessProof(verified, requirement.requireTlog);
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
  const verified = verifySigstoreBundle(untrustedBundle, artifact, requirement.identity, requirement.trust, { requireTlog: requirement.requireTlog });
  return keylessProof(verified, requirement.requireTlog);
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

/** When several keys fail, the failure that says most: a signature that verified but failed later checks wins. */
const PRECEDENCE: readonly ErrorCode[] = ["TLOG_ENTRY_MISMATCH", "TLOG_PROOF_INVALID", "TLOG_ENTRY_MISSING", "TIMESTAMP_INVALID", "BUNDLE_INVALID", "SIG_INVALID"];

function mostSpecific(failures: readonly SignetError[]): SignetError {
  if (failures.length === 0) return new SignetError("SIG_INVALID", "no key was given");
  const code = PRECEDENCE.find((c) => failures.some((f) => f.code === c));
  return failures.find((f) => f.code === code) ?? failures[0]!;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
