/**
 * Which requirements apply to an image: containers/image's requirementsForImageRef. A transport names an image
 * by one identity and a list of ever wider namespaces; the first of them configured as a scope wins, then the
 * transport's "" scope, then the global default. Each candidate is one Map lookup, so the cost grows with the
 * depth of the image name, never with the number of scopes in the policy.
 */
import { SignetError } from "../errors/index.js";
import { canonicalRegistry, formatImageReference, repositoryName, toPolicyReference, type ImageReference } from "../oci/reference/index.js";

/** How a transport names an image for policy lookup (PolicyConfigurationIdentity / PolicyConfigurationNamespaces). */
export interface PolicyImageIdentity {
  readonly transport: string;
  /** The most specific scope that names this image, e.g. "docker.io/library/busybox:latest" or "/srv/layouts/app". */
  readonly identity: string;
  /** Ever wider scopes containing the image, most specific first (may repeat the identity, as upstream's oci does). */
  readonly namespaces: readonly string[];
  /** The repository, for explaining docker matches. */
  readonly repository?: string;
}

export type ScopeMatchKind = "image" | "repository" | "namespace" | "registry" | "wildcard" | "directory" | "transport-default" | "default";

export interface ScopeMatch<T> {
  /** undefined when the global default applied. */
  readonly transport: string | undefined;
  /** The matched scope: a string of the transport ("" = its default), or undefined for the global default. */
  readonly scope: string | undefined;
  readonly kind: ScopeMatchKind;
  /** Why this scope applies, in words. */
  readonly reason: string;
  readonly entry: T;
}

/** The shape lookupScope reads: a parsed or compiled policy. */
export interface ScopeTable<T> {
  readonly defaultEntry: T;
  readonly transports: ReadonlyMap<string, ReadonlyMap<string, T>>;
}

/** Finds the requirements for an image, most specific scope first, as containers/image does. */
export function lookupScope<T>(table: ScopeTable<T>, image: PolicyImageIdentity): ScopeMatch<T> {
  const scopes = table.transports.get(image.transport);
  if (scopes !== undefined) {
    const exact = scopes.get(image.identity);
    if (exact !== undefined) return match(image, image.identity, exact);
    for (const namespace of image.namespaces) {
      const entry = scopes.get(namespace);
      if (entry !== undefined) return match(image, namespace, entry);
    }
    const transportDefault = scopes.get("");
    if (transportDefault !== undefined) {
      return {
        transport: image.transport,
        scope: "",
        kind: "transport-default",
        reason: `no scope of the ${image.transport} transport names ${image.identity} or a namespace of it, so the transport's default scope "" applies`,
        entry: transportDefault,
      };
    }
  }
  return {
    transport: undefined,
    scope: undefined,
    kind: "default",
    reason:
      scopes === undefined
        ? `the policy configures nothing for the ${image.transport} transport, so the global "default" applies`
        : `no scope of the ${image.transport} transport names ${image.identity} or a namespace of it, and there is no "" scope, so the global "default" applies`,
    entry: table.defaultEntry,
  };
}

function match<T>(image: PolicyImageIdentity, scope: string, entry: T): ScopeMatch<T> {
  const kind = kindOf(image, scope);
  return { transport: image.transport, scope, kind, reason: describeMatch(image, scope, kind), entry };
}

function kindOf(image: PolicyImageIdentity, scope: string): ScopeMatchKind {
  if (image.repository === undefined) return scope === image.identity ? "image" : "directory";
  if (scope === image.identity) return "image";
  if (scope === image.repository) return "repository";
  if (scope.startsWith("*.")) return "wildcard";
  if (!scope.includes("/")) return "registry";
  return "namespace";
}

function describeMatch(image: PolicyImageIdentity, scope: string, kind: ScopeMatchKind): string {
  const quoted = JSON.stringify(scope);
  switch (kind) {
    case "image":
      return `scope ${quoted} names this exact image`;
    case "repository":
      return `scope ${quoted} is the image's repository (no scope names the exact image)`;
    case "namespace":
      return `scope ${quoted} is a namespace containing ${image.repository} (no more specific scope is configured)`;
    case "registry":
      return `scope ${quoted} is the image's registry (no repository or namespace scope is configured)`;
    case "wildcard":
      return `wildcard scope ${quoted} matches the registry host of ${image.repository} (no more specific scope is configured)`;
    case "directory":
      return `scope ${quoted} is a directory containing ${image.identity} (no more specific scope is configured)`;
    default:
      return `scope ${quoted} applies`;
  }
}

