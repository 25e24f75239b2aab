import { BlockList, isIPv4, isIPv6 } from "node:net";
import { SignetError } from "../../errors/index.js";

/** How the client may reach registries that are not on loopback. */
export interface SchemePolicy {
  /** Plain HTTP is acceptable (a registry without TLS). */
  readonly allowHttpRegistry?: boolean;
  /** TLS certificates are not checked; also allows plain HTTP. */
  readonly allowInsecureRegistry?: boolean;
  /** Use http:// for every registry instead of trying HTTPS first. Refused off loopback without one of the above. */
  readonly plainHttp?: boolean;
}

/** Where a registry's API is and how to reach it. */
export type SchemePlan =
  | { readonly kind: "fixed"; readonly origin: string }
  /** Try HTTPS; if no TLS connection can be made, use HTTP (what Docker does for insecure registries). */
  | { readonly kind: "https-then-http"; readonly httpsOrigin: string; readonly httpOrigin: string };

const HOSTNAME = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*";
const REGISTRY_PATTERN = new RegExp(`^(?:${HOSTNAME}|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?$`);
const DOCKER_HUB_NAMES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);
const DOCKER_HUB_API_HOST = "registry-1.docker.io";

/**
 * Checks a registry name (host[:port], IPv6 in brackets) and returns its normalised URL host, lower case.
 * Nothing else (user info, path, query) can ride along into a URL.
 */
export function parseRegistryHost(untrustedRegistry: string): string {
  let url: URL | undefined;
  if (REGISTRY_PATTERN.test(untrustedRegistry)) {
    try {
      url = new URL(`http://${untrustedRegistry}/`);
    } catch {
      url = undefined;
    }
  }
  if (url === undefined || url.pathname !== "/" || url.username !== "" || (url.port !== "" && Number(url.port) === 0)) {
    throw new SignetError("REF_INVALID", `invalid registry ${JSON.stringify(untrustedRegistry.slice(0, 300))}`, {
      details: { registry: untrustedRegistry.slice(0, 300) },
    });
  }
  const port = /:([0-9]{1,5})$/.exec(untrustedRegistry)?.[1];
  // URL drops default ports (":80"); keep what the user wrote so the registry stays the one they named.
  return port !== undefined && url.port === "" ? `${url.hostname}:${port}` : url.host;
}

/** The API host of a registry: Docker Hub's images are named docker.io but served by registry-1.docker.io. */
export function apiHostFor(registryHost: string): string {
  return DOCKER_HUB_NAMES.has(registryHost) ? DOCKER_HUB_API_HOST : registryHost;
}

export function isDockerHub(registryHost: string): boolean {
  return DOCKER_HUB_NAMES.has(registryHost);
}

/** localhost, 127.0.0.0/8 and ::1 (also IPv4-mapped): plain HTTP there never leaves the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  if (bare.toLowerCase() === "localhost") return true;
  if (isIPv4(bare)) return loopbackAddresses().check(bare, "ipv4");
  if (isIPv6(bare)) return loopbackAddresses().check(bare, "ipv6");
  return false;
}

let loopback: BlockList | undefined;
/** Made once: every request's URL is checked, and a BlockList costs more to build than to ask. */
function loopbackAddresses(): BlockList {
  if (loopback === undefined) {
    loopback = new BlockList();
    loopback.addSubnet("127.0.0.0", 8, "ipv4");
    loopback.addAddress("::1", "ipv6");
  }
  return loopback;
}

function hostnameOf(host: string): string {
  return new URL(`http://${host}/`).hostname;
}

/** Decides the scheme for a registry's API, or throws REGISTRY_INSECURE_REFUSED. */
export function planScheme(registryHost: string, policy: SchemePolicy): SchemePlan {
  const apiHost = apiHostFor(registryHost);
  if (isLoopbackHost(hostnameOf(apiHost))) return { kind: "fixed", origin: `http://${apiHost}` };
  const httpAllowed = policy.allowHttpRegistry === true || policy.allowInsecureRegistry === true;
  if (policy.plainHttp === true) {
    if (!httpAllowed) throw insecureRefused(`http://${apiHost}`);
    return { kind: "fixed", origin: `http://${apiHost}` };
  }
  if (httpAllowed) return { kind: "https-then-http", httpsOrigin: `https://${apiHost}`, httpOrigin: `http://${apiHost}` };
  return { kind: "fixed", origin: `https://${apiHost}` };
}

/**
 * Checks a URL the registry pointed us to (a redirect, a token realm, an upload location): HTTPS, or HTTP on
 * loopback or when plain HTTP is allowed. Throws REGISTRY_INSECURE_REFUSED or REGISTRY_PROTOCOL.
 */
export function checkUrlScheme(url: URL, policy: SchemePolicy): void {
  if (url.protocol === "https:") return;
  if (url.protocol !== "http:") {
    throw new SignetError("REGISTRY_PROTOCOL", `the registry sent a URL with the unsupported scheme ${JSON.stringify(url.protocol)}`, {
      details: { scheme: url.protocol },
    });
  }
  if (isLoopbackHost(url.hostname) || policy.allowHttpRegistry === true || policy.allowInsecureRegistry === true) return;
  throw insecureRefused(`${url.protocol}//${url.host}`);
}

function insecureRefused(origin: string): SignetError {
  return new SignetError("REGISTRY_INSECURE_REFUSED", `refusing plain HTTP to ${origin}, which is not on loopback`, {
    details: { origin },
  });
}
