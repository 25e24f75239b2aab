/**
 * The transports containers-policy.json(5) knows, and what a scope of each may look like. A scope that a
 * transport cannot produce is refused when the policy is loaded, so that a typo does not silently leave images
 * under the (more permissive) transport default.
 */
import { posix } from "node:path";
import { SignetError } from "../../errors/index.js";
import { isDigest } from "../../internal/digest.js";
import { parseNormalizedName } from "../../oci/reference/index.js";

export type ScopeSyntax = "docker" | "path" | "containers-storage" | "default-only" | "docker-daemon" | "any";

/** Every transport containers/image registers (ostree is a stub kept so that old policies still load). */
export const POLICY_TRANSPORTS: ReadonlyMap<string, ScopeSyntax> = new Map<string, ScopeSyntax>([
  ["docker", "docker"],
  ["atomic", "docker"],
  ["docker-daemon", "docker-daemon"],
  ["containers-storage", "containers-storage"],
  ["dir", "path"],
  ["oci", "path"],
  ["oci-archive", "path"],
  ["sif", "path"],
  ["docker-archive", "default-only"],
  ["tarball", "default-only"],
  ["ostree", "any"],
]);

export function isPolicyTransport(name: string): boolean {
  return POLICY_TRANSPORTS.has(name);
}

/** Why `scope` cannot be a scope of `transport`, or undefined when it can. `""` (the transport default) always can. */
export function scopeSyntaxProblem(transport: string, scope: string): string | undefined {
  if (scope === "") return undefined;
  switch (POLICY_TRANSPORTS.get(transport)) {
    case "docker":
      return dockerScopeProblem(scope);
    case "docker-daemon":
      if (isDigest(scope) || /^[a-z0-9]+:[a-f0-9]+$/.test(scope)) return "an image ID (algo:digest) cannot be used as a docker-daemon scope";
      return dockerScopeProblem(scope);
    case "path":
      return pathScopeProblem(scope);
    case "containers-storage":
      return storageScopeProblem(scope);
    case "default-only":
      return `the ${transport} transport supports only the default scope ""`;
    case "any":
      return undefined;
    case undefined:
      return `unknown transport ${JSON.stringify(transport)}`;
  }
}

/**
 * docker scopes: `host[:port]`, a namespace or repository under it, a repository with `:tag` or `@digest`, or
 * `*.domain` (all subdomains of domain, any port). Anything else, a malformed wildcard in particular, is refused.
 */
export function dockerScopeProblem(scope: string): string | undefined {
  if (scope.startsWith("*.")) {
    const domain = scope.slice(2);
    if (!WILDCARD_DOMAIN.test(domain)) {
      return `wildcard scope ${JSON.stringify(scope)} is malformed: write "*." followed by a domain name, e.g. *.example.com (no port, path, or other "*")`;
    }
    return undefined;
  }
  if (scope.includes("*")) {
    return `"*" is allowed only as the whole first label of a wildcard scope, as in *.example.com; ${JSON.stringify(scope)} is not one`;
  }
  if (scope.endsWith("/")) return `scope ${JSON.stringify(scope)} ends with "/"; write the namespace without it`;
  const slash = scope.indexOf("/");
  // A bare host[:port] is checked as the registry part of a reference (it cannot carry a tag or digest).
  const asReference = slash === -1 ? `${scope}/x` : scope;
  if (slash === -1 && scope.includes("@")) return `a registry scope cannot carry a digest: ${JSON.stringify(scope)}`;
  try {
    parseNormalizedName(asReference);
  } catch (error) {
    if (SignetError.is(error)) return `scope ${JSON.stringify(scope)} is not a registry, namespace, repository or image reference: ${stripPrefix(error.message)}`;
    throw error;
  }
  return undefined;
}

function pathScopeProblem(scope: string): string | undefined {
  if (!scope.startsWith("/")) return `scope ${JSON.stringify(scope)} must be an absolute path`;
  if (scope === "/") return 'the scope "/" is not allowed; use the transport default scope ""';
  const cleaned = cleanPath(scope);
  if (cleaned !== scope) return `scope ${JSON.stringify(scope)} is not in canonical form; write ${JSON.stringify(cleaned)}`;
  return undefined;
}

/** Go's filepath.Clean for absolute POSIX paths: no ".", "..", doubled or trailing "/". */
export function cleanPath(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

/** `[driver@/graph/root]image-scope` or `[/graph/root]image-scope`, as containers/image's storage transport checks. */
function storageScopeProblem(scope: string): string | undefined {
  if (!scope.startsWith("[")) return `containers-storage scope ${JSON.stringify(scope)} must start with a store specifier such as [overlay@/var/lib/containers/storage]`;
  const close = scope.indexOf("]");
  if (close < 1) return `containers-storage scope ${JSON.stringify(scope)} has no closing "]"`;
  const store = scope.slice(1, close);
  const at = store.indexOf("@");
  const root = at === -1 ? store : store.slice(at + 1);
  if ((at !== -1 && (store.slice(0, at) === "" || root === "")) || root === "") return `store specifier [${store}] is malformed`;
  if (!root.startsWith("/")) return `the graph root in [${store}] must be an absolute path`;
  const rest = scope.slice(close + 1);
  if (rest === "") return undefined;
  const fields = rest.split("@");
  if (fields.length > 3) return `containers-storage scope ${JSON.stringify(scope)} has too many "@"`;
  const isId = (text: string): boolean => /^[a-f0-9]{64}$/.test(text);
  if (fields.length === 2 && !isId(fields[1]!) && !isDigest(fields[1]!)) return `${JSON.stringify(fields[1])} is neither a digest nor an image ID`;
  if (fields.length === 3 && (!isDigest(fields[1]!) || !isId(fields[2]!))) return `${JSON.stringify(rest)} is not name@digest@image-id`;
  return undefined;
}

const LABEL = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const WILDCARD_DOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

function stripPrefix(message: string): string {
  const at = message.indexOf(": ");
  return at === -1 ? message : message.slice(at + 2);
}
