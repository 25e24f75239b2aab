/**
 * `signet policy lint`: every error of a policy file, and the choices that are legal but risky, each with the line
 * and column to fix. Errors are what parsePolicy refuses (and keys that cannot be used); warnings are policies that
 * load but probably do not do what their author meant.
 */
import { parsePublicKeyPem } from "../keys/index.js";
import { repositoryName, toPolicyReference } from "../oci/reference/index.js";
import { parseGpgKeyring } from "../signatures/simplesigning/index.js";
import {
  parsePolicyCollectingIssues,
  type KeySourceConfig,
  type ParsedPolicy,
  type PolicyRequirementConfig,
  type PolicyRequirementList,
  type PolicySourceLocation,
} from "./config/index.js";
import { appendAll } from "../internal/arrays.js";
import type { KeyReader } from "./evaluation-context.js";
import { tryParseDockerReference } from "./identity/index.js";
import { KeyLoader } from "./key-material.js";
import { K8S_SCHEME, KBS_SCHEME, createLocationReader } from "./locations/index.js";
import { canonicalScope, dockerPolicyIdentity, dockerReferenceNamespaces } from "./scopes.js";

export type LintSeverity = "error" | "warning" | "info";

export interface PolicyLintFinding {
  readonly severity: LintSeverity;
  /** A stable name for the check, e.g. "default-not-reject". */
  readonly rule: string;
  readonly message: string;
  readonly source: string;
  readonly path: string;
  readonly line: number;
  readonly column: number;
}

export interface LintPolicyOptions {
  /** How to name the policy in findings. */
  source?: string;
  /**
   * Reads key locations to check they can be used. Default: local files only; kbs:// and k8s:// locations are
   * reported as not checked (linting should not need a cluster).
   */
  readKey?: KeyReader;
}

const REGISTRY_TRANSPORTS = new Set(["docker", "atomic", "docker-daemon"]);

export async function lintPolicy(input: string | Uint8Array, options: LintPolicyOptions = {}): Promise<PolicyLintFinding[]> {
  const source = options.source ?? "policy.json";
  const { policy, issues } = parsePolicyCollectingIssues(input, { source });
  const findings: PolicyLintFinding[] = issues.map((issue) => ({ severity: "error", rule: "invalid", ...issue }));
  if (policy !== undefined) {
    for (const more of [checkDefault(policy), checkScopes(policy), checkRequirements(policy), await checkKeys(policy, options.readKey)]) appendAll(findings, more);
  }
  const rank: Record<LintSeverity, number> = { error: 0, warning: 1, info: 2 };
  return findings.sort((a, b) => a.line - b.line || a.column - b.column || rank[a.severity] - rank[b.severity]);
}

/** "policy.json:3:5: warning: … [rule]" */
export function formatLintFinding(finding: PolicyLintFinding): string {
  const where = finding.path === "" ? "" : `${finding.path}: `;
  return `${finding.source}:${finding.line}:${finding.column}: ${finding.severity}: ${where}${finding.message} [${finding.rule}]`;
}

function at(location: PolicySourceLocation, severity: LintSeverity, rule: string, message: string): PolicyLintFinding {
  return { severity, rule, message, source: location.source, path: location.path, line: location.line, column: location.column };
}

function checkDefault(policy: ParsedPolicy): PolicyLintFinding[] {
  const list = policy.defaultRequirements;
  if (list.requirements.every((r) => r.type === "reject")) return [];
  const accepts = list.requirements.every((r) => r.type === "insecureAcceptAnything");
  return [
    at(
      list.location,
      "warning",
      "default-not-reject",
      accepts
        ? 'the global default accepts every image that no scope names; make it [{"type": "reject"}] and allow what you trust explicitly'
        : 'the global default is not [{"type": "reject"}]; images no scope names get these requirements, which is easy to overlook',
    ),
  ];
}

function* allLists(policy: ParsedPolicy): Generator<PolicyRequirementList> {
  yield policy.defaultRequirements;
  for (const transport of policy.transports.values()) yield* transport.scopes.values();
}

