/**
 * Validates a ClusterImagePolicy as policy-controller does (pkg/apis/policy/v1beta1/clusterimagepolicy_validation.go),
 * after the CRD's structural checks and its defaulting (mode, authority names, the Fulcio URL). Problems are
 * reported in policy-controller's own words and field paths, all of them at once.
 */
import { linearRegexpProblem } from "../../internal/linear-regexp.js";
import { parsePublicKeyPem } from "../../keys/index.js";
import { parseNormalizedName } from "../../oci/reference/index.js";
import { formatFieldPath, ProblemList, type FieldPath } from "./field-error.js";
import { globProblem } from "./glob.js";
import { kmsProblem } from "./kms.js";
import { clusterImagePolicySchema } from "./schema.js";
import {
  CLUSTER_IMAGE_POLICY_API_VERSIONS,
  type AttestationConfig,
  type AuthorityConfig,
  type ClusterImagePolicy,
  type IdentityConfig,
  type KeylessRef,
  type KeyRef,
  type MatchResource,
  type PolicyBody,
  type PolicyProblem,
  type SourceConfig,
  type ValidatePolicyOptions,
} from "./types.js";

/** The resources `spec.match` may name: the kinds whose images the webhook inspects. */
export const MATCHABLE_RESOURCES: ReadonlySet<string> = new Set([
  "pods",
  "deployments",
  "replicasets",
  "statefulsets",
  "daemonsets",
  "jobs",
  "cronjobs",
  "replicationcontrollers",
]);
export const HASH_ALGORITHMS: ReadonlySet<string> = new Set(["sha224", "sha256", "sha384", "sha512"]);
export const DEFAULT_FULCIO_URL = "https://fulcio.sigstore.dev";
/** cosign's deprecated short predicate types: accepted with a warning, as policy-controller does. */
const SHORT_PREDICATE_TYPES: ReadonlySet<string> = new Set(["custom", "slsaprovenance", "spdx", "spdxjson", "cyclonedx", "link", "vuln"]);
const LABEL_OPERATORS: ReadonlySet<string> = new Set(["In", "NotIn", "Exists", "DoesNotExist"]);
const VALUE_PRINT_MAX = 80;

export interface ValidationResult {
  problems: PolicyProblem[];
  /** The policy with defaults applied, when it has no errors (warnings allowed). */
  policy?: ClusterImagePolicy;
}

/**
 * Checks one untrusted document. `locate` maps a field path to its YAML line, for messages. Never throws for
 * bad input: every problem is in the result.
 */
export function validateClusterImagePolicy(
  untrusted: unknown,
  options: ValidatePolicyOptions = {},
  locate?: (path: FieldPath) => number | undefined,
): ValidationResult {
  const problems = new ProblemList();
  const finish = (policy?: ClusterImagePolicy): ValidationResult => {
    const list = problems.toProblems(locate);
    return policy !== undefined && !problems.hasErrors ? { problems: list, policy } : { problems: list };
  };
  if (typeof untrusted !== "object" || untrusted === null || Array.isArray(untrusted)) {
    problems.add("the document is not a mapping (expected apiVersion, kind, metadata and spec)", [[]]);
    return finish();
  }
  const document = untrusted as Record<string, unknown>;
  if (!(CLUSTER_IMAGE_POLICY_API_VERSIONS as readonly unknown[]).includes(document["apiVersion"])) {
    problems.invalidValue(printable(document["apiVersion"]), ["apiVersion"], `expected one of ${CLUSTER_IMAGE_POLICY_API_VERSIONS.join(", ")}`);
  }
  if (document["kind"] !== "ClusterImagePolicy") problems.invalidValue(printable(document["kind"]), ["kind"], "expected ClusterImagePolicy");
  if (document["spec"] === undefined || document["spec"] === null) {
    problems.missing(["spec"]);
    return finish();
  }
  const parsed = clusterImagePolicySchema.safeParse(document);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((part): part is string | number => typeof part !== "symbol");
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) problems.add(`unknown field "${formatFieldPath([...path, key])}"`, [[...path, key]]);
      } else if (issue.code === "invalid_type") {
        problems.schema(path, printable(JSON.stringify(valueAt(document, path)) ?? "undefined"), `must be of type ${issue.expected}`);
      } else {
        problems.schema(path, printable(JSON.stringify(valueAt(document, path)) ?? "undefined"), issue.message);
      }
    }
    return finish();
  }
  if (problems.hasErrors) return finish();
  const name = parsed.data.metadata.name;
  if (name === undefined || name === "") problems.missing(["metadata", "name"]);
  else if (!isDnsSubdomain(name)) problems.invalidValue(name, ["metadata", "name"], "a name is lower-case letters, digits, '-' and '.', at most 253 characters");

  const policy = withDefaults(structuredClone(parsed.data) as unknown as ClusterImagePolicy);
  validateSpec(policy, problems, options);
  return finish(policy);
}

