import { SignetError } from "../../errors/index.js";
import { LIMITS } from "../../internal/limits.js";
import { isRecord } from "../../internal/strict-json.js";
import type { CredentialStore, RegistryCredentials } from "./credentials.js";
import { checkUrlScheme, type SchemePolicy } from "./endpoint.js";
import { describeUrl } from "./redact.js";
import { registryErrorFromResponse } from "./response-error.js";
import { discard, readBody, readCapped, type AuthTarget, type ExchangeContext, type HttpRequest, type RoundTrip } from "./transport.js";
import { parseWwwAuthenticate, type AuthChallenge } from "./www-authenticate.js";

/** Decides the Authorization header of requests to a registry, learning from its 401 answers. */
export interface Authenticator {
  /** The header to send now, from what earlier challenges taught us; undefined before any challenge. */
  authorization(target: AuthTarget, scopes: readonly string[], context: ExchangeContext): Promise<string | undefined>;
  /**
   * Answers a 401: learns its challenge and returns the header to retry with, or undefined when there is nothing
   * better to send (no credentials, or the same ones were already refused).
   */
  answerChallenge(
    target: AuthTarget,
    scopes: readonly string[],
    wwwAuthenticate: string | string[] | undefined,
    previousAuthorization: string | undefined,
    context: ExchangeContext,
  ): Promise<string | undefined>;
}

export interface AuthenticatorOptions {
  readonly credentials?: CredentialStore;
  /** The HTTP stack without the auth layer, for token requests. */
  readonly tokenRoundTrip: RoundTrip;
  readonly schemePolicy: SchemePolicy;
  readonly clientId?: string;
  readonly now?: () => number;
  readonly maxCachedTokens?: number;
}

type KnownChallenge = { readonly scheme: "basic" } | { readonly scheme: "bearer"; readonly realm: string; readonly service?: string };

interface CachedToken {
  readonly token: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
}

const DEFAULT_TOKEN_SECONDS = 60;
const MAX_TOKEN_SECONDS = 24 * 3600;
const EXPIRY_MARGIN_SECONDS = 10;
const MAX_CHALLENGE_SCOPES = LIMITS.challengeScopes;
const SCOPE_PATTERN = /^[a-z0-9]+(?:\([a-z0-9]+\))?:[^\s:]+(?::[^\s:]+)*:[a-z*]+(?:,[a-z*]+)*$/;
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

