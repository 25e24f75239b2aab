import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { WebhookMetrics } from "../metrics/webhook-metrics.js";
import type { AdmissionHandler } from "./admission-handler.js";
import type { WebhookLogger } from "./logger.js";
import { readBoundedBody } from "./read-body.js";
import type { ServingTls } from "./serving-tls.js";
import { listen } from "./listen.js";

export interface WebhookServerOptions {
  readonly tls: ServingTls;
  readonly port: number;
  readonly address: string | undefined;
  readonly maxRequestBytes: number;
  /** Time for one request from its first byte to the end of the answer; above the admission deadline. */
  readonly requestTimeoutMs: number;
  /** A connection that has not finished its TLS handshake this long after it opened is closed. */
  readonly tlsHandshakeTimeoutMs: number;
  readonly handleAdmission: AdmissionHandler;
  /** Undefined when ready; else the reason (shown by /readyz). */
  readonly notReadyReason: () => string | undefined;
  readonly metrics: WebhookMetrics;
  readonly logger: WebhookLogger;
}

export interface WebhookServer {
  readonly port: number;
  readonly server: Server;
  /** Installs a new certificate and key for new connections (existing ones keep theirs). */
  setTls(tls: ServingTls): void;
  /** Requests being answered now. */
  readonly inFlight: number;
  /**
   * Stops accepting connections, waits for the requests in flight (at most `graceMs`), then closes every
   * connection. Resolves with the number of requests that were still running at the end of the grace period.
   */
  close(graceMs: number): Promise<number>;
}

const JSON_TYPE = "application/json";

/**
 * The HTTPS server: AdmissionReview on POST /validate and /mutate, /healthz (the process answers), /readyz
 * (policies and trust roots loaded, not shutting down), /metrics (Prometheus text). Nothing else.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const { metrics, logger } = options;
  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | undefined;

  const server = createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      minVersion: "TLSv1.2",
      requestTimeout: options.requestTimeoutMs,
      headersTimeout: Math.min(options.requestTimeoutMs, 10_000),
      keepAliveTimeout: 30_000,
      // A connection that never starts (or never finishes) TLS holds a socket: closed after this (Node's default is 120 s).
      handshakeTimeout: options.tlsHandshakeTimeoutMs,
      // Request and header timeouts are checked this often (Node's default 30 s would let a stalled request live that much longer).
      connectionsCheckingInterval: 1_000,
    },
    (request, response) => {
      request.socket.setTimeout(0);
      inFlight += 1;
      metrics.inFlight.inc();
      response.once("close", () => {
        inFlight -= 1;
        metrics.inFlight.dec();
        if (inFlight === 0) drained?.();
      });
      // While draining, tell keep-alive clients to open their next request elsewhere.
      if (closing) response.setHeader("connection", "close");
      route(request, response).catch((error: unknown) => {
        logger.error({ error: (error as Error).message, path: request.url }, "request failed");
        if (!response.headersSent) send(response, 500, { error: "internal error" });
        else response.destroy();
      });
    },
  );
  // A connection that completed TLS but never sends a request is closed after the request timeout of silence
  // (without this, Node keeps it open for as long as the client likes). Each request lifts the bound (an answer
  // may take up to the deadline without a byte on the wire); after an answer, keepAliveTimeout applies.
  server.on("secureConnection", (socket) => socket.setTimeout(options.requestTimeoutMs, () => socket.destroy()));
  server.on("tlsClientError", (error: NodeJS.ErrnoException) => {
    const timeout = error.code === "ERR_TLS_HANDSHAKE_TIMEOUT";
    metrics.tlsHandshakeFailures.inc({ reason: timeout ? "timeout" : "error" });
    logger.debug({ error: error.message, code: error.code }, timeout ? "TLS handshake not finished in time; connection closed" : "TLS handshake failed");
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? "/").split("?")[0];
    switch (path) {
      case "/validate":
      case "/mutate":
        return admission(request, response, path === "/validate" ? "validate" : "mutate");
      case "/healthz":
        if (!isGetLike(request, response)) return;
        return sendText(response, 200, "ok\n");
      case "/readyz": {
        if (!isGetLike(request, response)) return;
        const reason = closing ? "shutting down" : options.notReadyReason();
        return reason === undefined ? sendText(response, 200, "ready\n") : sendText(response, 503, `not ready: ${reason}\n`);
      }
      case "/metrics": {
        if (!isGetLike(request, response)) return;
        const text = await metrics.registry.metrics();
        response.writeHead(200, { "content-type": metrics.registry.contentType });
        response.end(text);
        return;
      }
      default:
        request.resume();
        return send(response, 404, { error: `no such path ${JSON.stringify(path)}: use /validate, /mutate, /healthz, /readyz or /metrics` });
    }
  }

  async function admission(request: IncomingMessage, response: ServerResponse, endpoint: "validate" | "mutate"): Promise<void> {
    if (request.method !== "POST") {
      request.resume();
      response.setHeader("allow", "POST");
      return send(response, 405, { error: `${endpoint} takes POST` });
    }
    const type = (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== JSON_TYPE) {
      request.resume();
      return send(response, 415, { error: `the body must be ${JSON_TYPE}, not ${JSON.stringify(type)}` });
    }
    const body = await readBoundedBody(request, options.maxRequestBytes);
    if (!body.ok) {
      logger.warn({ endpoint, status: body.status, error: body.message }, "request refused");
      return send(response, body.status, { error: body.message });
    }
    const answer = await options.handleAdmission(body.body, endpoint);
    send(response, answer.status, answer.body);
  }

  const port = await listen(server, options.port, options.address);

  return {
    port,
    server,
    get inFlight() {
      return inFlight;
    },
    setTls(tls) {
      server.setSecureContext({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" });
    },
    async close(graceMs) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const left = inFlight;
      server.closeAllConnections();
      await closed;
      return left;
    },
  };
}

function isGetLike(request: IncomingMessage, response: ServerResponse): boolean {
  request.resume();
  if (request.method === "GET" || request.method === "HEAD") return true;
  response.setHeader("allow", "GET, HEAD");
  send(response, 405, { error: "use GET" });
  return false;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": JSON_TYPE, "content-length": Buffer.byteLength(text) });
  response.end(text);
}

function sendText(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