/** policy-controller's SetDefaults: mode enforce, authority names, keyless without url or ca-cert uses Fulcio. */
function withDefaults(policy: ClusterImagePolicy): ClusterImagePolicy {
  const spec = policy.spec;
  if (spec.mode === undefined || spec.mode === "") spec.mode = "enforce";
  spec.authorities?.forEach((authority, index) => {
    if (authority.name === undefined || authority.name === "") authority.name = `authority-${index}`;
    const keyless = authority.keyless;
    if (authority.key === undefined && authority.static === undefined && keyless !== undefined && keyless["ca-cert"] === undefined && keyless.url === undefined) {
      keyless.url = DEFAULT_FULCIO_URL;
    }
  });
  return policy;
}

function validateSpec(policy: ClusterImagePolicy, problems: ProblemList, options: ValidatePolicyOptions): void {
  const spec = policy.spec;
  const images = spec.images ?? [];
  if (images.length === 0) problems.missing(["spec", "images"]);
  images.forEach((image, index) => {
    const path: FieldPath = ["spec", "images", index, "glob"];
    if (image.glob === undefined || image.glob === "") {
      problems.missing(path);
      return;
    }
    const problem = globProblem(image.glob);
    if (problem !== undefined) problems.invalidValue(image.glob, path, problem);
  });
  const authorities = spec.authorities ?? [];
  if (authorities.length === 0 && (options.failOnEmptyAuthorities ?? true)) problems.missing(["spec", "authorities"]);
  authorities.forEach((authority, index) => validateAuthority(authority, ["spec", "authorities", index], problems, options));
  if (spec.mode !== "enforce" && spec.mode !== "warn") problems.invalidValue(spec.mode, ["spec", "mode"], "unsupported mode");
  spec.match?.forEach((match, index) => validateMatch(match, ["spec", "match", index], problems));
  if (spec.policy !== undefined) validatePolicyBody(spec.policy, ["spec", "policy"], problems, true);
}

function validateAuthority(authority: AuthorityConfig, path: FieldPath, problems: ProblemList, options: ValidatePolicyOptions): void {
  // The CRD serialises a keyless authority without identities as `identities: null`, which its schema refuses
  // before policy-controller's validation runs (the "keyless.identities: Invalid value" upstream tests expect).
  const keyless = authority.keyless;
  if (keyless !== undefined && (keyless.identities === undefined || keyless.identities === null)) {
    problems.schema([...path, "keyless", "identities"], '"null"', "a keyless authority needs at least one identity: an issuer (or issuerRegExp) and a subject (or subjectRegExp)");
  }
  const kinds = [authority.key, authority.keyless, authority.static, authority.notation].filter((value) => value !== undefined).length;
  const oneOf: FieldPath[] = [[...path, "key"], [...path, "keyless"], [...path, "static"], ...(authority.notation === undefined ? [] : [[...path, "notation"] as FieldPath])];
  if (kinds === 0) {
    problems.missingOneOf(...oneOf);
    return;
  }
  if (kinds > 1) {
    problems.multipleOneOf(...oneOf);
    return;
  }
  if (authority.key !== undefined) validateKey(authority.key, [...path, "key"], problems, options);
  if (keyless !== undefined) validateKeyless(keyless, [...path, "keyless"], problems, options);
  if (authority.notation !== undefined) validateNotation(authority, [...path, "notation"], problems, options);
  if (authority.static !== undefined) {
    const action = authority.static.action;
    if (action === undefined || action === "") problems.missing([...path, "static", "action"]);
    else if (action !== "pass" && action !== "fail") problems.invalidValue(action, [...path, "static", "action"], "unsupported action");
    // Attestations, sources and logs mean nothing to a static authority.
    if ((authority.attestations?.length ?? 0) > 0) problems.multipleOneOf([...path, "static"], [...path, "attestations"]);
    if ((authority.source?.length ?? 0) > 0) problems.multipleOneOf([...path, "static"], [...path, "source"]);
    if (authority.ctlog !== undefined) problems.multipleOneOf([...path, "static"], [...path, "ctlog"]);
    if (authority.rfc3161timestamp !== undefined) problems.multipleOneOf([...path, "static"], [...path, "rfc3161timestamp"]);
  }
  const sources = authority.source ?? [];
  if (sources.length > 1) problems.invalidValue("source", [...path, "source"], "only single source is supported");
  else sources.forEach((source, index) => validateSource(source, [...path, "source", index], problems));
  authority.attestations?.forEach((attestation, index) => validateAttestation(attestation, [...path, "attestations", index], problems));
}

