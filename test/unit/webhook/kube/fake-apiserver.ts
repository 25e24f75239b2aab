// A fake Kubernetes API server on 127.0.0.1 that speaks the real wire protocol of what signet uses: LIST with
// limit/continue pages and a collection resourceVersion, WATCH as a chunked stream of newline-delimited JSON
// events (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR with a 410 Status once the history is compacted),
// timeoutSeconds, and GET / POST / PUT (optimistic concurrency on metadata.resourceVersion) / PATCH (JSON
// patch with test) of single objects, `fieldSelector=metadata.name=NAME` on lists and watches. Bearer-token
// authentication; plain HTTP, or HTTPS with a given certificate (the kubeconfig then carries its CA); every
// request is recorded.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { mkdtemp, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FAKE_TOKEN = "fake-apiserver-token";

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };
interface HistoryEntry {
  readonly rv: number;
  readonly collection: string;
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly object: Obj;
}

export interface FakeApiServer {
  readonly url: string;
  readonly kubeconfig: string;
  /** "METHOD path?query" of every request. */
  readonly requests: string[];
  /** Creates or replaces the object at `collection/name` (a new resourceVersion, a watch event). */
  apply(collection: string, object: Record<string, unknown>): Obj;
  remove(collection: string, name: string): void;
  get(collection: string, name: string): Obj | undefined;
  /** Forgets the event history up to now: watches from an older resourceVersion get 410 Gone. */
  compact(): void;
  /** Answers the next `count` requests whose "METHOD path" starts with `prefix` with `status`. */
  failNext(prefix: string, status: number, count?: number): void;
  /** Ends every open watch stream (as an API server restart or a load balancer would). */
  closeWatches(): void;
  /** Sends a BOOKMARK at the current resourceVersion to every open watch. */
  bookmark(): void;
  /** Open watch streams. */
  readonly watchCount: number;
  stop(): Promise<void>;
}