function checkScopes(policy: ParsedPolicy): PolicyLintFinding[] {
  const findings: PolicyLintFinding[] = [];
  for (const [transport, scopes] of policy.transports) {
    for (const [scope, list] of scopes.scopes) {
      const acceptsAnything = list.requirements.some((r) => r.type === "insecureAcceptAnything") && list.requirements.every((r) => r.type === "insecureAcceptAnything");
      if (REGISTRY_TRANSPORTS.has(transport)) {
        const never = neverMatches(transport, scope);
        if (never !== undefined) findings.push(at(list.location, never.severity, "scope-never-matches", never.message));
        if (acceptsAnything && (scope === "" || scope.startsWith("*.") || !scope.includes("/"))) {
          const what = scope === "" ? `every ${transport} image no other scope names` : scope.startsWith("*.") ? `every image from any host under ${scope.slice(2)}` : `every image from the registry ${scope}`;
          findings.push(at(list.location, "warning", "accept-anything-broad", `insecureAcceptAnything accepts ${what} without any signature`));
        }
        const parent = shadowedParent(policy, transport, scope);
        if (parent !== undefined && acceptsAnything && requiresSignatures(parent.list)) {
          findings.push(
            at(
              list.location,
              "warning",
              "shadowed-scope",
              `this scope replaces the signature requirements of ${parent.name} for the images it names (only the most specific scope applies): they are accepted unsigned`,
            ),
          );
        } else if (parent !== undefined && sameRequirements(parent.list, list)) {
          findings.push(at(list.location, "info", "redundant-scope", `this scope has the same requirements as ${parent.name}, which already covers it`));
        }
      }
    }
  }
  return findings;
}

/**
 * Why a syntactically valid docker scope can never be looked up, or a note when it likely does not mean what it
 * seems to. Images are looked up by their fully expanded name ("docker.io/library/busybox:latest"), so a short
 * name, "index.docker.io", or a host that is not a registry host never matches.
 */
function neverMatches(transport: string, scope: string): { severity: LintSeverity; message: string } | undefined {
  if (scope === "" || scope.startsWith("*.")) return undefined;
  if (!scope.includes("/")) {
    const host = scope.startsWith("[") ? scope : scope.split(":")[0]!;
    if (host.includes(".") || scope.includes(":") || host === "localhost") {
      return undefined; // any spelling of a registry (case, :443, index.docker.io) is looked up canonically
    }
    return {
      severity: "warning",
      message: `scope ${JSON.stringify(scope)} never matches: a name without a dot or port (other than localhost) is not a registry host, so ${scope}/app means docker.io/${scope}/app; write ${JSON.stringify(`docker.io/${scope}`)} for that namespace`,
    };
  }
  const reference = tryParseDockerReference(scope);
  if (reference === undefined) return undefined;
  if (reference.tag !== undefined && reference.digest !== undefined) {
    return { severity: "warning", message: `scope ${JSON.stringify(scope)} has both a tag and a digest; images are never looked up that way, so it never matches` };
  }
  const named = reference.tag !== undefined || reference.digest !== undefined;
  const expanded = named ? dockerPolicyIdentity(transport, reference).identity : repositoryName(toPolicyReference(reference));
  if (expanded === canonicalScope(transport, scope)) return undefined;
  const single = /^docker\.io\/[^/:@]+$/.test(scope);
  if (single) {
    // "docker.io/busybox" is a namespace (docker.io/busybox/…), not the official image docker.io/library/busybox.
    return { severity: "info", message: `scope ${JSON.stringify(scope)} covers images under ${scope}/…, not the official image ${expanded}; write ${JSON.stringify(expanded)} for that` };
  }
  return { severity: "warning", message: `scope ${JSON.stringify(scope)} never matches: images are looked up by their fully expanded name; write ${JSON.stringify(expanded)}` };
}