/**
 * Basic and Bearer (distribution token) authentication. Tokens are cached per (registry origin, scope set) until
 * shortly before `expires_in` ends; a cached token whose scopes cover the request is reused. Credentials go to
 * the registry's origin (Basic) or to the token realm it names (Bearer), never anywhere else.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? Date.now;
  const maxCachedTokens = options.maxCachedTokens ?? 256;
  const challenges = new Map<string, KnownChallenge>();
  const tokens = new Map<string, CachedToken>();
  const pending = new Map<string, Promise<string>>();

  async function credentialsFor(target: AuthTarget): Promise<RegistryCredentials | undefined> {
    return options.credentials?.get(target.registry, target.repository);
  }

  function cachedToken(origin: string, scopes: readonly string[]): string | undefined {
    const time = now();
    for (const [key, entry] of tokens) {
      if (entry.expiresAt <= time) {
        tokens.delete(key);
        continue;
      }
      if (key.startsWith(`${origin}\n`) && scopesCover(entry.scopes, scopes)) return entry.token;
    }
    return undefined;
  }

  function storeToken(origin: string, scopes: readonly string[], token: string, lifetimeSeconds: number): void {
    const key = tokenKey(origin, scopes);
    tokens.delete(key);
    tokens.set(key, { token, scopes, expiresAt: now() + (lifetimeSeconds - EXPIRY_MARGIN_SECONDS) * 1000 });
    while (tokens.size > maxCachedTokens) tokens.delete(tokens.keys().next().value!);
  }

  async function bearerToken(target: AuthTarget, challenge: Extract<KnownChallenge, { scheme: "bearer" }>, scopes: readonly string[], context: ExchangeContext): Promise<string> {
    const key = tokenKey(target.origin, scopes);
    const inFlight = pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const request = (async () => {
      const { token, lifetimeSeconds } = await fetchToken(target, challenge, scopes, context);
      storeToken(target.origin, scopes, token, lifetimeSeconds);
      return token;
    })();
    pending.set(key, request);
    try {
      return await request;
    } finally {
      pending.delete(key);
    }
  }

  async function fetchToken(
    target: AuthTarget,
    challenge: Extract<KnownChallenge, { scheme: "bearer" }>,
    scopes: readonly string[],
    context: ExchangeContext,
  ): Promise<{ token: string; lifetimeSeconds: number }> {
    const realm = parseRealm(challenge.realm, options.schemePolicy);
    const credentials = await credentialsFor(target);
    const secrets = credentialSecrets(credentials);
    let request: HttpRequest;
    if (credentials !== undefined && "identityToken" in credentials) {
      // OAuth2 refresh-token grant, as Docker does for an identity token.
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: credentials.identityToken, client_id: options.clientId ?? "signet" });
      if (challenge.service !== undefined) form.set("service", challenge.service);
      if (scopes.length > 0) form.set("scope", scopes.join(" "));
      request = { method: "POST", url: realm, headers: { "content-type": "application/x-www-form-urlencoded" }, body: Buffer.from(form.toString()) };
    } else {
      const url = new URL(realm);
      if (challenge.service !== undefined) url.searchParams.set("service", challenge.service);
      for (const scope of scopes) url.searchParams.append("scope", scope);
      const headers: Record<string, string> = {};
      if (credentials !== undefined && "password" in credentials) headers.authorization = basicAuthorization(credentials.username, credentials.password);
      request = { method: "GET", url, headers };
    }
    const response = await options.tokenRoundTrip(request, context);
    if (response.status !== 200) {
      const body = await readCapped(response);
      const error = registryErrorFromResponse({ status: response.status, url: response.url, method: request.method, body }, `the token request to ${realm.host} for ${target.registry}`, secrets);
      if (response.status === 401) {
        throw new SignetError("REGISTRY_UNAUTHORIZED", `the token server ${realm.host} refused ${credentials === undefined ? "anonymous access" : "the credentials"} for ${target.registry}`, {
          details: error.details,
        });
      }
      throw error;
    }
    const body = await readBody(response, LIMITS.tokenResponseBytes, "the token response");
    return parseTokenResponse(body, realm);
  }

  async function registryTokenFor(target: AuthTarget): Promise<string | undefined> {
    const credentials = await credentialsFor(target);
    return credentials !== undefined && "registryToken" in credentials ? `Bearer ${credentials.registryToken}` : undefined;
  }

  return {
    async authorization(target, scopes, context) {
      const challenge = challenges.get(target.origin);
      if (challenge === undefined) return undefined;
      const given = await registryTokenFor(target);
      if (given !== undefined) return given;
      if (challenge.scheme === "basic") {
        const credentials = await credentialsFor(target);
        return credentials !== undefined && "password" in credentials ? basicAuthorization(credentials.username, credentials.password) : undefined;
      }
      const token = cachedToken(target.origin, scopes) ?? (await bearerToken(target, challenge, scopes, context));
      return `Bearer ${token}`;
    },

    async answerChallenge(target, scopes, wwwAuthenticate, previousAuthorization, context) {
      const parsed = parseWwwAuthenticate(wwwAuthenticate);
      const bearer = parsed.find((c) => c.scheme === "bearer" && c.params.realm !== undefined);
      const given = await registryTokenFor(target);
      if (given !== undefined) {
        // A registry token is the bearer token itself: no exchange at the realm; refused once, it stays refused.
        challenges.set(target.origin, bearer !== undefined ? { scheme: "bearer", realm: bearer.params.realm!, ...(bearer.params.service !== undefined ? { service: bearer.params.service } : {}) } : { scheme: "basic" });
        return given === previousAuthorization ? undefined : given;
      }
      if (bearer !== undefined) {
        const challenge: KnownChallenge = { scheme: "bearer", realm: bearer.params.realm!, ...(bearer.params.service !== undefined ? { service: bearer.params.service } : {}) };
        challenges.set(target.origin, challenge);
        const wanted = mergeScopes(scopes, challengeScopes(bearer));
        for (const [key, entry] of tokens) if (`Bearer ${entry.token}` === previousAuthorization) tokens.delete(key);
        const token = await bearerToken(target, challenge, wanted, context);
        const header = `Bearer ${token}`;
        return header === previousAuthorization ? undefined : header;
      }
      if (parsed.some((c) => c.scheme === "basic")) {
        challenges.set(target.origin, { scheme: "basic" });
        const credentials = await credentialsFor(target);
        if (credentials === undefined || !("password" in credentials)) return undefined;
        const header = basicAuthorization(credentials.username, credentials.password);
        return header === previousAuthorization ? undefined : header;
      }
      return undefined;
    },
  };
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

/** Scopes the registry asked for in its challenge (`scope="repository:a:pull repository:b:pull"`), if well formed. */
function challengeScopes(challenge: AuthChallenge): string[] {
  const raw = challenge.params.scope;
  if (raw === undefined) return [];
  return raw.split(" ").filter((scope) => SCOPE_PATTERN.test(scope)).slice(0, MAX_CHALLENGE_SCOPES);
}

