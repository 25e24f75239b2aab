import { createHash } from "node:crypto";
import { request, type Agent } from "node:https";
import type { TLSSocket } from "node:tls";

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** SHA-256 of the server's leaf certificate (DER), hex. */
  certificate: string;
  json<T = unknown>(): T;
}

export interface HttpsTarget {
  port: number;
  /** The CA bundle the client trusts (PEM). */
  ca: string | Buffer;
  /** Name checked against the certificate. */
  servername?: string;
  agent?: Agent;
}

/** One HTTPS request to the webhook on loopback, as the API server makes it. */
export function httpsRequest(target: HttpsTarget, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: target.port,
        method,
        path,
        ca: target.ca,
        servername: target.servername ?? "signet-webhook.signet-system.svc",
        agent: target.agent ?? false,
        headers: { ...(body !== undefined ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) } : {}), ...headers },
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const peer = socket.getPeerCertificate?.();
        const certificate = peer?.raw ? createHash("sha256").update(peer.raw).digest("hex") : "";
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, certificate, json: <T>() => JSON.parse(text) as T });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export function postReview(target: HttpsTarget, path: "/validate" | "/mutate", review: unknown): Promise<HttpsAnswer> {
  return httpsRequest(target, "POST", path, JSON.stringify(review));
}
