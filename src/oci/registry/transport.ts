import { setMaxListeners } from "node:events";
import { rootCertificates } from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";
import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import { SignetError } from "../../errors/index.js";
import { LIMITS } from "../../internal/limits.js";
import { readBounded } from "../../internal/bounded-read.js";
import { backoffDelay, parseRetryAfter } from "./backoff.js";
import { checkUrlScheme, type SchemePolicy } from "./endpoint.js";
import { describeUrl } from "./redact.js";

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface HttpRequest {
  readonly method: HttpMethod;
  readonly url: URL;
  /** Lower-case names. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Always a buffer, so that a retry or a redirect can send it again. */
  readonly body?: Buffer;
  /**
   * Sending it twice has the effect of sending it once, so a 500 or a reset connection is retried. True for GET and
   * HEAD unless set; the repository sets it for PUTs of content-addressed data (blobs, manifests).
   */
  readonly idempotent?: boolean;
}

export type ResponseBody = Readable;

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The URL that answered (after redirects). */
  readonly url: URL;
  readonly body: ResponseBody;
}

/** Which registry a request belongs to, so that the auth layer knows where credentials may go. */
export interface AuthTarget {
  /** The registry as named in image references ("docker.io", "127.0.0.1:5000"): credentials are looked up by it. */
  readonly registry: string;
  /** The origin serving its API ("https://registry-1.docker.io"): Authorization is sent to this origin only. */
  readonly origin: string;
  /** For repository-scoped credentials. */
  readonly repository?: string;
}

export interface ExchangeContext {
  /** Aborted when the exchange's time is up; every wait and every read listens to it. */
  readonly signal: AbortSignal;
  /** Epoch milliseconds at which the signal fires. */
  readonly deadline: number;
  readonly auth?: { readonly target: AuthTarget; readonly scopes: readonly string[] };
}

/** One layer of the HTTP stack: sends a request and returns the response with its body unread. */
export type RoundTrip = (request: HttpRequest, context: ExchangeContext) => Promise<HttpResponse>;

export interface RequestCounter {
  requests: number;
}

export interface TlsOptions {
  /** PEM certificates trusted in addition to Node's built-in CAs. */
  readonly caCertificates?: readonly string[];
  /** Do not check certificates at all. */
  readonly allowInsecureRegistry?: boolean;
}

/** TLS settings for the client's options: Node's built-in CAs plus --registry-cacert, or no checks at all. */
export function buildConnectOptions(options: TlsOptions): { ca?: string[]; rejectUnauthorized: boolean } {
  const extra = options.caCertificates ?? [];
  return {
    ...(extra.length > 0 ? { ca: [...rootCertificates, ...extra] } : {}),
    rejectUnauthorized: options.allowInsecureRegistry !== true,
  };
}

/** Keep-alive connection pools, one per scheme; requests to an origin reuse its idle connections. */
export interface HttpAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  close(): void;
}

/**
 * Node's own http/https agents rather than undici: undici costs ~200 ms to load (it compiles its WASM parser),
 * more than a whole `signet verify` is allowed to add to Node's start-up.
 */
export function createAgents(options: TlsOptions & { timeoutMs: number }): HttpAgents {
  const common = { keepAlive: true, keepAliveMsecs: 10_000, maxSockets: 64, maxFreeSockets: 64, timeout: options.timeoutMs };
  const agents = {
    http: new http.Agent(common),
    https: new https.Agent({ ...common, ...buildConnectOptions(options) }),
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
  return agents;
}

/** The innermost layer: one HTTP request, counted. The body is handed back unread. */
export function createBaseRoundTrip(agents: HttpAgents, options: { userAgent: string; counter: RequestCounter }): RoundTrip {
  return (request, context) => {
    context.signal.throwIfAborted();
    options.counter.requests++;
    const headers: Record<string, string> = { "user-agent": options.userAgent, ...request.headers };
    if (request.body !== undefined) headers["content-length"] = String(request.body.length);
    const secure = request.url.protocol === "https:";
    return new Promise<HttpResponse>((resolve, reject) => {
      // No per-request signal or socket timeout: the exchange's deadline (shared by the requests that start
      // together) ends this request, its connection and its body, through one listener per deadline.
      const outgoing = (secure ? https : http).request(request.url, { method: request.method, headers, agent: secure ? agents.https : agents.http });
      endWithDeadline(context.signal, outgoing);
      outgoing.on("error", (error) => reject(transportError(error, request, context.signal)));
      outgoing.on("response", (incoming) => {
        // Readers see body errors through their own iteration; an error after they stopped listening must not crash the process.
        incoming.on("error", () => undefined);
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, url: request.url, body: incoming });
      });
      outgoing.end(request.body);
    });
  };
}

