// An in-memory stand-in for a registry, for benchmarks only: it answers the distribution API from memory with
// responses prepared when content is stored (headers and bytes ready), over keep-alive HTTP on loopback, and
// counts the requests it serves. It costs far less CPU per request than Debian's docker-registry, so a client
// measured against it is measured on its own. Not a registry: no auth, no deletes, no checks beyond digests.
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface Stored {
  readonly bytes: Buffer;
  readonly headers: OutgoingHttpHeaders;
}

export interface RequestCounts {
  total: number;
  byKind: Record<string, number>;
}

export interface MemoryRegistry {
  /** "127.0.0.1:PORT" */
  readonly host: string;
  /** Requests served so far. */
  counts(): RequestCounts;
  close(): Promise<void>;
}

const MANIFEST_PATH = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const BLOB_PATH = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/;
const UPLOAD_PATH = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/;
const TAGS_PATH = /^\/v2\/(.+)\/tags\/list$/;

function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function readAll(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

const NOT_FOUND = Buffer.from('{"errors":[{"code":"NOT_FOUND","message":"not found"}]}');
const NOT_FOUND_HEADERS: OutgoingHttpHeaders = { "content-type": "application/json", "content-length": NOT_FOUND.length };
const EMPTY_OK: OutgoingHttpHeaders = { "content-type": "application/json", "content-length": 2 };

export async function startMemoryRegistry(): Promise<MemoryRegistry> {
  const manifests = new Map<string, Stored>(); // "repo@digest" and "repo:tag"
  const blobs = new Map<string, Stored>(); // digest (shared by every repository)
  const uploads = new Map<string, Buffer[]>();
  const counts: RequestCounts = { total: 0, byKind: {} };
  const count = (kind: string) => {
    counts.total += 1;
    counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
  };

  const send = (response: ServerResponse, status: number, headers: OutgoingHttpHeaders, body?: Buffer, head = false) => {
    response.writeHead(status, headers);
    response.end(head ? undefined : body);
  };
  const notFound = (response: ServerResponse, head: boolean) => send(response, 404, NOT_FOUND_HEADERS, NOT_FOUND, head);

  const storeBlob = (bytes: Buffer): string => {
    const digest = sha256(bytes);
    blobs.set(digest, { bytes, headers: { "content-type": "application/octet-stream", "content-length": bytes.length, "docker-content-digest": digest } });
    return digest;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://registry");
    const path = url.pathname;
    const method = request.method ?? "GET";
    const head = method === "HEAD";
    if (path === "/v2/" || path === "/v2") {
      count(`${method} /v2/`);
      return send(response, 200, EMPTY_OK, Buffer.from("{}"), head);
    }
    let match = MANIFEST_PATH.exec(path);
    if (match !== null) {
      const [, repo, reference] = match as unknown as [string, string, string];
      const key = reference.startsWith("sha256:") ? `${repo}@${reference}` : `${repo}:${reference}`;
      count(`${method} manifest`);
      if (method === "PUT") {
        const bytes = await readAll(request);
        const digest = sha256(bytes);
        if (reference.startsWith("sha256:") && reference !== digest) return send(response, 400, NOT_FOUND_HEADERS, NOT_FOUND);
        const stored: Stored = {
          bytes,
          headers: { "content-type": request.headers["content-type"] ?? "application/vnd.oci.image.manifest.v1+json", "content-length": bytes.length, "docker-content-digest": digest },
        };
        manifests.set(`${repo}@${digest}`, stored);
        if (!reference.startsWith("sha256:")) manifests.set(key, stored);
        return send(response, 201, { location: `/v2/${repo}/manifests/${digest}`, "docker-content-digest": digest, "content-length": 0 });
      }
      const stored = manifests.get(key);
      if (stored === undefined) return notFound(response, head);
      return send(response, 200, stored.headers, stored.bytes, head);
    }
    match = BLOB_PATH.exec(path);
    if (match !== null) {
      count(`${method} blob`);
      const stored = blobs.get(match[2]!);
      if (stored === undefined) return notFound(response, head);
      return send(response, 200, stored.headers, stored.bytes, head);
    }
    match = UPLOAD_PATH.exec(path);
    if (match !== null) {
      const [, repo, id] = match as unknown as [string, string, string];
      count(`${method} upload`);
      const body = await readAll(request);
      if (method === "POST") {
        const mount = url.searchParams.get("mount");
        if (mount !== null && blobs.has(mount)) return send(response, 201, { location: `/v2/${repo}/blobs/${mount}`, "docker-content-digest": mount, "content-length": 0 });
        const uuid = randomUUID();
        uploads.set(uuid, body.length > 0 ? [body] : []);
        return send(response, 202, { location: `/v2/${repo}/blobs/uploads/${uuid}`, "docker-upload-uuid": uuid, range: "0-0", "content-length": 0 });
      }
      const parts = uploads.get(id);
      if (parts === undefined) return notFound(response, false);
      if (body.length > 0) parts.push(body);
      if (method === "PATCH") {
        const size = parts.reduce((n, p) => n + p.length, 0);
        return send(response, 202, { location: `/v2/${repo}/blobs/uploads/${id}`, range: `0-${Math.max(0, size - 1)}`, "content-length": 0 });
      }
      if (method === "PUT") {
        uploads.delete(id);
        const bytes = Buffer.concat(parts);
        const digest = storeBlob(bytes);
        if (url.searchParams.get("digest") !== digest) return send(response, 400, NOT_FOUND_HEADERS, NOT_FOUND);
        return send(response, 201, { location: `/v2/${repo}/blobs/${digest}`, "docker-content-digest": digest, "content-length": 0 });
      }
    }
    match = TAGS_PATH.exec(path);
    if (match !== null) {
      count(`${method} tags`);
      const prefix = `${match[1]}:`;
      const tags = [...manifests.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
      const body = Buffer.from(JSON.stringify({ name: match[1], tags }));
      return send(response, 200, { "content-type": "application/json", "content-length": body.length }, body, head);
    }
    count(`${method} other`);
    return notFound(response, head);
  };

  const server: Server = createServer({ keepAlive: true, keepAliveTimeout: 60_000 }, (request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.destroy(error as Error);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    counts: () => ({ total: counts.total, byKind: { ...counts.byKind } }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
