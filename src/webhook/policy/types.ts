/**
 * ClusterImagePolicy (policy.sigstore.dev/v1beta1 and v1alpha1, which share one schema) as parsed from YAML,
 * and the compiled form the webhook evaluates. Field names keep upstream's spelling (`ca-cert`, `secretRef`,
 * `rfc3161timestamp`) so a policy reads the same here as in policy-controller's documentation.
 */
import type { KeyObject } from "node:crypto";
import type { IdentityPolicy } from "../../signatures/bundle/index.js";
import type { ErrorCode } from "../../errors/index.js";
import type { TrustPolicyDocument } from "../../signatures/notation/trust-policy.js";
import type { NotationTrustStores } from "../../signatures/notation/verify-notation.js";

export const CLUSTER_IMAGE_POLICY_API_VERSIONS = ["policy.sigstore.dev/v1beta1", "policy.sigstore.dev/v1alpha1"] as const;
export type ClusterImagePolicyApiVersion = (typeof CLUSTER_IMAGE_POLICY_API_VERSIONS)[number];

export type PolicyMode = "enforce" | "warn";

export interface SecretReference {
  name: string;
  namespace?: string;
}

export interface KeyRef {
  data?: string;
  kms?: string;
  secretRef?: SecretReference;
  hashAlgorithm?: string;
}

export interface IdentityConfig {
  issuer?: string;
  subject?: string;
  issuerRegExp?: string;
  subjectRegExp?: string;
}

export interface KeylessRef {
  url?: string;
  identities?: IdentityConfig[] | null;
  "ca-cert"?: KeyRef;
  trustRootRef?: string;
  insecureIgnoreSCT?: boolean;
}

export interface StaticRef {
  action: string;
  message?: string;
}

export interface ConfigMapReference {
  name?: string;
  namespace?: string;
  key?: string;
}

export interface RemotePolicy {
  url?: string;
  sha256sum?: string;
}

export interface PolicyBody {
  type?: string;
  data?: string;
  configMapRef?: ConfigMapReference;
  remote?: RemotePolicy;
  fetchConfigFile?: boolean;
  includeSpec?: boolean;
  includeObjectMeta?: boolean;
  includeTypeMeta?: boolean;
}

export interface AttestationConfig {
  name?: string;
  predicateType?: string;
  policy?: PolicyBody;
}

export interface SourceConfig {
  oci?: string;
  signaturePullSecrets?: { name?: string }[];
  tagPrefix?: string;
}

export interface TLogConfig {
  url?: string;
  trustRootRef?: string;
}

export interface TimestampConfig {
  trustRootRef?: string;
}

/** A Secret entry: `key` names the data entry (default: the Secret's only entry). */
export interface SecretEntryReference extends SecretReference {
  key?: string;
}

/**
 * signet's extension of an authority: a Notary Project trust policy and its trust stores. Each piece inline, from
 * a file (a mounted ConfigMap or Secret volume) or from a Secret of the webhook's namespace.
 */
export interface NotationAuthorityConfig {
  /** The trust policy document (trustpolicy.json) as JSON text. */
  trustPolicy?: string;
  trustPolicyPath?: string;
  trustPolicySecretRef?: SecretEntryReference;
  /** A notation trust store directory (`x509/{ca,signingAuthority,tsa}/NAME/`). */
  trustStorePath?: string;
  trustStores?: { name?: string; data?: string; path?: string; secretRef?: SecretEntryReference }[];
  /** Each key=value must be in the verified signature's user metadata. */
  userMetadata?: Record<string, string>;
}