/** The requests in flight under each deadline signal. */
const inFlight = new WeakMap<AbortSignal, Set<http.ClientRequest>>();

/**
 * Destroys `outgoing` (its connection and its response body) when `signal` aborts, as http.request's own `signal`
 * option would, but with one abort listener per signal rather than one per request: a batch of verifies shares
 * one deadline, and Node's EventTarget adds and removes listeners in time linear in how many it holds.
 */
export function endWithDeadline(signal: AbortSignal, outgoing: http.ClientRequest): void {
  let requests = inFlight.get(signal);
  if (requests === undefined) {
    const tracked = new Set<http.ClientRequest>();
    requests = tracked;
    inFlight.set(signal, tracked);
    signal.addEventListener(
      "abort",
      () => {
        const error = Object.assign(new Error("The operation was aborted", { cause: signal.reason }), { name: "AbortError", code: "ABORT_ERR" });
        for (const request of tracked) request.destroy(error);
        tracked.clear();
      },
      { once: true },
    );
  }
  const tracked = requests;
  tracked.add(outgoing);
  outgoing.once("close", () => tracked.delete(outgoing));
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
/** An internal error may have happened after the request had its effect: retried only for idempotent requests. */
const IDEMPOTENT_RETRY_STATUSES = new Set([500]);
const RESET_REASONS = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

export interface RetryOptions {
  /** Retries after the first attempt. */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the answer is returned as it is. */
  readonly retryAfterCapMs: number;
  readonly random?: () => number;
}

/**
 * Retries 429, 502, 503 and 504 answers, and 500 answers and connection resets of idempotent requests (GET, HEAD,
 * and PUTs the caller marks: others may have had an effect), with exponential backoff and jitter or the registry's
 * Retry-After. Never waits past the deadline.
 */
export function withRetries(next: RoundTrip, options: RetryOptions): RoundTrip {
  return async (request, context) => {
    const idempotent = request.idempotent ?? (request.method === "GET" || request.method === "HEAD");
    for (let attempt = 0; ; attempt++) {
      let response: HttpResponse;
      try {
        response = await next(request, context);
      } catch (error) {
        const retryable = attempt < options.retries && idempotent && isConnectionReset(error);
        const delay = backoffDelay(attempt, { baseMs: options.baseDelayMs, maxMs: options.maxDelayMs, random: options.random });
        if (!retryable || Date.now() + delay >= context.deadline) throw error;
        await sleep(delay, undefined, { signal: context.signal });
        continue;
      }
      const retryStatus = RETRY_STATUSES.has(response.status) || (idempotent && IDEMPOTENT_RETRY_STATUSES.has(response.status));
      if (!retryStatus || attempt >= options.retries) return response;
      const retryAfter = parseRetryAfter(response.headers["retry-after"], Date.now());
      if (retryAfter !== undefined && retryAfter > options.retryAfterCapMs) return response;
      const delay = retryAfter ?? backoffDelay(attempt, { baseMs: options.baseDelayMs, maxMs: options.maxDelayMs, random: options.random });
      if (Date.now() + delay >= context.deadline) return response;
      await discard(response);
      await sleep(delay, undefined, { signal: context.signal });
    }
  };
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Follows redirects (blobs are often sent to storage elsewhere), at most LIMITS.redirects, each target checked
 * against the scheme policy. Authorization set by the caller is dropped when the redirect leaves the origin; the
 * auth layer, below this one, adds the registry's own only for requests to the registry's origin.
 */
export function withRedirects(next: RoundTrip, policy: SchemePolicy): RoundTrip {
  return async (request, context) => {
    let current = request;
    for (let hop = 0; ; hop++) {
      const response = await next(current, context);
      const location = firstHeader(response.headers.location);
      if (!REDIRECT_STATUSES.has(response.status) || location === undefined) return response;
      await discard(response);
      if (hop >= LIMITS.redirects) {
        throw new SignetError("REGISTRY_REDIRECT_LOOP", `more than ${LIMITS.redirects} redirects for ${describeUrl(request.url)}`, {
          details: { url: describeUrl(request.url), redirects: hop },
        });
      }
      let target: URL;
      try {
        target = new URL(location, current.url);
      } catch {
        throw new SignetError("REGISTRY_PROTOCOL", `the registry redirected to an invalid URL`, { details: { url: describeUrl(current.url) } });
      }
      checkUrlScheme(target, policy);
      current = redirectedRequest(current, response.status, target);
    }
  };
}

function redirectedRequest(request: HttpRequest, status: number, target: URL): HttpRequest {
  const headers: Record<string, string> = { ...request.headers };
  if (target.origin !== request.url.origin) delete headers.authorization;
  // 303, and 301/302 after a POST, turn into a GET without a body (as browsers and Go's http.Client do).
  if (status === 303 || ((status === 301 || status === 302) && request.method === "POST")) {
    delete headers["content-type"];
    return { method: request.method === "HEAD" ? "HEAD" : "GET", url: target, headers };
  }
  return { ...request, url: target, headers };
}

/** Reads at most a little of an unwanted body so its connection can be reused; drops the connection otherwise. */
export async function discard(response: HttpResponse): Promise<void> {
  try {
    await dumpBody(response.body, 64 * 1024);
  } catch {
    // The connection is gone; nothing to release.
  }
}

/** Reads and drops up to `limit` bytes; a longer body is destroyed (its connection is not reused). */
export async function dumpBody(body: Readable, limit: number): Promise<void> {
  let total = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      body.destroy();
      return;
    }
  }
}

