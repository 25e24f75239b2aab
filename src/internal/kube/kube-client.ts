/**
 * A small Kubernetes API client for what the webhook does beyond reading secrets: JSON requests (get, create,
 * update, patch) and watch streams. It uses the connection of `./connection.ts` (kubeconfig or
 * in-cluster service account), reopened every minute because projected service account tokens rotate.
 * Every answer is bounded in size and time; every failure is KUBE_API_FAILED with the HTTP status in details.
 */
import { request, type Dispatcher } from "undici";
import { SignetError, type ErrorCode } from "../../errors/index.js";
import { readBounded } from "../bounded-read.js";
import { openK8sConnection, type ApiConnection } from "./connection.js";

export interface KubeClientOptions {
  readonly kubeconfig: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** One request, all of it (not a watch, which stays open). */
  readonly timeoutMs: number;
  /** Where the service account token and CA live, in-cluster (tests point it elsewhere). */
  readonly serviceAccountDir?: string | undefined;
  /** The code when no connection can be made (no cluster, a bad kubeconfig). Default POLICY_KEY_UNREADABLE. */
  readonly connectionCode?: ErrorCode;
}

export interface KubeResponse {
  readonly status: number;
  /** The parsed JSON body (a Status object for most errors), or undefined when empty or not JSON. */
  readonly body: unknown;
}

export interface KubeRequest {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** An API path with its query, e.g. `/api/v1/namespaces/ns/secrets/name`. */
  readonly path: string;
  readonly body?: unknown;
  /** For PATCH: application/json-patch+json, application/merge-patch+json or application/strategic-merge-patch+json. */
  readonly contentType?: string;
  readonly maxBytes: number;
  /** Names the call in errors: "get secret signet-system/signet-webhook-tls". */
  readonly what: string;
}

export interface KubeWatchOptions {
  /** The watch path with its query (`?watch=true&resourceVersion=…`). */
  readonly path: string;
  /** Called for each newline-delimited JSON event, in order. */
  readonly onEvent: (event: unknown) => void;
  /** One event larger than this ends the watch with an error. */
  readonly maxEventBytes: number;
  readonly signal: AbortSignal;
  readonly what: string;
  /** No byte for this long (bookmarks and timeoutSeconds keep a healthy watch talking): the watch is ended. */
  readonly idleTimeoutMs: number;
}

export interface KubeClient {
  /** Any status is returned; only a transport failure or an oversized answer throws (KUBE_API_FAILED). */
  send(call: KubeRequest): Promise<KubeResponse>;
  /** Streams a watch until the server ends it (resolves) or it fails (rejects with KUBE_API_FAILED). */
  watch(options: KubeWatchOptions): Promise<void>;
  close(): Promise<void>;
}

const CONNECTION_REFRESH_MS = 60_000;