/** signet's notation authority: exactly one trust policy source, at least one trust store, Secrets only from the webhook's namespace. */
function validateNotation(authority: AuthorityConfig, path: FieldPath, problems: ProblemList, options: ValidatePolicyOptions): void {
  const notation = authority.notation!;
  const policySources: FieldPath[] = [[...path, "trustPolicy"], [...path, "trustPolicyPath"], [...path, "trustPolicySecretRef"]];
  const given = [notation.trustPolicy, notation.trustPolicyPath, notation.trustPolicySecretRef].filter((value) => value !== undefined && value !== "").length;
  if (given === 0) problems.missingOneOf(...policySources);
  if (given > 1) problems.multipleOneOf(...policySources);
  if (notation.trustPolicySecretRef !== undefined) validateSecretEntry(notation.trustPolicySecretRef, [...path, "trustPolicySecretRef"], problems, options);
  const stores = notation.trustStores ?? [];
  if ((notation.trustStorePath ?? "") === "" && stores.length === 0) problems.missingOneOf([...path, "trustStorePath"], [...path, "trustStores"]);
  stores.forEach((store, index) => {
    const storePath: FieldPath = [...path, "trustStores", index];
    if (store.name === undefined || !/^(ca|signingAuthority|tsa):[A-Za-z0-9_.-]+$/.test(store.name)) {
      problems.invalidValue(printable(store.name ?? ""), [...storePath, "name"], "trust store names are TYPE:NAME with TYPE ca, signingAuthority or tsa, as the trust policy names them");
    }
    const sources: FieldPath[] = [[...storePath, "data"], [...storePath, "path"], [...storePath, "secretRef"]];
    const count = [store.data, store.path, store.secretRef].filter((value) => value !== undefined && value !== "").length;
    if (count === 0) problems.missingOneOf(...sources);
    if (count > 1) problems.multipleOneOf(...sources);
    if (store.secretRef !== undefined) validateSecretEntry(store.secretRef, [...storePath, "secretRef"], problems, options);
  });
  if ((authority.attestations?.length ?? 0) > 0) problems.multipleOneOf(path, [...path.slice(0, -1), "attestations"]);
  if (authority.ctlog !== undefined) problems.multipleOneOf(path, [...path.slice(0, -1), "ctlog"]);
  if (authority.rfc3161timestamp !== undefined) problems.multipleOneOf(path, [...path.slice(0, -1), "rfc3161timestamp"]);
}

function validateSecretEntry(ref: { name?: string; namespace?: string }, path: FieldPath, problems: ProblemList, options: ValidatePolicyOptions): void {
  if (ref.name === undefined || ref.name === "") problems.missing([...path, "name"]);
  const namespace = ref.namespace ?? "";
  if (namespace !== "" && options.systemNamespace !== undefined && namespace !== options.systemNamespace) {
    problems.invalidValue(namespace, [...path, "namespace"], `secrets are read only from the webhook's namespace (${options.systemNamespace})`);
  }
}

function validateKey(key: KeyRef, path: FieldPath, problems: ProblemList, options: ValidatePolicyOptions): void {
  const data = key.data ?? "";
  const kms = key.kms ?? "";
  const oneOf: FieldPath[] = [[...path, "data"], [...path, "kms"], [...path, "secretref"]];
  if (data === "" && kms === "" && key.secretRef === undefined) problems.missingOneOf(...oneOf);
  if (key.hashAlgorithm !== undefined && key.hashAlgorithm !== "" && !HASH_ALGORITHMS.has(normaliseHashAlgorithm(key.hashAlgorithm))) {
    problems.invalidValue(key.hashAlgorithm, [...path, "hashAlgorithm"], `unknown digest algorithm: ${key.hashAlgorithm}`);
  }
  if (data !== "") {
    if (kms !== "" || key.secretRef !== undefined) problems.multipleOneOf(...oneOf);
    const problem = publicKeyProblem(data);
    if (problem !== undefined) problems.invalidValue(printable(data), [...path, "data"], problem);
  } else if (kms !== "" && key.secretRef !== undefined) {
    problems.multipleOneOf(...oneOf);
  }
  if (kms !== "") {
    const problem = kmsProblem(kms);
    if (problem !== undefined) problems.invalidValue(printable(kms), [...path, "kms"], problem);
  }
  const secretRef = key.secretRef;
  if (secretRef !== undefined) {
    if (secretRef.name === undefined || secretRef.name === "") problems.missing([...path, "secretRef", "name"]);
    const namespace = secretRef.namespace ?? "";
    if (namespace !== "" && options.systemNamespace !== undefined && namespace !== options.systemNamespace) {
      problems.invalidValue(
        namespace,
        [...path, "secretref.namespace"],
        `secretref.namespace is invalid. If set, it should use the same namespace where the webhook was deployed (${options.systemNamespace})`,
      );
    }
  }
}

