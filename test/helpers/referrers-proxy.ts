/**
 * The OCI referrers API in front of a registry that lacks it (Debian's docker-registry 2.8): every request is
 * passed through to the real registry, manifests with a `subject` are remembered as they are pushed, and
 * `GET /v2/<name>/referrers/<digest>` answers the OCI image index the distribution spec defines.
 */
import { createServer, request as httpRequest } from "node:http";
import { createHash } from "node:crypto";

export interface ReferrersProxy {
  readonly host: string;
  readonly referrersCalls: () => number;
  stop(): Promise<void>;
}

export async function startReferrersProxy(upstream: string): Promise<ReferrersProxy> {
  const referrers = new Map<string, Record<string, unknown>[]>();
  let calls = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const match = /^\/v2\/(.+)\/referrers\/(sha256:[0-9a-f]{64})(\?.*)?$/.exec(request.url ?? "");
      if (request.method === "GET" && match !== null) {
        calls++;
        const listed = referrers.get(`${match[1]}@${match[2]}`) ?? [];
        const wanted = new URLSearchParams(match[3] ?? "").get("artifactType");
        const manifests = wanted === null ? listed : listed.filter((d) => d["artifactType"] === wanted);
        response.writeHead(200, { "Content-Type": "application/vnd.oci.image.index.v1+json", ...(wanted !== null ? { "OCI-Filters-Applied": "artifactType" } : {}) });
        response.end(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }));
        return;
      }
      const manifestPut = request.method === "PUT" ? /^\/v2\/(.+)\/manifests\/[^/]+$/.exec(request.url ?? "") : null;
      if (manifestPut !== null) {
        try {
          const manifest = JSON.parse(body.toString("utf8")) as { subject?: { digest: string }; artifactType?: string; config?: { mediaType: string }; annotations?: Record<string, string> };
          if (manifest.subject !== undefined) {
            const key = `${manifestPut[1]}@${manifest.subject.digest}`;
            const descriptor = { mediaType: request.headers["content-type"], digest: `sha256:${createHash("sha256").update(body).digest("hex")}`, size: body.length, artifactType: manifest.artifactType ?? manifest.config?.mediaType, ...(manifest.annotations ? { annotations: manifest.annotations } : {}) };
            const list = referrers.get(key) ?? [];
            if (!list.some((d) => d["digest"] === descriptor.digest)) list.push(descriptor);
            referrers.set(key, list);
          }
        } catch {
          // not JSON: the registry will say so
        }
      }
      const [host, port] = upstream.split(":");
      const forward = httpRequest({ host, port: Number(port), method: request.method, path: request.url, headers: { ...request.headers, host: upstream } }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      forward.on("error", () => response.writeHead(502).end());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { host: `127.0.0.1:${port}`, referrersCalls: () => calls, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