export function createKubeClient(options: KubeClientOptions): KubeClient {
  let current: { connection: Promise<ApiConnection>; openedAt: number } | undefined;
  const retired: ApiConnection[] = [];
  const connection = (): Promise<ApiConnection> => {
    if (current === undefined || Date.now() - current.openedAt >= CONNECTION_REFRESH_MS) {
      const previous = current;
      const opened = openK8sConnection({
        kubeconfig: options.kubeconfig,
        env: options.env,
        serviceAccountDir: options.serviceAccountDir,
        ...(options.connectionCode !== undefined ? { code: options.connectionCode } : {}),
      });
      opened.catch(() => (current = undefined));
      current = { connection: opened, openedAt: Date.now() };
      // The previous agent may still carry a watch: it is closed with the client.
      void previous?.connection.then((old) => retired.push(old), () => undefined);
    }
    return current.connection;
  };
  const url = (api: ApiConnection, path: string) => `${api.server.replace(/\/+$/, "")}${path}`;
  const fail = (what: string, problem: string, details: Record<string, unknown> = {}, cause?: unknown): SignetError =>
    new SignetError("KUBE_API_FAILED", `Kubernetes API: ${what}: ${problem}`, { details, ...(cause !== undefined ? { cause } : {}) });

  return {
    async send(call) {
      const api = await connection();
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url(api, call.path), {
          method: call.method,
          headers: {
            accept: "application/json",
            ...api.headers,
            ...(call.body !== undefined ? { "content-type": call.contentType ?? "application/json" } : {}),
          },
          ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
          dispatcher: api.dispatcher,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        });
      } catch (error) {
        throw fail(call.what, (error as NodeJS.ErrnoException).code ?? (error as Error).message, {}, error);
      }
      let bytes: Buffer;
      try {
        bytes = await readBounded(response.body, call.maxBytes, call.what);
      } catch (error) {
        response.body.destroy();
        throw fail(call.what, (error as Error).message, { status: response.statusCode }, error);
      }
      let body: unknown;
      if (bytes.length > 0) {
        try {
          body = JSON.parse(bytes.toString("utf8"));
        } catch {
          body = undefined;
        }
      }
      return { status: response.statusCode, body };
    },

    async watch(watch) {
      const api = await connection();
      const idle = new AbortController();
      const abort = () => idle.abort(watch.signal.reason);
      watch.signal.addEventListener("abort", abort, { once: true });
      let timer: NodeJS.Timeout | undefined;
      const touch = () => {
        clearTimeout(timer);
        timer = setTimeout(() => idle.abort(new Error(`no data for ${watch.idleTimeoutMs} ms`)), watch.idleTimeoutMs);
        timer.unref();
      };
      touch();
      try {
        let response: Dispatcher.ResponseData;
        try {
          response = await request(url(api, watch.path), { method: "GET", headers: { accept: "application/json", ...api.headers }, dispatcher: api.dispatcher, signal: idle.signal, headersTimeout: options.timeoutMs, bodyTimeout: 0 });
        } catch (error) {
          throw fail(watch.what, (error as NodeJS.ErrnoException).code ?? (error as Error).message, {}, error);
        }
        if (response.statusCode !== 200) {
          const text = await readBounded(response.body, 64 * 1024, watch.what).catch(() => Buffer.alloc(0));
          throw fail(watch.what, `the server answered ${response.statusCode}`, { status: response.statusCode, body: statusMessage(text) });
        }
        let pending: Buffer = Buffer.alloc(0);
        try {
          for await (const chunk of response.body) {
            touch();
            pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
            let newline: number;
            while ((newline = pending.indexOf(0x0a)) !== -1) {
              const line = pending.subarray(0, newline);
              pending = pending.subarray(newline + 1);
              if (line.length === 0 || (line.length === 1 && line[0] === 0x0d)) continue;
              if (line.length > watch.maxEventBytes) throw fail(watch.what, `a watch event of ${line.length} bytes is above the ${watch.maxEventBytes}-byte limit`);
              let event: unknown;
              try {
                event = JSON.parse(line.toString("utf8"));
              } catch {
                throw fail(watch.what, "a watch event is not JSON");
              }
              watch.onEvent(event);
            }
            if (pending.length > watch.maxEventBytes) throw fail(watch.what, `a watch event is above the ${watch.maxEventBytes}-byte limit`);
          }
        } catch (error) {
          response.body.destroy();
          if (SignetError.is(error)) throw error;
          if (watch.signal.aborted) return;
          throw fail(watch.what, `the stream broke: ${(error as Error).message}`, {}, error);
        }
      } finally {
        clearTimeout(timer);
        watch.signal.removeEventListener("abort", abort);
      }
    },

    async close() {
      const last = current;
      current = undefined;
      const all = [...retired.splice(0), ...(last !== undefined ? [await last.connection.catch(() => undefined)] : [])];
      await Promise.all(all.map((api) => api?.dispatcher?.close().catch(() => undefined)));
    },
  };
}

/** The message of a Kubernetes Status body, short, for errors. */
export function statusMessage(bytes: Buffer | unknown): string | undefined {
  let body = bytes;
  if (Buffer.isBuffer(bytes)) {
    try {
      body = JSON.parse(bytes.toString("utf8"));
    } catch {
      return undefined;
    }
  }
  const message = typeof body === "object" && body !== null ? (body as Record<string, unknown>)["message"] : undefined;
  return typeof message === "string" ? message.slice(0, 300) : undefined;
}

/** KUBE_API_FAILED for an answer other than the one expected, with the Status message when there is one. */
export function kubeApiError(what: string, status: number, body: unknown): SignetError {
  const message = statusMessage(body);
  return new SignetError("KUBE_API_FAILED", `Kubernetes API: ${what}: the server answered ${status}${message !== undefined ? ` (${message})` : ""}`, { details: { status } });
}