/**
 * Drops a body that was not read to the end. A body already received in full leaves its connection reusable;
 * one still arriving closes the connection.
 */
export function release(response: HttpResponse): void {
  const body = response.body;
  if (!body.readableEnded && !body.destroyed) body.destroy();
}

/** Reads a body, checking the declared Content-Length before reading and stopping at `limit`. */
export async function readBody(response: HttpResponse, limit: number, what: string): Promise<Buffer> {
  const declared = declaredLength(response);
  if (declared !== undefined && declared > limit) {
    release(response);
    throw new SignetError("SIZE_LIMIT_EXCEEDED", `${what} is ${declared} bytes, more than the limit of ${limit} bytes`, {
      details: { limit, declared },
    });
  }
  return readBounded(response.body, limit, what);
}

/** Reads the first `limit` bytes of a body (an error body) and drops the rest. */
export async function readCapped(response: HttpResponse, limit: number = LIMITS.errorBodyBytes): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= limit) break;
    }
  } catch {
    // A broken error body still leaves the status to report.
  }
  release(response);
  return Buffer.concat(chunks, total).subarray(0, limit);
}

export function declaredLength(response: HttpResponse): number | undefined {
  const value = firstHeader(response.headers["content-length"]);
  if (value === undefined || !/^\d{1,16}$/.test(value)) return undefined;
  return Number(value);
}

export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function isConnectionReset(error: unknown): boolean {
  return SignetError.is(error) && error.code === "REGISTRY_UNREACHABLE" && RESET_REASONS.has(String(error.details.reason));
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "ETIMEDOUT"]);
const PROTOCOL_CODES = new Set(["UND_ERR_HEADERS_OVERFLOW", "HPE_INVALID_CONSTANT", "UND_ERR_RES_CONTENT_LENGTH_MISMATCH", "UND_ERR_INFO"]);

/**
 * Maps what undici or Node throws to a SignetError: timeouts (ours or undici's) to REGISTRY_TIMEOUT, broken HTTP to
 * REGISTRY_PROTOCOL, everything else (refused, DNS, reset, TLS) to REGISTRY_UNREACHABLE with the reason in details.
 */