/** The scopes that would apply to the images of `scope` if it were removed, most specific first. */
function parentScopes(scope: string): string[] {
  if (scope === "") return [];
  if (scope.startsWith("*.")) return dockerReferenceNamespaces(`${scope.slice(2)}/x`).filter((c) => c.startsWith("*.")).slice(1);
  if (!scope.includes("/")) return dockerReferenceNamespaces(`${scope}/x`).filter((c) => c.startsWith("*."));
  const reference = tryParseDockerReference(scope);
  if (reference === undefined) return [];
  const namespaces = dockerReferenceNamespaces(`${reference.registry}/${reference.repository}`);
  return namespaces.filter((c) => c !== scope);
}

/** The configured scope (or default) that `scope` overrides for the images it names. */
function shadowedParent(policy: ParsedPolicy, transport: string, scope: string): { name: string; list: PolicyRequirementList } | undefined {
  const scopes = policy.transports.get(transport)!.scopes;
  for (const parent of parentScopes(scope)) {
    const list = scopes.get(parent);
    if (list !== undefined) return { name: `scope ${JSON.stringify(parent)}`, list };
  }
  const transportDefault = scope === "" ? undefined : scopes.get("");
  if (transportDefault !== undefined) return { name: `the ${transport} default scope ""`, list: transportDefault };
  return { name: 'the global "default"', list: policy.defaultRequirements };
}

function requiresSignatures(list: PolicyRequirementList): boolean {
  return list.requirements.some(
    (r) => r.type === "signedBy" || r.type === "sigstoreSigned" || r.type === "notationSigned" || r.type === "signetThreshold" || r.type === "signetDockerContentTrust" || r.type === "reject",
  );
}

function sameRequirements(a: PolicyRequirementList, b: PolicyRequirementList): boolean {
  const strip = (list: PolicyRequirementList): string => JSON.stringify(list.requirements, (key, value: unknown) => (key === "location" ? undefined : value));
  return strip(a) === strip(b);
}

function checkRequirements(policy: ParsedPolicy): PolicyLintFinding[] {
  const findings: PolicyLintFinding[] = [];
  for (const list of allLists(policy)) {
    const registryScope = list.transport === undefined || REGISTRY_TRANSPORTS.has(list.transport);
    for (const requirement of list.requirements) appendAll(findings, checkRequirement(requirement, registryScope, list));
  }
  return findings;
}

function checkRequirement(requirement: PolicyRequirementConfig, registryScope: boolean, list: PolicyRequirementList): PolicyLintFinding[] {
  const findings: PolicyLintFinding[] = [];
  const location = requirement.location;
  switch (requirement.type) {
    case "signedBaseLayer":
      findings.push(at(location, "warning", "unsupported", "signedBaseLayer is not implemented (by containers/image either): it rejects every image"));
      break;
    case "signedBy":
      if (requirement.keyType !== "GPGKeys") {
        findings.push(at(location, "warning", "unsupported", `keyType ${requirement.keyType} is not implemented (by containers/image either): this requirement rejects every image`));
      }
      break;
    case "sigstoreSigned":
      if (requirement.pki !== undefined) {
        findings.push(at(location, "warning", "unsupported", "sigstoreSigned with pki is not supported by signet yet: this requirement rejects every image"));
      }
      if (requirement.signedIdentity.type === "matchRepoDigestOrExact" && registryScope) {
        findings.push(
          at(
            requirement.signedIdentity.location,
            "info",
            "cosign-identity",
            'cosign writes only the repository in its signatures, so they satisfy matchRepoDigestOrExact only for images pulled by digest; add "signedIdentity": {"type": "matchRepository"} to accept cosign signatures for tags',
          ),
        );
      }
      break;
    case "signetThreshold":
      findings.push(at(location, "info", "signet-extension", "signetThreshold is signet's extension: containers/image (skopeo, podman, CRI-O) refuses a policy that uses it, so keep this policy for signet and its webhook"));
      break;
    case "notationSigned":
      findings.push(at(location, "info", "signet-extension", "notationSigned is a signet extension: skopeo, podman and CRI-O reject a policy that uses it, so keep such policies for signet (policy verify, the webhook)"));
      if (!registryScope && requirement.scope === undefined) {
        findings.push(at(location, "warning", "notation-needs-scope", `${list.transport} images have no registry name to choose a trust policy statement by: add "scope": "REGISTRY/REPOSITORY", or every image is rejected`));
      }
      break;
    default:
      break;
  }
  if ((requirement.type === "signedBy" || requirement.type === "sigstoreSigned") && !registryScope) {
    const identity = requirement.signedIdentity.type;
    if (identity !== "exactReference" && identity !== "exactRepository") {
      findings.push(
        at(
          requirement.signedIdentity.defaulted === true ? location : requirement.signedIdentity.location,
          "warning",
          "identity-needs-registry-name",
          `signedIdentity ${identity}${requirement.signedIdentity.defaulted === true ? " (the default)" : ""} compares with the image's registry name, which ${list.transport} images do not have: every image is rejected; use exactReference or exactRepository`,
        ),
      );
    }
  }
  return findings;
}