export interface AuthorityConfig {
  /** Defaulted to `authority-<index>` as policy-controller does. */
  name?: string;
  key?: KeyRef;
  notation?: NotationAuthorityConfig;
  keyless?: KeylessRef;
  static?: StaticRef;
  attestations?: AttestationConfig[];
  source?: SourceConfig[];
  ctlog?: TLogConfig;
  rfc3161timestamp?: TimestampConfig;
  signatureFormat?: string;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface MatchResource {
  group?: string;
  version?: string;
  resource?: string;
  selector?: LabelSelector;
}

export interface ClusterImagePolicySpec {
  images?: { glob?: string }[];
  authorities?: AuthorityConfig[];
  mode?: string;
  match?: MatchResource[];
  policy?: PolicyBody;
}

export interface ClusterImagePolicy {
  apiVersion: ClusterImagePolicyApiVersion;
  kind: "ClusterImagePolicy";
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: ClusterImagePolicySpec;
}

/** Where a document came from: the file (if any) and its position among the file's YAML documents. */
export interface PolicySource {
  file?: string;
  /** 0-based index of the YAML document in its file. */
  document: number;
  /** 0-based index in the document's `items` when the document is a `kind: List`. */
  item?: number;
}

export interface LoadedClusterImagePolicy {
  policy: ClusterImagePolicy;
  source: PolicySource;
}

/**
 * One problem with a document, in policy-controller's terms: a message and the field paths it concerns
 * (`spec.authorities[0].keyless.url`). `text` is the problem as policy-controller's webhook prints it.
 */
export interface PolicyProblem {
  level: "error" | "warning";
  message: string;
  paths: string[];
  details?: string;
  /** One line, e.g. `expected exactly one, got both: spec.authorities[0].key, spec.authorities[0].keyless`. */
  text: string;
  /** 1-based line of the field (or its closest present parent) in the YAML, when known. */
  line?: number;
}

export interface PolicyDocumentReport {
  source: PolicySource;
  /** metadata.name when present. */
  name: string | undefined;
  kind: string | undefined;
  problems: PolicyProblem[];
  /** Set when the document is a valid ClusterImagePolicy (defaults applied). */
  policy?: ClusterImagePolicy;
}

export interface ValidatePolicyOptions {
  /**
   * Refuse policies without authorities (policy-controller's `fail-on-empty-authorities`, true by default).
   * A policy with no authorities never lets an image pass here: it can only deny.
   */
  failOnEmptyAuthorities?: boolean;
  /**
   * The namespace the webhook runs in. When set, a `secretRef.namespace` naming another namespace is refused
   * (policy-controller's rule: keys come only from where the cluster admin controls them).
   */
  systemNamespace?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Compiled form

/** A glob from `spec.images`, compiled to a linear-time matcher. */
export interface ImageGlob {
  readonly source: string;
  /** True when the glob matches the image as policy-controller matches it (see glob.ts). */
  matches(image: string): boolean;
  /** The same, given the image's match candidates (imageMatchCandidates) computed once for many globs. */
  matchesAnyOf(candidates: readonly string[]): boolean;
}

/**
 * An identity of a keyless authority, as the one keyless identity rule every entry point uses
 * (signatures/bundle IdentityPolicy: exact values, or RE2 regexps anchored to the whole value), checked when the
 * policy is compiled.
 */
export interface CompiledIdentity {
  readonly issuer?: string;
  readonly subject?: string;
  readonly issuerRegExp?: string;
  readonly subjectRegExp?: string;
  readonly policy: IdentityPolicy;
}

export interface KeylessTrust {
  /** Fulcio URL (policy-controller defaults it to https://fulcio.sigstore.dev). */
  readonly url?: string;
  /** A CA certificate (PEM) given inline or through a secret, instead of Fulcio's. */
  readonly caCertPem?: string;
  /** A CA held in a KMS (not supported: fails closed). */
  readonly caCertKms?: string;
  readonly trustRootRef?: string;
  readonly insecureIgnoreSCT: boolean;
  readonly ctlog?: TLogConfig;
  readonly rfc3161timestamp?: TimestampConfig;
}

export interface CompiledAttestation {
  readonly name: string;
  readonly predicateType: string;
  /** The policy over the attestation (cue / rego), kept as written; evaluating it is not supported yet. */
  readonly policy?: PolicyBody;
}

interface AuthorityCommon {
  readonly name: string;
  readonly index: number;
  readonly attestations: readonly CompiledAttestation[];
  /** `source[0].oci`: the repository signatures are read from instead of the image's own. */
  readonly signatureRepository?: string;
  /** `source[0].signaturePullSecrets`: secrets (in the pod's namespace) for the signature repository. */
  readonly signaturePullSecrets: readonly string[];
  readonly tagPrefix?: string;
  readonly ctlog?: TLogConfig;
  readonly rfc3161timestamp?: TimestampConfig;
  readonly signatureFormat?: string;
}

export type CompiledAuthority =
  | (AuthorityCommon & { readonly type: "key"; readonly publicKeys: readonly KeyObject[]; readonly hashAlgorithm: string; readonly keySource: string })
  | (AuthorityCommon & { readonly type: "kms"; readonly kms: string; readonly hashAlgorithm: string })
  | (AuthorityCommon & { readonly type: "keyless"; readonly identities: readonly CompiledIdentity[]; readonly trust: KeylessTrust })
  | (AuthorityCommon & { readonly type: "static"; readonly action: "pass" | "fail"; readonly message?: string })
  | (AuthorityCommon & {
      readonly type: "notation";
      readonly trustPolicy: TrustPolicyDocument;
      readonly trustStores: NotationTrustStores;
      readonly userMetadata: Readonly<Record<string, string>>;
      /** What the trust material was read from, and a hash of it (the policy version covers it). */
      readonly material: string;
    })
  /** Its key material could not be loaded (a secret missing or unreadable): it fails closed with the reason. */
  | (AuthorityCommon & { readonly type: "unavailable"; readonly reason: string; readonly code: ErrorCode });

export interface CompiledMatchResource {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly selector?: LabelSelector;
}

export interface CompiledImagePolicy {
  readonly name: string;
  readonly mode: PolicyMode;
  readonly images: readonly ImageGlob[];
  readonly authorities: readonly CompiledAuthority[];
  /** Empty: the policy applies to every resource kind. */
  readonly match: readonly CompiledMatchResource[];
  /** A CIP-level policy (cue / rego) over the results; not supported yet: the policy fails closed. */
  readonly policy?: PolicyBody;
  readonly source: PolicySource;
  /** sha256 of this policy's normalised content and key material. */
  readonly version: string;
}

export interface CompiledPolicySet {
  /** sha256 over every policy's version: any change to any policy or key changes it (caches key on it). */
  readonly version: string;
  readonly policies: readonly CompiledImagePolicy[];
  /** What could not be loaded (each such authority fails closed); a server may refuse readiness on these. */
  readonly problems: readonly string[];
}

/** The Kubernetes resource an image belongs to, for `spec.match`. */
export interface ResourceContext {
  readonly group: string;
  readonly version: string;
  /** Plural, lower case: "pods", "deployments". */
  readonly resource: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Reads a Kubernetes secret's data (values raw, not base64). */
export type SecretReader = (ref: { name: string; namespace: string }) => Promise<Record<string, Uint8Array | string>>;

export interface CompilePoliciesOptions {
  /** Needed when a policy has a `secretRef`; without it such an authority is a compile error. */
  readSecret?: SecretReader;
  /** Namespace of secrets named without one, and the only namespace keys may come from. */
  systemNamespace?: string;
  /** Reads one entry of a Secret (a Notation authority's trust policy or certificates). */
  readSecretEntry?: (ref: { name: string; namespace: string; key: string | undefined }) => Promise<Buffer>;
}