export function mergeScopes(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

function tokenKey(origin: string, scopes: readonly string[]): string {
  return `${origin}\n${[...scopes].sort().join(" ")}`;
}

interface ParsedScope {
  readonly resource: string;
  readonly actions: ReadonlySet<string>;
}

function parseScope(scope: string): ParsedScope {
  const colon = scope.lastIndexOf(":");
  return { resource: scope.slice(0, colon), actions: new Set(scope.slice(colon + 1).split(",")) };
}

/** True when a token granted for `granted` is good for `wanted`: every wanted resource with all its actions. */
export function scopesCover(granted: readonly string[], wanted: readonly string[]): boolean {
  const grantedScopes = granted.map(parseScope);
  return wanted.map(parseScope).every((need) =>
    grantedScopes.some((have) => have.resource === need.resource && (have.actions.has("*") || [...need.actions].every((a) => have.actions.has(a)))),
  );
}

function parseRealm(untrustedRealm: string, policy: SchemePolicy): URL {
  let realm: URL;
  try {
    realm = new URL(untrustedRealm);
  } catch {
    throw new SignetError("REGISTRY_PROTOCOL", "the registry's Bearer challenge names an invalid token realm", { details: { realm: untrustedRealm.slice(0, 200) } });
  }
  if (realm.username !== "" || realm.password !== "") {
    throw new SignetError("REGISTRY_PROTOCOL", "the registry's token realm carries user info", { details: { realm: describeUrl(realm) } });
  }
  checkUrlScheme(realm, policy);
  return realm;
}

function parseTokenResponse(body: Buffer, realm: URL): { token: string; lifetimeSeconds: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new SignetError("REGISTRY_PROTOCOL", `the token server ${realm.host} did not answer with JSON`, { details: { realm: describeUrl(realm) } });
  }
  const token = isRecord(parsed) ? (typeof parsed.token === "string" && parsed.token !== "" ? parsed.token : parsed.access_token) : undefined;
  if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) {
    throw new SignetError("REGISTRY_PROTOCOL", `the token server ${realm.host} answered without a usable token`, { details: { realm: describeUrl(realm) } });
  }
  const expiresIn = isRecord(parsed) && typeof parsed.expires_in === "number" && Number.isFinite(parsed.expires_in) ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
  // The token spec: a lifetime under 60 s is taken as 60 s.
  return { token, lifetimeSeconds: Math.min(MAX_TOKEN_SECONDS, Math.max(DEFAULT_TOKEN_SECONDS, expiresIn)) };
}

function credentialSecrets(credentials: RegistryCredentials | undefined): string[] {
  if (credentials === undefined) return [];
  return "password" in credentials ? [credentials.password] : "registryToken" in credentials ? [credentials.registryToken] : [credentials.identityToken];
}

/**
 * The auth layer: adds the registry's Authorization to requests for its origin only (so a redirect to storage
 * elsewhere carries none), and on a 401 learns the challenge and tries once more.
 */
export function withAuth(next: RoundTrip, authenticator: Authenticator): RoundTrip {
  return async (request: HttpRequest, context: ExchangeContext) => {
    const auth = context.auth;
    const { authorization: _dropped, ...headers } = request.headers ?? {};
    const bare: HttpRequest = { ...request, headers };
    if (auth === undefined || request.url.origin !== auth.target.origin) return next(bare, context);
    const header = await authenticator.authorization(auth.target, auth.scopes, context);
    const response = await next(withAuthorization(bare, header), context);
    if (response.status !== 401) return response;
    const retryHeader = await authenticator.answerChallenge(auth.target, auth.scopes, response.headers["www-authenticate"], header, context);
    if (retryHeader === undefined) return response;
    await discard(response);
    return next(withAuthorization(bare, retryHeader), context);
  };
}

function withAuthorization(request: HttpRequest, header: string | undefined): HttpRequest {
  return header === undefined ? request : { ...request, headers: { ...request.headers, authorization: header } };
}
