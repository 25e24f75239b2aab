/**
 * What evaluating one image against the ClusterImagePolicies produces, and the verifiers the sigstore work
 * plugs in later (keyless signatures, attestations). Evaluation takes all I/O through its dependencies.
 */
import type { ErrorCode } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import type { ImageAccess } from "../../oci/image-access.js";
import type { Repository } from "../../oci/repository.js";
import type { CompiledPolicy, PolicyFetchers } from "../../policy/index.js";
import type { ContainerKind } from "../admission/types.js";
import type { RecordDiscovery } from "../../signatures/verifier/index.js";
import type { PlatformSpec } from "../../oci/manifest/platform.js";
import type { RegistriesDConfig } from "../../signatures/registries-d/index.js";
import type { RevocationChecker } from "../../signatures/notation/notation-requirement.js";
import type { CompiledAttestation, CompiledAuthority, CompiledIdentity, KeylessTrust, PolicyMode, ResourceContext } from "../policy/types.js";

export type NoMatchAction = "deny" | "allow" | "warn";

/** One authority's outcome: it passes when any of its signatures (and attestations) verifies. */
export interface AuthorityVerdict {
  name: string;
  /** The authority kind, or "policy.json" for a containers-policy.json requirement. */
  type: CompiledAuthority["type"] | "policy.json";
  allowed: boolean;
  reason: string;
  hint?: string;
  code?: ErrorCode;
  /** Could not evaluate (registry down, timeout), as opposed to evaluated and rejected. */
  error?: boolean;
  /** What was found: one line per signature or attestation tried. */
  signatures: { source: string; allowed: boolean; reason: string }[];
}

/** One policy's outcome: it passes when any of its authorities passes. */
export interface PolicyVerdict {
  name: string;
  mode: PolicyMode;
  allowed: boolean;
  reason: string;
  authorities: AuthorityVerdict[];
  error?: boolean;
}

export interface ImageVerdict {
  /** The image as written in the object. */
  image: string;
  field: string;
  containerName: string;
  kind: ContainerKind;
  /** The digest that was resolved once and verified; set whenever the image could be pinned. */
  digest?: Digest;
  /** The image pinned to that digest, in the object's own spelling: `ghcr.io/org/app@sha256:…`. */
  pinnedImage?: string;
  allowed: boolean;
  /** "warn" when only warn-mode policies (or the warn no-match action) applied: failures become warnings. */
  mode: "enforce" | "warn";
  /** Every matching policy (all must pass). Empty when none matched. */
  policies: PolicyVerdict[];
  /** One line: why the image is (not) allowed. */
  reason: string;
  hint?: string;
  /** A stable code for the outcome when not a clean pass (POLICY_DENIED, SIG_MISSING, REGISTRY_UNREACHABLE, …). */
  code?: ErrorCode;
  /** Could not evaluate (fail closed): distinct from "evaluated and rejected". */
  error?: boolean;
  /** AdmissionReview warnings this image contributes (warn mode). */
  warnings: string[];
  /** False for errors and anything that depends on the moment (a cache must not keep it long). */
  cacheable: boolean;
  /** Date.now() when the verdict was reached. */
  checkedAt: number;
}

/** What keyless verification gets: the image, the digest to verify, the identities a signature must match. */
export interface KeylessVerificationRequest {
  /** The image as written, for messages. */
  image: string;
  digest: Digest;
  /** Where the image's signatures live (or the authority's `source.oci` repository). */
  signatureRepository: Repository;
  identities: readonly CompiledIdentity[];
  trust: KeylessTrust;
  authority: CompiledAuthority;
  /** Extra identity from the per-container annotations (compatibility mode): must match too. */
  requiredIdentity?: { subject?: string; issuer?: string };
  now: Date;
  /** The evaluation's discovery for this repository and digest (each lookup made once per evaluation). */
  discovery?: RecordDiscovery;
}

export interface KeylessVerificationResult {
  /** True when at least one signature verified and matched an identity. */
  verified: boolean;
  reason: string;
  code?: ErrorCode;
  signatures: { source: string; allowed: boolean; reason: string }[];
}

/** Implemented by the sigstore work (Fulcio chains, SCTs, Rekor); absent: keyless authorities fail closed. */
export type KeylessVerifier = (request: KeylessVerificationRequest) => Promise<KeylessVerificationResult>;

export interface AttestationVerificationRequest {
  image: string;
  digest: Digest;
  signatureRepository: Repository;
  authority: CompiledAuthority;
  attestations: readonly CompiledAttestation[];
  now: Date;
}

/** Implemented by the sigstore work; absent: authorities with attestations fail closed. */
export type AttestationVerifier = (request: AttestationVerificationRequest) => Promise<KeylessVerificationResult>;

export interface EvaluateImageDeps {
  access: ImageAccess;
  now?: Date;
  /** What happens to an image no policy matches (default "deny"). */
  noMatchAction?: NoMatchAction;
  /** Evaluate with a containers-policy.json instead of (or, with ClusterImagePolicies, in addition to) CIPs. */
  policyJson?: CompiledPolicy;
  /** I/O for policyJson; the default reads cosign attachments through `access` and no lookaside store. */
  policyJsonFetchers?: PolicyFetchers;
  verifyKeyless?: KeylessVerifier;
  verifyAttestations?: AttestationVerifier;
  /** OCSP/CRL status of Notation signing chains; without it a chain naming either has an unknown status. */
  notationRevocation?: RevocationChecker;
  /** The resource the image belongs to, for policies with `spec.match`. */
  resource?: ResourceContext;
  /**
   * A digest the caller already resolved for this image (e.g. from its tag cache). Evaluation then makes no
   * tag request and decides, and pins, exactly this digest.
   */
  pinnedDigest?: Digest;
  /** The ImageAccess used for an authority's signatures (e.g. with its signaturePullSecrets); default `access`. */
  signatureAccessFor?: (authority: CompiledAuthority) => ImageAccess;
  /** Stops work (a webhook deadline): an aborted evaluation is an error verdict, never an allow. */
  signal?: AbortSignal;
  /**
   * For a multi-arch index, what the ClusterImagePolicies verify: the index digest (default, as policy-controller),
   * the instance of `platform` a node pulls, or either. policy.json always checks the instance (containers/image).
   */
  multiArch?: "index" | "instance" | "either";
  /** The nodes' platform (default linux/amd64). */
  platform?: PlatformSpec;
  /** registries.d for policy.json's lookaside stores (default: none configured), as `signet policy verify --registries-d`. */
  policyJsonRegistriesD?: RegistriesDConfig;
}