/** Reads and parses every key, as compilePolicy would, and reports the ones that cannot be used. */
async function checkKeys(policy: ParsedPolicy, readKey: KeyReader | undefined): Promise<PolicyLintFinding[]> {
  const fileReader = createLocationReader();
  const remote = (location: string): boolean => location.startsWith(KBS_SCHEME) || location.startsWith(K8S_SCHEME);
  const skipped: PolicyLintFinding[] = [];
  const loader = new KeyLoader(readKey ?? fileReader);
  const findings: PolicyLintFinding[] = [];
  const check = async (source: KeySourceConfig, kind: "gpg" | "pem", describe: string): Promise<void> => {
    if (readKey === undefined && (source.kind === "path" || source.kind === "paths")) {
      const paths = source.kind === "path" ? [source.path] : source.paths;
      const remotes = paths.filter(remote);
      if (remotes.length > 0) {
        skipped.push(at(source.location, "info", "key-not-checked", `${remotes.join(", ")} not checked: reading kbs:// and k8s:// locations needs --kbs-url or --kubeconfig`));
        if (remotes.length === paths.length) return;
      }
    }
    const parse = kind === "gpg" ? (bytes: Buffer): Promise<unknown> => parseGpgKeyring(bytes) : (bytes: Buffer): unknown => parsePublicKeyPem(bytes);
    const result = await loader.parseEach<unknown>(kind, filterRemote(source, readKey === undefined ? remote : () => false), parse, describe);
    if (!result.ok) findings.push(at(source.location, "error", result.failure.code === "POLICY_KEY_UNREADABLE" ? "unreadable-key" : "invalid-key", result.failure.problem));
  };
  for (const list of allLists(policy)) {
    for (const requirement of list.requirements) {
      if (requirement.type === "signedBy" && requirement.keyType === "GPGKeys") await check(requirement.keys, "gpg", "an OpenPGP public keyring");
      if (requirement.type === "sigstoreSigned" && requirement.keys !== undefined) await check(requirement.keys, "pem", "a PEM public key");
      if (requirement.type === "signetThreshold") {
        for (const { requirement: signer } of requirement.signers) {
          if (signer.type === "signedBy" && signer.keyType === "GPGKeys") await check(signer.keys, "gpg", "an OpenPGP public keyring");
          if (signer.type === "sigstoreSigned" && signer.keys !== undefined) await check(signer.keys, "pem", "a PEM public key");
        }
      }
    }
  }
  return [...findings, ...dedupe(skipped)];
}

function filterRemote(source: KeySourceConfig, isRemote: (location: string) => boolean): KeySourceConfig {
  if (source.kind === "paths") return { ...source, paths: source.paths.filter((p) => !isRemote(p)) };
  return source;
}

function dedupe(findings: PolicyLintFinding[]): PolicyLintFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.line}:${f.column}:${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** True when lint found no errors (warnings and notes allowed). */
export function lintPassed(findings: readonly PolicyLintFinding[]): boolean {
  return !findings.some((f) => f.severity === "error");
}