function validateKeyless(keyless: KeylessRef, path: FieldPath, problems: ProblemList, options: ValidatePolicyOptions): void {
  const caCert = keyless["ca-cert"];
  if (keyless.url === undefined && caCert === undefined) problems.missingOneOf([...path, "url"], [...path, "ca-cert"]);
  if (keyless.url !== undefined && caCert !== undefined) problems.multipleOneOf([...path, "url"], [...path, "ca-cert"]);
  if (keyless.url !== undefined && !URL.canParse(keyless.url)) problems.invalidValue(printable(keyless.url), [...path, "url"], "not a URL");
  if (caCert !== undefined) validateCaCert(caCert, [...path, "ca-cert"], problems, options);
  const identities = keyless.identities;
  if (identities !== undefined && identities !== null && identities.length === 0) problems.missing([...path, "identities"]);
  identities?.forEach((identity, index) => validateIdentity(identity, [...path, "identities", index], problems));
}

/** `ca-cert` is a KeyRef too: inline PEM (a certificate's public key is accepted), a secret, or a KMS key. */
function validateCaCert(caCert: KeyRef, path: FieldPath, problems: ProblemList, options: ValidatePolicyOptions): void {
  validateKey(caCert, path, problems, options);
}

function validateIdentity(identity: IdentityConfig, path: FieldPath, problems: ProblemList): void {
  const has = (value: string | undefined): value is string => value !== undefined && value !== "";
  if (has(identity.issuer) && has(identity.issuerRegExp)) problems.multipleOneOf([...path, "issuer"], [...path, "issuerRegExp"]);
  if (has(identity.subject) && has(identity.subjectRegExp)) problems.multipleOneOf([...path, "subject"], [...path, "subjectRegExp"]);
  for (const field of ["issuerRegExp", "subjectRegExp"] as const) {
    const pattern = identity[field];
    if (!has(pattern)) continue;
    const problem = linearRegexpProblem(pattern);
    if (problem !== undefined) problems.invalidValue(printable(pattern), [...path, field], `regex is invalid: ${problem}`);
  }
  if (!has(identity.subject) && !has(identity.subjectRegExp)) problems.missing([...path, "subject"], [...path, "subjectRegExp"]);
  if (!has(identity.issuer) && !has(identity.issuerRegExp)) problems.missing([...path, "issuer"], [...path, "issuerRegExp"]);
}

function validateSource(source: SourceConfig, path: FieldPath, problems: ProblemList): void {
  if (source.oci !== undefined && source.oci !== "") {
    const problem = ociRepositoryProblem(source.oci);
    if (problem !== undefined) problems.invalidValue(printable(source.oci), [...path, "oci"], problem);
  }
  source.signaturePullSecrets?.forEach((secret, index) => {
    if (secret.name === undefined || secret.name === "") problems.missing([...path, "signaturePullSecrets", index, "name"]);
  });
}

function validateAttestation(attestation: AttestationConfig, path: FieldPath, problems: ProblemList): void {
  if (attestation.name === undefined || attestation.name === "") problems.missing([...path, "name"]);
  const predicateType = attestation.predicateType ?? "";
  if (predicateType === "") problems.missing([...path, "predicateType"]);
  else if (SHORT_PREDICATE_TYPES.has(predicateType) || !isRequestUri(predicateType)) {
    problems.invalidValue(predicateType, [...path, "predicateType"], "deprecated value, please use RFC 3986 conformant values", "warning");
  }
  if (attestation.policy !== undefined) validatePolicyBody(attestation.policy, [...path, "policy"], problems, false);
}