export interface FakeApiServerOptions {
  /** Serve HTTPS with this certificate and key (PEM); the kubeconfig names `ca` as the cluster's CA. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string };
}

export async function startFakeApiServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const objects = new Map<string, Map<string, Obj>>();
  const history: HistoryEntry[] = [];
  let rv = 100;
  let compactedAt = 0;
  const requests: string[] = [];
  const failures: { prefix: string; status: number; count: number }[] = [];
  const watchers = new Set<{ collection: string; name: string | undefined; response: ServerResponse; send: (entry: HistoryEntry) => void; bookmark: () => void }>();

  const collectionOf = (name: string) => {
    let found = objects.get(name);
    if (found === undefined) objects.set(name, (found = new Map()));
    return found;
  };
  const record = (collection: string, type: HistoryEntry["type"], object: Obj) => {
    const entry = { rv, collection, type, object: structuredClone(object) };
    history.push(entry);
    for (const watcher of watchers) if (watcher.collection === collection && (watcher.name === undefined || watcher.name === object.metadata["name"])) watcher.send(entry);
  };
  const store = (collection: string, object: Record<string, unknown>): Obj => {
    const metadata = { ...(object["metadata"] as Record<string, unknown>) };
    const name = metadata["name"] as string;
    const existing = collectionOf(collection).get(name);
    rv += 1;
    metadata["resourceVersion"] = String(rv);
    metadata["uid"] ??= existing?.metadata["uid"] ?? `uid-${rv}`;
    const stored = { ...object, metadata } as Obj;
    collectionOf(collection).set(name, stored);
    record(collection, existing === undefined ? "ADDED" : "MODIFIED", stored);
    return stored;
  };

  const listener = (request: IncomingMessage, response: ServerResponse) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) status(response, 500, (error as Error).message);
      else response.destroy();
    });
  };
  const server = options.tls === undefined ? createServer(listener) : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://fake");
    requests.push(`${request.method} ${url.pathname}${url.search}`);
    const body = await readBody(request);
    if (request.headers.authorization !== `Bearer ${FAKE_TOKEN}`) return status(response, 401, "Unauthorized");
    const failure = failures.find((item) => `${request.method} ${url.pathname}`.startsWith(item.prefix) && item.count > 0);
    if (failure !== undefined) {
      failure.count -= 1;
      return status(response, failure.status, "injected failure");
    }
    // /api/v1/namespaces/NS/secrets[/NAME] or /apis/GROUP/VERSION/PLURAL[/NAME]
    const parts = url.pathname.split("/").filter(Boolean);
    const namespaced = parts.includes("namespaces");
    const collectionLength = parts[0] === "api" ? (namespaced ? 5 : 3) : namespaced ? 6 : 4;
    const collection = parts.slice(0, collectionLength).join("/");
    const name = parts[collectionLength];
    const items = collectionOf(collection);

    if (name === undefined && request.method === "GET" && url.searchParams.get("watch") === "true") return watch(collection, url, response);
    if (name === undefined && request.method === "GET") {
      const limit = Number(url.searchParams.get("limit") ?? "0") || Infinity;
      const token = url.searchParams.get("continue");
      let start = 0;
      let listRv = rv;
      if (token !== null) {
        const [offset, tokenRv] = token.split(":").map(Number) as [number, number];
        if (tokenRv < compactedAt) return status(response, 410, "The provided continue parameter is too old", "Expired");
        start = offset;
        listRv = tokenRv;
      }
      const all = [...items.values()].filter((item) => selectedName(url) === undefined || item.metadata["name"] === selectedName(url)).sort((a, b) => String(a.metadata["name"]).localeCompare(String(b.metadata["name"])));
      const page = all.slice(start, start + limit);
      const more = start + limit < all.length;
      return json(response, 200, { kind: "List", apiVersion: "v1", metadata: { resourceVersion: String(listRv), ...(more ? { continue: `${start + limit}:${listRv}` } : {}) }, items: page });
    }
    if (name === undefined && request.method === "POST") {
      const object = JSON.parse(body) as Obj;
      if (items.has(object.metadata["name"] as string)) return status(response, 409, `"${String(object.metadata["name"])}" already exists`, "AlreadyExists");
      return json(response, 201, store(collection, object));
    }
    const existing = name === undefined ? undefined : items.get(name);
    if (request.method === "GET") return existing === undefined ? status(response, 404, "not found", "NotFound") : json(response, 200, existing);
    if (request.method === "PUT") {
      const object = JSON.parse(body) as Obj;
      if (existing === undefined) return status(response, 404, "not found", "NotFound");
      if (object.metadata["resourceVersion"] !== existing.metadata["resourceVersion"]) return status(response, 409, "the object has been modified; please apply your changes to the latest version and try again", "Conflict");
      return json(response, 200, store(collection, object));
    }
    if (request.method === "PATCH") {
      if (existing === undefined) return status(response, 404, "not found", "NotFound");
      if (request.headers["content-type"] !== "application/json-patch+json") return status(response, 415, "unsupported patch type");
      const patched = structuredClone(existing) as Record<string, unknown>;
      for (const operation of JSON.parse(body) as { op: string; path: string; value?: unknown }[]) {
        const tokens = operation.path.split("/").slice(1);
        const last = tokens.pop()!;
        let parent: Record<string, unknown> = patched;
        for (const token of tokens) {
          const next = parent[token];
          if (typeof next !== "object" || next === null) return status(response, 422, `path ${operation.path} does not exist`, "Invalid");
          parent = next as Record<string, unknown>;
        }
        if (operation.op === "test" && JSON.stringify(parent[last]) !== JSON.stringify(operation.value)) return status(response, 422, `test of ${operation.path} failed`, "Invalid");
        if (operation.op === "add" || operation.op === "replace") parent[last] = operation.value;
      }
      return json(response, 200, store(collection, patched));
    }
    return status(response, 405, "method not allowed", "MethodNotAllowed");
  }

  function watch(collection: string, url: URL, response: ServerResponse): void {
    const from = Number(url.searchParams.get("resourceVersion") ?? "0");
    const bookmarks = url.searchParams.get("allowWatchBookmarks") === "true";
    response.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    const write = (event: unknown) => response.write(`${JSON.stringify(event)}\n`);
    if (from < compactedAt) {
      // What kube-apiserver sends for a resourceVersion older than its watch cache: a 200 stream with one ERROR.
      write({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", status: "Failure", message: `too old resource version: ${from} (${compactedAt})`, reason: "Expired", code: 410 } });
      response.end();
      return;
    }
    const watcher = {
      collection,
      name: selectedName(url),
      response,
      send: (entry: HistoryEntry) => write({ type: entry.type, object: entry.object }),
      bookmark: () => {
        if (bookmarks) write({ type: "BOOKMARK", object: { kind: "ClusterImagePolicy", apiVersion: "policy.sigstore.dev/v1beta1", metadata: { resourceVersion: String(rv) } } });
      },
    };
    for (const entry of history) if (entry.collection === collection && entry.rv > from && (watcher.name === undefined || entry.object.metadata["name"] === watcher.name)) watcher.send(entry);
    watchers.add(watcher);
    const timeout = Number(url.searchParams.get("timeoutSeconds") ?? "0");
    const timer = timeout > 0 ? setTimeout(() => response.end(), timeout * 1000) : undefined;
    response.once("close", () => {
      clearTimeout(timer);
      watchers.delete(watcher);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${port}`;
  const kubeconfig = await writeTestKubeconfig(url, FAKE_TOKEN, options.tls?.ca);
  return {
    url,
    kubeconfig,
    requests,
    apply: (collection, object) => store(collection, object),
    remove(collection, name) {
      const existing = collectionOf(collection).get(name);
      if (existing === undefined) return;
      collectionOf(collection).delete(name);
      rv += 1;
      record(collection, "DELETED", { ...existing, metadata: { ...existing.metadata, resourceVersion: String(rv) } });
    },
    get: (collection, name) => collectionOf(collection).get(name),
    compact() {
      compactedAt = rv;
      history.length = 0;
    },
    failNext(prefix, statusCode, count = 1) {
      failures.push({ prefix, status: statusCode, count });
    },
    closeWatches() {
      for (const watcher of watchers) watcher.response.end();
      watchers.clear();
    },
    bookmark() {
      for (const watcher of watchers) watcher.bookmark();
    },
    get watchCount() {
      return watchers.size;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const watcher of watchers) watcher.response.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A kubeconfig (in a new temporary folder) for a test API server on loopback (HTTPS with `caPem`) and a bearer token. */
export async function writeTestKubeconfig(server: string, token: string, caPem?: string): Promise<string> {
  const kubeconfig = join(await mkdtemp(join(tmpdir(), "signet-kube-")), "kubeconfig");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "test",
    contexts: [{ name: "test", context: { cluster: "test", user: "test" } }],
    clusters: [{ name: "test", cluster: { server, ...(caPem !== undefined ? { "certificate-authority-data": Buffer.from(caPem).toString("base64") } : {}) } }],
    users: [{ name: "test", user: { token } }],
  };
  await writeFile(kubeconfig, JSON.stringify(config));
  return kubeconfig;
}

/** The name of `fieldSelector=metadata.name=NAME`, the only field selector signet sends. */
function selectedName(url: URL): string | undefined {
  const selector = url.searchParams.get("fieldSelector");
  return selector?.startsWith("metadata.name=") ? selector.slice("metadata.name=".length) : undefined;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    request.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    request.once("end", () => resolve(text));
    request.once("error", reject);
  });
}

function json(response: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

function status(response: ServerResponse, code: number, message: string, reason = "InternalError"): void {
  json(response, code, { kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code });
}
