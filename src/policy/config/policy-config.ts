/**
 * The parsed form of a containers-policy.json(5) file: what the file says, checked, with where each part was
 * written so that decisions and lint findings can point at the line. Nothing here reads keys or images.
 */
import type { JsonPosition } from "../../internal/json-reader.js";

/** Where a part of the policy was written: the JSON path (`transports.docker["example.com"][0]`) and its position. */
export interface PolicySourceLocation {
  /** The file (or other location) the policy came from, as given to the parser. */
  readonly source: string;
  readonly path: string;
  readonly line: number;
  readonly column: number;
}

/**
 * Whose semantics a policy is read and evaluated with: containers/image's (skopeo, podman, CRI-O; the default) or
 * image-rs's (the Confidential Containers guest, confidential-containers/guest-components image-rs/src/signature).
 * docs/coco.md lists every difference; each is implemented where the behaviour lives (parser, compile, evaluate).
 */
export type PolicySemantics = "containers-image" | "image-rs";

export interface ParsedPolicy {
  readonly source: string;
  readonly semantics: PolicySemantics;
  /** The global default (`default`): applies when no transport scope matches. */
  readonly defaultRequirements: PolicyRequirementList;
  /** transport name → scope → requirements. A Map keeps lookup O(1) per candidate scope. */
  readonly transports: ReadonlyMap<string, PolicyTransportScopes>;
}

export interface PolicyTransportScopes {
  readonly transport: string;
  readonly location: PolicySourceLocation;
  readonly scopes: ReadonlyMap<string, PolicyRequirementList>;
}

export interface PolicyRequirementList {
  /** "" for a transport's default scope; undefined for the global default. */
  readonly transport: string | undefined;
  readonly scope: string | undefined;
  /** Where the scope's key was written (or `default`). */
  readonly location: PolicySourceLocation;
  /** Never empty with containers/image semantics (a parse error, as upstream); image-rs accepts an empty list and allows every image with it. */
  readonly requirements: readonly PolicyRequirementConfig[];
}

export type PolicyRequirementConfig =
  | InsecureAcceptAnythingConfig
  | RejectConfig
  | SignedByConfig
  | SigstoreSignedConfig
  | SignedBaseLayerConfig
  | NotationSignedConfig
  | SignetThresholdConfig
  | DockerContentTrustConfig;

interface RequirementBase {
  readonly location: PolicySourceLocation;
}

export interface InsecureAcceptAnythingConfig extends RequirementBase {
  readonly type: "insecureAcceptAnything";
}

export interface RejectConfig extends RequirementBase {
  readonly type: "reject";
}

/** containers/image's sbKeyType values; only GPGKeys is implemented upstream (and here). */
export const SIGNED_BY_KEY_TYPES = ["GPGKeys", "signedByGPGKeys", "X509Certificates", "signedByX509CAs"] as const;
export type SignedByKeyType = (typeof SIGNED_BY_KEY_TYPES)[number];

/** One of keyPath / keyPaths / keyData / keyDatas, with where it was written. */
export type KeySourceConfig =
  | { readonly kind: "path"; readonly field: string; readonly location: PolicySourceLocation; readonly path: string }
  | { readonly kind: "paths"; readonly field: string; readonly location: PolicySourceLocation; readonly paths: readonly string[] }
  | { readonly kind: "data"; readonly field: string; readonly location: PolicySourceLocation; readonly data: Buffer }
  | { readonly kind: "datas"; readonly field: string; readonly location: PolicySourceLocation; readonly datas: readonly Buffer[] };

export interface SignedByConfig extends RequirementBase {
  readonly type: "signedBy";
  readonly keyType: SignedByKeyType;
  readonly keys: KeySourceConfig;
  readonly signedIdentity: SignedIdentityConfig;
}

export interface FulcioConfig {
  readonly location: PolicySourceLocation;
  readonly ca: KeySourceConfig;
  readonly oidcIssuer: string;
  readonly subjectEmail: string;
}

export interface PkiConfig {
  readonly location: PolicySourceLocation;
  readonly caRoots: KeySourceConfig;
  readonly caIntermediates: KeySourceConfig | undefined;
  readonly subjectEmail: string | undefined;
  readonly subjectHostname: string | undefined;
}

