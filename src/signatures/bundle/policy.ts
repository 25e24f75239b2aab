/**
 * Who must have signed: a keyless identity (certificate subject and OIDC issuer, as cosign's
 * `--certificate-identity…` flags) or a public key. Exact values compare by equality; regexps are RE2, matched
 * against the whole value (wrapped as `^(?:…)$`). An identity policy needs a subject rule and an issuer rule
 * unless `insecureAnyIdentity` waives both (security cases A.6, A.7).
 */
import type { KeyObject } from "node:crypto";

export interface IdentityPolicy {
  readonly kind: "identity";
  /** The certificate's subject alternative name (email, URI or Fulcio username), compared exactly. */
  readonly subject?: string;
  readonly subjectRegExp?: string;
  /** The OIDC issuer from the Fulcio certificate extension, compared exactly. */
  readonly issuer?: string;
  readonly issuerRegExp?: string;
  /** GitHub workflow claims (cosign `--certificate-github-workflow-*`), each compared exactly when given. */
  readonly githubWorkflowRepository?: string;
  readonly githubWorkflowRef?: string;
  readonly githubWorkflowTrigger?: string;
  readonly githubWorkflowSha?: string;
  readonly githubWorkflowName?: string;
  /** Accept any subject and any issuer (cosign's `.*` regexps): only what the trust material vouches for. */
  readonly insecureAnyIdentity?: boolean;
}

export interface KeyPolicy {
  readonly kind: "key";
  readonly publicKey: KeyObject;
}

export type SignerPolicy = IdentityPolicy | KeyPolicy;