export function transportError(error: unknown, request: HttpRequest, signal: AbortSignal): SignetError {
  if (SignetError.is(error)) return error;
  const url = describeUrl(request.url);
  const reason = errorReason(error);
  if (signal.aborted || TIMEOUT_CODES.has(reason)) {
    return new SignetError("REGISTRY_TIMEOUT", `${request.method} ${url} did not complete in time`, { details: { url, reason }, cause: error });
  }
  if (PROTOCOL_CODES.has(reason) || reason.startsWith("HPE_")) {
    return new SignetError("REGISTRY_PROTOCOL", `${request.method} ${url}: the answer is not valid HTTP (${reason})`, { details: { url, reason }, cause: error });
  }
  const tls = isTlsReason(reason);
  const message = error instanceof Error ? error.message : String(error);
  return new SignetError("REGISTRY_UNREACHABLE", `${request.method} ${url} failed: ${message}`, {
    details: { url, reason },
    cause: error,
    ...(tls ? { hint: "The registry's TLS certificate was not accepted: pass --registry-cacert FILE for a private CA, or --allow-insecure-registry if you trust the network." } : {}),
  });
}

function errorReason(error: unknown): string {
  if (typeof error !== "object" || error === null) return "unknown";
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const cause = (error as { cause?: unknown }).cause;
  if (typeof cause === "object" && cause !== null && typeof (cause as { code?: unknown }).code === "string") return (cause as { code: string }).code;
  const name = (error as { name?: unknown }).name;
  // undici's parser errors do not always carry a code.
  if (name === "HTTPParserError") return "HPE_UNKNOWN";
  return name === "AbortError" ? "ABORTED" : "unknown";
}

export function isTlsReason(reason: string): boolean {
  return /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|EPROTO)/.test(reason);
}

/** Requests that start within this many milliseconds of each other share one deadline. */
export const DEADLINE_SHARING_MS = 50;

interface SharedDeadline {
  readonly signal: AbortSignal;
  readonly deadline: number;
  readonly opened: number;
}

const sharedDeadlines = new Map<number, SharedDeadline>();

/**
 * The deadline of a request starting now: one AbortController and one timer for every request with the same
 * timeout that starts within DEADLINE_SHARING_MS of the first, instead of one of each per request (a batch of
 * verifies starts hundreds at once). Each request still gets at least `timeoutMs`, at most DEADLINE_SHARING_MS
 * more; the timer is unref'd, so an expired-later deadline never keeps the process alive.
 */
export function sharedDeadline(timeoutMs: number, now: number = Date.now()): SharedDeadline {
  const current = sharedDeadlines.get(timeoutMs);
  if (current !== undefined && now >= current.opened && now - current.opened < DEADLINE_SHARING_MS && !current.signal.aborted) return current;
  const controller = new AbortController();
  // Every concurrent request listens to this one signal: not a leak.
  setMaxListeners(0, controller.signal);
  const delay = DEADLINE_SHARING_MS + timeoutMs;
  const timer = setTimeout(() => {
    controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    if (sharedDeadlines.get(timeoutMs) === created) sharedDeadlines.delete(timeoutMs);
  }, delay);
  timer.unref();
  const created: SharedDeadline = { signal: controller.signal, deadline: now + delay, opened: now };
  sharedDeadlines.set(timeoutMs, created);
  return created;
}

/**
 * Runs one logical request through the stack and hands the response to `handle`, all within `timeoutMs`
 * (connecting, retries, redirects, token requests and reading the body). The body is released afterwards.
 */
export async function exchange<T>(
  roundTrip: RoundTrip,
  request: HttpRequest,
  options: { timeoutMs: number; auth?: ExchangeContext["auth"] },
  handle: (response: HttpResponse, context: ExchangeContext) => Promise<T>,
): Promise<T> {
  const { signal, deadline } = sharedDeadline(options.timeoutMs);
  const context: ExchangeContext = { signal, deadline, ...(options.auth ? { auth: options.auth } : {}) };
  let response: HttpResponse | undefined;
  try {
    response = await roundTrip(request, context);
    return await handle(response, context);
  } catch (error) {
    throw transportError(error, request, signal);
  } finally {
    if (response !== undefined) release(response);
  }
}