export interface SigstoreSignedConfig extends RequirementBase {
  readonly type: "sigstoreSigned";
  /** Exactly one of keys, fulcio and pki is set. */
  readonly keys: KeySourceConfig | undefined;
  readonly fulcio: FulcioConfig | undefined;
  readonly pki: PkiConfig | undefined;
  readonly rekorPublicKeys: KeySourceConfig | undefined;
  readonly signedIdentity: SignedIdentityConfig;
}

/**
 * signet's own requirement (not in containers/image): the image's tag is signed in a Notary v1 server's trust data
 * (Docker Content Trust) and the registry serves the signed digest (docs/dct.md).
 */
export interface DockerContentTrustConfig extends RequirementBase {
  readonly type: "signetDockerContentTrust";
  readonly server: string;
  /** Where roots are pinned on first use (default: signet's, $XDG_CONFIG_HOME/signet/trust). */
  readonly trustDir: string | undefined;
}

export interface SignedBaseLayerConfig extends RequirementBase {
  readonly type: "signedBaseLayer";
  readonly baseLayerIdentity: SignedIdentityConfig;
}

/**
 * signet's extension (no containers/image reader accepts it): `threshold` distinct signers of the list must have
 * signed, and every `required` one; each signer is a signature requirement of its own (sigstoreSigned or signedBy
 * GPGKeys) without a signedIdentity, with a name. The rule's signedIdentity applies to every signature.
 */
export interface SignetThresholdConfig extends RequirementBase {
  readonly type: "signetThreshold";
  readonly threshold: number;
  readonly required: readonly string[];
  readonly signers: readonly ThresholdSignerConfig[];
  readonly signedIdentity: SignedIdentityConfig;
}

export interface ThresholdSignerConfig {
  readonly name: string;
  readonly location: PolicySourceLocation;
  /** The signer's trust, as the requirement of that type states it (its signedIdentity is the rule's). */
  readonly requirement: SignedByConfig | SigstoreSignedConfig | NotationSignedConfig;
}

export type SignedIdentityConfig =
  | { readonly type: "matchExact"; readonly location: PolicySourceLocation; readonly defaulted?: false }
  | { readonly type: "matchRepoDigestOrExact"; readonly location: PolicySourceLocation; /** true when the policy did not say (the default). */ readonly defaulted: boolean }
  | { readonly type: "matchRepository"; readonly location: PolicySourceLocation; readonly defaulted?: false }
  | { readonly type: "exactReference"; readonly location: PolicySourceLocation; readonly dockerReference: string; readonly defaulted?: false }
  | { readonly type: "exactRepository"; readonly location: PolicySourceLocation; readonly dockerRepository: string; readonly defaulted?: false }
  | {
      readonly type: "remapIdentity";
      readonly location: PolicySourceLocation;
      readonly prefix: string;
      readonly signedPrefix: string;
      readonly defaulted?: false;
    };

/** "policy.json:12:7" */
export function formatSourceLocation(location: PolicySourceLocation): string {
  return `${location.source}:${location.line}:${location.column}`;
}

export function sourceLocation(source: string, path: string, position: JsonPosition): PolicySourceLocation {
  return { source, path, line: position.line, column: position.column };
}

/**
 * signet's extension (not containers/image): the image needs a Notation signature that a Notary Project trust
 * policy accepts, with the certificates of the trust stores it names.
 */
export interface NotationSignedConfig extends RequirementBase {
  readonly type: "notationSigned";
  /** trustPolicyPath (a file, k8s:// or kbs:// location) or trustPolicyData (base64 of the JSON). */
  readonly trustPolicy: KeySourceConfig;
  /** A notation trust store directory (`x509/{ca,signingAuthority,tsa}/NAME/`), e.g. `$XDG_CONFIG_HOME/notation/truststore`. */
  readonly trustStorePath: string | undefined;
  /** Trust stores given certificate by certificate: `"ca:acme": ["k8s://ns/secret/ca.crt", "/etc/pki/acme.pem"]`. */
  readonly trustStoreCertificates: readonly { readonly store: string; readonly certificates: KeySourceConfig }[];
  /** Each key=value must be in the signature's user metadata. */
  readonly userMetadata: Readonly<Record<string, string>>;
  /** The trust policy scope for images that have none (OCI layouts); registry images use `registry/repository`. */
  readonly scope: string | undefined;
}