function validatePolicyBody(body: PolicyBody, path: FieldPath, problems: ProblemList, withinSpec: boolean): void {
  if (body.type !== "cue" && body.type !== "rego") problems.invalidValue(body.type ?? "", [...path, "type"], "only [cue,rego] are supported at the moment");
  const given = [body.data !== undefined && body.data !== "", body.configMapRef !== undefined, body.remote !== undefined].filter(Boolean).length;
  const oneOf: FieldPath[] = [[...path, "data"], [...path, "configMapRef"], [...path, "remote"]];
  if (given === 0) problems.missing(...oneOf);
  if (given > 1) problems.multipleOneOf(...oneOf);
  if (body.remote !== undefined) {
    const url = body.remote.url ?? "";
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    if (parsed === undefined || parsed.protocol !== "https:" || parsed.host === "") {
      problems.invalidValue(url, [...path, "remote", "url"], "url valid is invalid. host and https scheme are expected");
    }
    if (body.remote.sha256sum === undefined || body.remote.sha256sum === "") problems.missing([...path, "remote", "sha256sum"]);
  }
  if (body.configMapRef !== undefined) {
    if (body.configMapRef.name === undefined || body.configMapRef.name === "") problems.missing([...path, "configMapRef", "name"]);
    if (body.configMapRef.key === undefined || body.configMapRef.key === "") problems.missing([...path, "configMapRef", "key"]);
  }
  if (!withinSpec) {
    for (const field of ["fetchConfigFile", "includeSpec", "includeObjectMeta", "includeTypeMeta"] as const) {
      if (body[field] !== undefined) problems.disallowed([...path, field]);
    }
  }
}

function validateMatch(match: MatchResource, path: FieldPath, problems: ProblemList): void {
  const resource = match.resource ?? "";
  if (resource !== "" && !MATCHABLE_RESOURCES.has(resource)) problems.invalidValue(resource, [...path, "resource"], "unsupported resource name");
  if (match.selector !== undefined && resource === "" && (match.version ?? "") === "" && (match.group ?? "") === "") {
    problems.invalidValue(resource, [...path, "selector"], "selector requires a resource type to match the labels");
  }
  match.selector?.matchExpressions?.forEach((expression, index) => {
    const at: FieldPath = [...path, "selector", "matchExpressions", index];
    if (!LABEL_OPERATORS.has(expression.operator)) problems.invalidValue(expression.operator, [...at, "operator"], "not a valid selector operator");
    const values = expression.values ?? [];
    if ((expression.operator === "In" || expression.operator === "NotIn") && values.length === 0) {
      problems.invalidValue(expression.operator, [...at, "values"], "must be specified when `operator` is 'In' or 'NotIn'");
    }
    if ((expression.operator === "Exists" || expression.operator === "DoesNotExist") && values.length > 0) {
      problems.invalidValue(expression.operator, [...at, "values"], "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    }
  });
}

export function normaliseHashAlgorithm(name: string): string {
  return name.trim().toLowerCase();
}

function publicKeyProblem(data: string): string | undefined {
  try {
    parsePublicKeyPem(data);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * policy-controller's ValidateOCI: `registry.example.com/sigs` (a repository on a named registry) or a registry
 * alone (`registry.example.com:5000`). A Docker Hub path without a registry is refused, as upstream does.
 */
export function ociRepositoryProblem(oci: string): string | undefined {
  const slash = oci.indexOf("/");
  const first = slash === -1 ? oci : oci.slice(0, slash);
  const namedRegistry = first.includes(".") || first.includes(":");
  try {
    if (slash !== -1 && namedRegistry) {
      const reference = parseNormalizedName(oci);
      if (reference.tag !== undefined || reference.digest !== undefined) return "a signature source is a repository, without tag or digest";
      return undefined;
    }
    if (slash === -1 && /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/.test(oci)) {
      return undefined;
    }
    return `registries must be valid RFC 3986 URI authorities: ${first}`;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Go's url.ParseRequestURI: an absolute URI, or an absolute path. */
function isRequestUri(text: string): boolean {
  return text.startsWith("/") || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(text);
}

function isDnsSubdomain(name: string): boolean {
  return name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name);
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let value: unknown = root;
  for (const part of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  return value;
}

/** Values in messages are cut short: a PEM block or a hostile string must not fill the screen. */
function printable(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  return text.length > VALUE_PRINT_MAX ? `${text.slice(0, VALUE_PRINT_MAX)}…` : text;
}
