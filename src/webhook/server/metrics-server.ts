import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { WebhookLogger } from "./logger.js";
import { listen } from "./listen.js";

export interface MetricsServerOptions {
  readonly registry: Registry;
  readonly port: number;
  /** Undefined: every interface. */
  readonly address: string | undefined;
  readonly logger: WebhookLogger;
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `GET /metrics` in the Prometheus text format on a plain-HTTP port of its own, so that Prometheus scrapes it
 * without the webhook's serving certificate and a NetworkPolicy can open it to the monitoring namespace only.
 * It serves nothing else: no admission, no configuration, no secrets. Requests are small and answered at once.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 30_000 }, (request, response) => {
    request.resume();
    serve(request, response).catch((error: unknown) => {
      options.logger.error({ error: (error as Error).message }, "metrics request failed");
      if (!response.headersSent) send(response, 500, "text/plain; charset=utf-8", "internal error\n");
      else response.destroy();
    });
  });
  // A scrape is a few KiB; refuse anything that tries to send a body or huge headers.
  server.maxHeadersCount = 64;

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? "/").split("?")[0];
    if (path !== "/metrics") return send(response, 404, "text/plain; charset=utf-8", "only /metrics is served here\n");
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("allow", "GET, HEAD");
      return send(response, 405, "text/plain; charset=utf-8", "use GET\n");
    }
    send(response, 200, options.registry.contentType, await options.registry.metrics());
  }

  const port = await listen(server, options.port, options.address);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(response: ServerResponse, status: number, type: string, text: string): void {
  response.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
  response.end(response.req.method === "HEAD" ? undefined : text);
}
