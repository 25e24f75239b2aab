import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A request the fake registry received. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

export type FakeHandler = (request: RecordedRequest, response: ServerResponse, socket: Socket) => void | Promise<void>;

export interface HostileRegistry {
  /** "127.0.0.1:PORT", as a registry name. */
  readonly host: string;
  /** "http://127.0.0.1:PORT" */
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  stop(): Promise<void>;
}

/**
 * An in-process HTTP server on a random loopback port that answers with whatever `handler` does: lying digests,
 * huge bodies, redirect loops, silence. Connections left open by a silent handler are destroyed by stop().
 */
export async function startHostileRegistry(handler: FakeHandler): Promise<HostileRegistry> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded: RecordedRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      Promise.resolve(handler(recorded, res, req.socket)).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(error));
      });
    });
  });
  server.on("connection", (socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    requests,
    get connections() {
      return connections;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function sha256Of(bytes: Buffer | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Answers a manifest request with `bytes`, claiming `claimedDigest` (the true digest unless told otherwise). */
export function sendManifest(response: ServerResponse, bytes: Buffer, options: { claimedDigest?: string; contentType?: string } = {}): void {
  response.writeHead(200, {
    "content-type": options.contentType ?? "application/vnd.oci.image.manifest.v1+json",
    "content-length": String(bytes.length),
    "docker-content-digest": options.claimedDigest ?? sha256Of(bytes),
  });
  response.end(bytes);
}

export function sendRegistryError(response: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ errors: [{ code, message, detail: null }] });
  response.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers });
  response.end(body);
}

/** Streams `total` bytes of `fill` in 64 KiB chunks, stopping when the client goes away. */
export function streamBytes(response: ServerResponse, total: number, fill = 0x61): void {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let sent = 0;
  const pump = (): void => {
    while (sent < total && !response.destroyed) {
      const size = Math.min(chunk.length, total - sent);
      sent += size;
      if (!response.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
        response.once("drain", pump);
        return;
      }
    }
    if (!response.destroyed) response.end();
  };
  response.on("error", () => undefined);
  pump();
}

/** A small valid OCI image manifest (its config digest need not exist). */
export function sampleManifest(label = "x"): Buffer {
  const config = Buffer.from(`{"label":"${label}"}`);
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256Of(config), size: config.length },
      layers: [],
    }),
  );
}

/**
 * A hostile registry in front of a real one: every request is forwarded to `upstream` ("127.0.0.1:PORT") unless
 * `intercept` answers it first (an injected 500, a reset). The Host header is forwarded unchanged, so the upstream's
 * Location headers point back at the proxy.
 */
export async function startFaultyProxy(upstream: string, intercept: (request: RecordedRequest, response: ServerResponse, socket: Socket) => boolean): Promise<HostileRegistry> {
  const { request: httpRequest } = await import("node:http");
  const [hostname, port] = [upstream.slice(0, upstream.lastIndexOf(":")), Number(upstream.slice(upstream.lastIndexOf(":") + 1))];
  return startHostileRegistry(
    (recorded, response, socket) =>
      new Promise<void>((resolve, reject) => {
        if (intercept(recorded, response, socket)) return resolve();
        const headers = { ...recorded.headers };
        delete headers["transfer-encoding"];
        headers["content-length"] = String(recorded.body.length);
        const forwarded = httpRequest({ hostname, port, method: recorded.method, path: recorded.url, headers }, (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          answer.on("end", resolve);
          answer.on("error", reject);
        });
        forwarded.on("error", reject);
        forwarded.end(recorded.body);
      }),
  );
}