/**
 * The identity and namespaces of an image in a registry (docker, atomic, docker-daemon): containers/image's
 * DockerReferenceIdentity and DockerReferenceNamespaces. "busybox:latest" is "docker.io/library/busybox:latest";
 * namespaces go up the path on "/" boundaries, then the host[:port], then "*.domain" wildcards for each parent
 * domain of the host (without the port), most specific first.
 */
export function dockerPolicyIdentity(transport: string, written: ImageReference): PolicyImageIdentity {
  // Matched in the canonical spelling (lower-case host, no default port, docker.io for Docker Hub's aliases),
  // as the scopes are (canonicalDockerScope): "LOCALHOST:5000/app" cannot escape a "localhost:5000" scope.
  const reference = toPolicyReference(written);
  if (reference.tag !== undefined && reference.digest !== undefined) {
    throw new SignetError("REF_INVALID", `${formatImageReference(reference)} has both a tag and a digest; policy evaluation (as containers/image) needs one or the other`, {
      hint: "Name the image by digest (REPO@sha256:…) or by tag, not both.",
      details: { reference: formatImageReference(reference) },
    });
  }
  if (reference.tag === undefined && reference.digest === undefined) {
    throw new SignetError("REF_INVALID", `${formatImageReference(reference)} names neither a tag nor a digest`);
  }
  const repository = repositoryName(reference);
  return { transport, identity: formatImageReference(reference), namespaces: dockerReferenceNamespaces(repository), repository };
}

/** Transports whose scopes name registries (containers-policy.json(5)): their scopes are canonicalised. */
const REGISTRY_SCOPED_TRANSPORTS: ReadonlySet<string> = new Set(["docker", "atomic"]);

/**
 * A scope as it is looked up: for registry transports the registry part in its canonical spelling
 * (canonicalRegistry), the rest as written, so `Registry.Example.com:443/team` governs what
 * `registry.example.com/team/app` names. Other transports' scopes are returned unchanged.
 */
export function canonicalScope(transport: string, scope: string): string {
  if (!REGISTRY_SCOPED_TRANSPORTS.has(transport) || scope === "") return scope;
  if (scope.startsWith("*.")) return scope.toLowerCase();
  const slash = scope.indexOf("/");
  return slash === -1 ? canonicalRegistry(scope) : canonicalRegistry(scope.slice(0, slash)) + scope.slice(slash);
}

/** The namespaces of a repository name "host[:port]/a/b": itself, "host[:port]/a", "host[:port]", "*.parent.domain"… */
export function dockerReferenceNamespaces(repository: string): string[] {
  const namespaces: string[] = [];
  let name = repository;
  for (;;) {
    namespaces.push(name);
    const slash = name.lastIndexOf("/");
    if (slash === -1) break;
    name = name.slice(0, slash);
  }
  // name is now the host[:port]; wildcards are built from the host without the port.
  let host = name.startsWith("[") ? name.slice(0, name.indexOf("]") + 1) : name.split(":")[0]!;
  for (;;) {
    const dot = host.indexOf(".");
    if (dot === -1 || host.startsWith("[")) break;
    host = host.slice(dot + 1);
    namespaces.push(`*.${host}`);
  }
  return namespaces;
}

/**
 * The identity and namespaces of an image named by a directory (oci, dir, oci-archive, sif): the resolved absolute
 * path, then each parent directory up to but excluding "/".
 */
export function pathPolicyIdentity(transport: string, resolvedPath: string): PolicyImageIdentity {
  const namespaces: string[] = [];
  let path = resolvedPath;
  for (;;) {
    const slash = path.lastIndexOf("/");
    if (slash === -1 || path === "/") break;
    namespaces.push(path);
    path = path.slice(0, slash);
  }
  return { transport, identity: resolvedPath, namespaces };
}
