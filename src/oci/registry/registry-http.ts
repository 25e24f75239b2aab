import { SignetError } from "../../errors/index.js";
import { planScheme, type SchemePlan, type SchemePolicy } from "./endpoint.js";
import { exchange, isTlsReason, type AuthTarget, type ExchangeContext, type HttpRequest, type HttpResponse, type RoundTrip } from "./transport.js";

/** The HTTP stack of one client, shared by its repositories. */
export interface RegistryHttp {
  readonly policy: SchemePolicy;
  readonly timeoutMs: number;
  /** The origin serving a registry's API; the scheme is decided once per registry. */
  originFor(registry: string): Promise<string>;
  /** One logical request to a registry, authenticated for `scopes`, answered by `handle` within the time limit. */
  send<T>(
    request: HttpRequest,
    auth: { readonly target: AuthTarget; readonly scopes: readonly string[] },
    handle: (response: HttpResponse, context: ExchangeContext) => Promise<T>,
  ): Promise<T>;
}

export interface RegistryHttpParts {
  readonly policy: SchemePolicy;
  readonly timeoutMs: number;
  /** The full stack: redirects, auth, retries, undici. */
  readonly authenticated: RoundTrip;
  /** undici alone, for probing which scheme a registry speaks. */
  readonly base: RoundTrip;
  /** Decides the scheme per registry; planScheme unless a test needs to reach loopback as if it were remote. */
  readonly planScheme?: (registry: string, policy: SchemePolicy) => SchemePlan;
}

export function createRegistryHttp(parts: RegistryHttpParts): RegistryHttp {
  const origins = new Map<string, Promise<string>>();

  async function probe(httpsOrigin: string, httpOrigin: string): Promise<string> {
    try {
      await exchange(parts.base, { method: "GET", url: new URL("/v2/", httpsOrigin) }, { timeoutMs: parts.timeoutMs }, async () => undefined);
      return httpsOrigin;
    } catch (error) {
      const reason = SignetError.is(error) ? String(error.details.reason) : "";
      if (SignetError.is(error) && error.code === "REGISTRY_UNREACHABLE" && (reason === "ECONNREFUSED" || isTlsReason(reason))) return httpOrigin;
      throw error;
    }
  }

  return {
    policy: parts.policy,
    timeoutMs: parts.timeoutMs,
    originFor(registry) {
      const known = origins.get(registry);
      if (known !== undefined) return known;
      const plan = (parts.planScheme ?? planScheme)(registry, parts.policy);
      const origin = plan.kind === "fixed" ? Promise.resolve(plan.origin) : probe(plan.httpsOrigin, plan.httpOrigin);
      origins.set(registry, origin);
      origin.catch(() => origins.delete(registry));
      return origin;
    },
    send(request, auth, handle) {
      return exchange(parts.authenticated, request, { timeoutMs: parts.timeoutMs, auth }, handle);
    },
  };
}
