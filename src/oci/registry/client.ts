import { createAuthenticator, withAuth } from "./auth.js";
import { createCredentialStore, type CredentialStore } from "./credentials.js";
import { parseRegistryHost, type SchemePolicy } from "./endpoint.js";
import { createRegistryHttp } from "./registry-http.js";
import { createRegistryRepository, type RegistryRepository } from "./registry-repository.js";
import { createAgents, createBaseRoundTrip, withRedirects, withRetries, type RequestCounter } from "./transport.js";

export interface RegistryClientOptions {
  /**
   * Where credentials come from. Default: the auth files Docker, podman and skopeo use (createCredentialStore());
   * NO_CREDENTIALS for anonymous access.
   */
  readonly credentials?: CredentialStore;
  /** Plain HTTP to registries off loopback (tried after HTTPS fails). */
  readonly allowHttpRegistry?: boolean;
  /** Skip TLS certificate checks; also allows plain HTTP. */
  readonly allowInsecureRegistry?: boolean;
  /** Use http:// without trying HTTPS; refused off loopback unless HTTP is allowed. */
  readonly plainHttp?: boolean;
  /** PEM certificates trusted in addition to Node's CAs (--registry-cacert). */
  readonly caCertificates?: readonly string[];
  /** Time for one request, all of it (connection, retries, redirects, tokens, body). Default 30 s. */
  readonly timeoutMs?: number;
  /** Retries of 429/502/503/504 and of reset GET/HEAD connections. Default 3. */
  readonly retries?: number;
  /** First backoff delay, doubled per retry. Default 100 ms. */
  readonly retryBaseDelayMs?: number;
  /** A Retry-After longer than this is not waited for. Default 10 s. */
  readonly maxRetryAfterMs?: number;
  readonly userAgent?: string;
  /** Tags asked for per page. Default 1000. */
  readonly tagPageSize?: number;
  /** Most tags listTags returns before COUNT_LIMIT_EXCEEDED. Default 100,000. */
  readonly maxTags?: number;
}

export interface RegistryClientStats {
  /** HTTP requests sent, including token requests, redirects and retries. */
  readonly requests: number;
}

export interface RegistryClient {
  /** A repository of a registry (host[:port], e.g. "ghcr.io", "127.0.0.1:5000"); names are checked here. */
  repository(registry: string, repository: string): RegistryRepository;
  /** Checks that a registry answers `GET /v2/` with the credentials at hand. */
  ping(registry: string): Promise<void>;
  /** The repositories of a registry (`GET /v2/_catalog`, paginated); more than `maxRepositories` is COUNT_LIMIT_EXCEEDED. */
  listRepositories(registry: string, maxRepositories: number): Promise<string[]>;
  readonly stats: RegistryClientStats;
  /** Closes the connection pools; the client cannot be used afterwards. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;

/**
 * A registry client: keep-alive connection pools (node:http/https agents) wrapped in layers, as go-containerregistry
 * does: redirects (outermost) -> auth -> retries -> HTTP. Token and scheme caches live in the client.
 */
export function createRegistryClient(options: RegistryClientOptions = {}): RegistryClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policy: SchemePolicy = {
    allowHttpRegistry: options.allowHttpRegistry === true,
    allowInsecureRegistry: options.allowInsecureRegistry === true,
    plainHttp: options.plainHttp === true,
  };
  const counter: RequestCounter = { requests: 0 };
  const agents = createAgents({ timeoutMs, allowInsecureRegistry: options.allowInsecureRegistry === true, ...(options.caCertificates ? { caCertificates: options.caCertificates } : {}) });
  const base = createBaseRoundTrip(agents, { userAgent: options.userAgent ?? "signet", counter });
  const retrying = withRetries(base, {
    retries: options.retries ?? DEFAULT_RETRIES,
    baseDelayMs: options.retryBaseDelayMs ?? 100,
    maxDelayMs: 5_000,
    retryAfterCapMs: options.maxRetryAfterMs ?? 10_000,
  });
  const authenticator = createAuthenticator({
    credentials: options.credentials ?? createCredentialStore(),
    tokenRoundTrip: withRedirects(retrying, policy),
    schemePolicy: policy,
  });
  const authenticated = withRedirects(withAuth(retrying, authenticator), policy);
  const http = createRegistryHttp({ policy, timeoutMs, authenticated, base });
  const repositoryOptions = { tagPageSize: options.tagPageSize ?? 1000, maxTags: options.maxTags ?? 100_000 };

  return {
    repository(registry, repository) {
      return createRegistryRepository(http, parseRegistryHost(registry), repository, repositoryOptions);
    },
    async ping(registry) {
      const host = parseRegistryHost(registry);
      // Any valid name serves: ping does not touch the repository.
      await createRegistryRepository(http, host, "ping", repositoryOptions).ping();
    },
    listRepositories(registry, maxRepositories) {
      // The catalog belongs to no repository; any valid name serves to reach the registry (as for ping).
      return createRegistryRepository(http, parseRegistryHost(registry), "catalog", repositoryOptions).listCatalog(maxRepositories);
    },
    get stats() {
      return { requests: counter.requests };
    },
    async close() {
      agents.close();
    },
  };
}
