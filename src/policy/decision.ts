/**
 * The decision tree evaluatePolicy returns: which scope applied and why, each requirement (ANDed) and each
 * signature tried for it (ORed), with reasons and hints a person can act on. The CLI prints it; `--output json`
 * and the library give it as is.
 */
import { ERROR_CATALOG, type ErrorCode } from "../errors/index.js";
import type { Digest } from "../internal/digest.js";
import type { PolicySourceLocation } from "./config/index.js";
import type { ScopeMatchKind } from "./scopes.js";

export interface SignatureVerdict {
  /** Where the signature came from: a lookaside URL, a cosign attachment layer. */
  readonly source: string;
  readonly allowed: boolean;
  readonly reason: string;
  /** Why it was rejected (undefined when accepted). */
  readonly code?: ErrorCode;
  readonly hint?: string;
  /** Who signed it, once that is verified: a GPG primary key fingerprint, or the public key that verified. */
  readonly signer?: string;
  /** The identity the signature claims (only once its cryptographic signature verified). */
  readonly signedReference?: string;
  readonly signedDigest?: string;
}

export interface RequirementVerdict {
  /** 0-based position in the scope's list. */
  readonly index: number;
  readonly type: string;
  /** The requirement in a few words: `signedBy GPGKeys, keyPath /etc/pki/key.gpg`. */
  readonly summary: string;
  readonly location: PolicySourceLocation;
  readonly allowed: boolean;
  readonly reason: string;
  readonly hint?: string;
  readonly code?: ErrorCode;
  readonly signatures: readonly SignatureVerdict[];
}

export interface ScopeVerdict {
  /** undefined when the global default applied. */
  readonly transport: string | undefined;
  /** The matched scope ("" = the transport's default); undefined for the global default. */
  readonly scope: string | undefined;
  readonly kind: ScopeMatchKind;
  readonly reason: string;
  /** Where the scope (or `default`) is written in the policy. */
  readonly location: PolicySourceLocation;
  /** The identity the image was looked up by, e.g. "docker.io/library/busybox:latest". */
  readonly identity: string;
}

/**
 * `allowed` is the answer. `outcome` tells a verdict from a failure to reach one: "denied" means a requirement
 * was evaluated and rejected the image; "error" means something needed could not be read (registry, key), so
 * the image is not allowed but no verdict was reached (an admission webhook applies its failure policy then).
 */
export interface PolicyDecision {
  readonly allowed: boolean;
  readonly outcome: "allowed" | "denied" | "error";
  /** The image as given, e.g. "docker://ghcr.io/org/app:1.0". */
  readonly image: string;
  readonly transport: string;
  /** The digest whose signatures were verified, when one was needed. */
  readonly digest: Digest | undefined;
  readonly policySource: string;
  readonly scope: ScopeVerdict;
  readonly requirements: readonly RequirementVerdict[];
  /** One line: why the image is (not) allowed. */
  readonly reason: string;
  readonly hint?: string;
  /** POLICY_DENIED for a denial; the failure's own code for "error"; undefined when allowed. */
  readonly code?: ErrorCode;
}

/** What a requirement's evaluation returns; evaluate.ts adds its index, type, summary and location. */
export interface RequirementOutcome {
  readonly allowed: boolean;
  readonly reason: string;
  readonly hint?: string;
  readonly code?: ErrorCode;
  readonly signatures: readonly SignatureVerdict[];
}

/** True when a failed requirement is a verdict about the image, not a failure to evaluate it. */
export function isVerdictCode(code: ErrorCode | undefined): boolean {
  return code === undefined || ERROR_CATALOG[code].category === "rejected";
}
