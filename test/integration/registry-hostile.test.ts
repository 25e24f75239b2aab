import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { ErrorCode } from "../../src/errors/index.js";
import { sha256Digest } from "../../src/internal/digest.js";
import { LIMITS } from "../../src/internal/limits.js";
import { createRegistryClient, type RegistryClientOptions } from "../../src/oci/registry/client.js";
import { createStaticCredentialStore, NO_CREDENTIALS } from "../../src/oci/registry/credentials.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import {
  sampleManifest,
  sendManifest,
  sendRegistryError,
  sha256Of,
  startHostileRegistry,
  streamBytes,
  type FakeHandler,
  type HostileRegistry,
} from "../helpers/hostile-registry.js";

const TEN_MB = 10 * 1024 * 1024;
const servers: HostileRegistry[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

async function serve(handler: FakeHandler): Promise<HostileRegistry> {
  const server = await startHostileRegistry(handler);
  servers.push(server);
  return server;
}

/** Runs `action` against a fresh client and checks the error code and that it ended within `withinMs`. */
async function expectFailure(options: RegistryClientOptions, withinMs: number, code: ErrorCode, action: (client: ReturnType<typeof createRegistryClient>) => Promise<unknown>) {
  const client = createRegistryClient({ credentials: NO_CREDENTIALS, ...options });
  const start = performance.now();
  try {
    const error = await assertRejectsWithCode(() => action(client), code);
    const elapsed = performance.now() - start;
    assert.ok(elapsed < withinMs, `took ${Math.round(elapsed)} ms, limit ${withinMs} ms`);
    return { error, client };
  } finally {
    await client.close();
  }
}

const genuine = sampleManifest("genuine");
const forged = sampleManifest("forged");
const genuineDigest = sha256Digest(genuine);

describe("hostile registry: digests", () => {
  test("other bytes served for a digest, with a Docker-Content-Digest claiming the requested one", async () => {
    const server = await serve((_request, response) => sendManifest(response, forged, { claimedDigest: genuineDigest }));
    await expectFailure({}, 5000, "DIGEST_MISMATCH", (client) => client.repository(server.host, "app").getManifest(genuineDigest));
  });

  test("by tag: the digest returned is of the bytes; a header naming other bytes is a mismatch", async () => {
    const server = await serve((request, response) =>
      request.url.endsWith("/honest") ? sendManifest(response, genuine) : sendManifest(response, forged, { claimedDigest: genuineDigest }),
    );
    const client = createRegistryClient({ credentials: NO_CREDENTIALS });
    try {
      const manifest = await client.repository(server.host, "app").getManifest("honest");
      assert.equal(manifest.digest, genuineDigest);
    } finally {
      await client.close();
    }
    await expectFailure({}, 5000, "DIGEST_MISMATCH", (client) => client.repository(server.host, "app").getManifest("lying"));
  });

  test("a blob whose bytes do not match its digest", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-length": "6", "docker-content-digest": sha256Of("wanted") });
      response.end("forged");
    });
    await expectFailure({}, 5000, "DIGEST_MISMATCH", (client) => client.repository(server.host, "app").getBlob(sha256Digest(Buffer.from("wanted")), 100));
  });

  test("an invalid Docker-Content-Digest header is a protocol error", async () => {
    const server = await serve((_request, response) => sendManifest(response, genuine, { claimedDigest: "sha256:../../etc" }));
    await expectFailure({}, 5000, "REGISTRY_PROTOCOL", (client) => client.repository(server.host, "app").getManifest("v1"));
  });

  test("a manifest served under a Content-Type that contradicts its mediaType", async () => {
    const server = await serve((_request, response) => sendManifest(response, genuine, { contentType: "application/vnd.oci.image.index.v1+json" }));
    await expectFailure({}, 5000, "MANIFEST_INVALID", (client) => client.repository(server.host, "app").getManifest("v1"));
  });
});

describe("hostile registry: sizes", () => {
  test("a 10 MB manifest with an honest Content-Length is refused from the header", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json", "content-length": String(TEN_MB) });
      streamBytes(response, TEN_MB);
    });
    await expectFailure({}, 3000, "SIZE_LIMIT_EXCEEDED", (client) => client.repository(server.host, "app").getManifest("v1"));
  });

  test("a 10 MB manifest without a Content-Length is cut off at the limit", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      streamBytes(response, TEN_MB);
    });
    await expectFailure({}, 3000, "SIZE_LIMIT_EXCEEDED", (client) => client.repository(server.host, "app").getManifest("v1"));
  });

  test("a Content-Length that lies (1 KB declared, 10 MB sent) yields only the declared bytes, which do not match", async () => {
    const server = await serve((_request, response, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/vnd.oci.image.manifest.v1+json\r\ncontent-length: 1024\r\n\r\n`);
      socket.write(Buffer.alloc(TEN_MB, 0x7b));
      socket.end();
      void response;
    });
    await expectFailure({}, 3000, "DIGEST_MISMATCH", (client) => client.repository(server.host, "app").getManifest(genuineDigest));
  });

  test("a blob declaring 10 GB is refused before its body is read", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-length": String(10 * 1024 ** 3) });
      response.write(Buffer.alloc(1024));
      // …and never sends the rest.
    });
    await expectFailure({}, 3000, "SIZE_LIMIT_EXCEEDED", (client) => client.repository(server.host, "app").getBlob(genuineDigest, LIMITS.signatureLayerBytes));
  });

  test("a 10 MB error body is capped and the error still says what happened", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(500, { "content-type": "application/json", "content-length": String(TEN_MB) });
      response.write('{"errors":[{"code":"UNKNOWN","message":"');
      streamBytes(response, TEN_MB - 40);
    });
    const { error } = await expectFailure({}, 3000, "REGISTRY_ERROR", (client) => client.repository(server.host, "app").getManifest("v1"));
    assert.equal(error.details.status, 500);
    assert.ok(error.message.length < 1000);
  });

  test("endless error bodies on 503 are not read while retrying", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(503, { "retry-after": "0" });
      streamBytes(response, TEN_MB);
    });
    const { error, client } = await expectFailure({ retries: 2 }, 3000, "REGISTRY_ERROR", (c) => c.repository(server.host, "app").getManifest("v1"));
    assert.equal(error.details.status, 503);
    assert.equal(client.stats.requests, 3);
  });
});

describe("hostile registry: time", () => {
  test("a server that accepts the connection and never answers fails within the timeout", async () => {
    const server = await serve(() => undefined);
    await expectFailure({ timeoutMs: 300 }, 1500, "REGISTRY_TIMEOUT", (client) => client.repository(server.host, "app").getManifest("v1"));
  });

  test("a body that trickles forever fails within the overall timeout", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      const timer = setInterval(() => (response.destroyed ? clearInterval(timer) : response.write(" ")), 20);
      response.on("close", () => clearInterval(timer));
    });
    await expectFailure({ timeoutMs: 400 }, 1500, "REGISTRY_TIMEOUT", (client) => client.repository(server.host, "app").getManifest("v1"));
  });

  test("a token server that never answers fails within the timeout", async () => {
    const tokenServer = await serve(() => undefined);
    const server = await serve((_request, response) => {
      sendRegistryError(response, 401, "UNAUTHORIZED", "authentication required", { "www-authenticate": `Bearer realm="${tokenServer.origin}/token",service="x"` });
    });
    await expectFailure({ timeoutMs: 300 }, 1500, "REGISTRY_TIMEOUT", (client) => client.repository(server.host, "app").getManifest("v1"));
  });

  test("a redirect loop ends with REGISTRY_REDIRECT_LOOP", async () => {
    const server = await serve((request, response) => {
      response.writeHead(307, { location: request.url });
      response.end();
    });
    const { client } = await expectFailure({}, 3000, "REGISTRY_REDIRECT_LOOP", (c) => c.repository(server.host, "app").getBlob(genuineDigest, 100));
    assert.equal(client.stats.requests, LIMITS.redirects + 1);
  });

  test("429 then 200 is retried and succeeds", async () => {
    let calls = 0;
    const server = await serve((_request, response) => {
      if (++calls === 1) return sendRegistryError(response, 429, "TOOMANYREQUESTS", "slow down", { "retry-after": "0" });
      sendManifest(response, genuine);
    });
    const client = createRegistryClient({ credentials: NO_CREDENTIALS });
    try {
      const manifest = await client.repository(server.host, "app").getManifest("v1");
      assert.equal(manifest.digest, genuineDigest);
      assert.equal(client.stats.requests, 2);
    } finally {
      await client.close();
    }
  });

  test("502, 503 and 504 are retried with backoff, then reported", async () => {
    const server = await serve((_request, response) => sendRegistryError(response, 503, "UNAVAILABLE", "down"));
    const { client } = await expectFailure({ retries: 3, retryBaseDelayMs: 10 }, 3000, "REGISTRY_ERROR", (c) => c.repository(server.host, "app").getManifest("v1"));
    assert.equal(client.stats.requests, 4);
  });

  test("a Retry-After beyond the cap is not waited for", async () => {
    const server = await serve((_request, response) => sendRegistryError(response, 429, "TOOMANYREQUESTS", "come back in an hour", { "retry-after": "3600" }));
    const { client, error } = await expectFailure({}, 2000, "REGISTRY_TOO_MANY_REQUESTS", (c) => c.repository(server.host, "app").getManifest("v1"));
    assert.equal(client.stats.requests, 1);
    assert.match(error.message, /come back in an hour/);
  });

  test("a reset connection is retried for GET", async () => {
    let calls = 0;
    const server = await serve((_request, response, socket) => {
      if (++calls === 1) return void socket.destroy();
      sendManifest(response, genuine);
    });
    const client = createRegistryClient({ credentials: NO_CREDENTIALS });
    try {
      assert.equal((await client.repository(server.host, "app").getManifest("v1")).digest, genuineDigest);
      assert.equal(calls, 2);
    } finally {
      await client.close();
    }
  });

  test("a reset connection is retried for a manifest PUT (idempotent: the same bytes under the same name), then reported", async () => {
    const server = await serve((_request, _response, socket) => void socket.destroy());
    const { client } = await expectFailure({ retryBaseDelayMs: 10 }, 3000, "REGISTRY_UNREACHABLE", (c) => c.repository(server.host, "app").putManifest(genuine, "application/vnd.oci.image.manifest.v1+json", "v1"));
    assert.equal(client.stats.requests, 4);
  });

  test("a reset connection is not retried for the POST that opens an upload; putBlob starts the upload again, 3 times at most", async () => {
    const server = await serve((request, response, socket) => {
      if (request.method === "POST") return void socket.destroy();
      sendRegistryError(response, 404, "BLOB_UNKNOWN", "no such blob");
    });
    const blob = Buffer.from("blob");
    await expectFailure({ retryBaseDelayMs: 10 }, 5000, "REGISTRY_UNREACHABLE", (c) => c.repository(server.host, "app").putBlob(blob, sha256Digest(blob)));
    assert.deepEqual(server.requests.map((r) => r.method), ["POST", "HEAD", "POST", "HEAD", "POST"]);
  });

  test("500 is retried for GET and for the upload's PUT, never for POST", async () => {
    const blob = Buffer.from("blob");
    let failures = 0;
    const server = await serve((request, response) => {
      if (request.method !== "HEAD" && failures++ % 2 === 0) return sendRegistryError(response, 500, "UNKNOWN", "hiccup");
      if (request.method === "POST") {
        response.writeHead(202, { location: "/v2/app/blobs/uploads/session", "content-length": "0" });
        return void response.end();
      }
      if (request.method === "PUT") {
        response.writeHead(201, { "docker-content-digest": sha256Digest(blob), "content-length": "0" });
        return void response.end();
      }
      if (request.method === "HEAD") return sendRegistryError(response, 404, "BLOB_UNKNOWN", "no such blob");
      sendManifest(response, genuine);
    });
    const client = createRegistryClient({ credentials: NO_CREDENTIALS, retryBaseDelayMs: 10 });
    try {
      assert.equal((await client.repository(server.host, "app").getManifest("v1")).digest, genuineDigest);
      await client.repository(server.host, "app").putBlob(blob, sha256Digest(blob));
      // GET 500, GET 200; POST 500 (not retried: putBlob asks whether the blob arrived, then starts again), POST 202, PUT 500, PUT 201.
      assert.deepEqual(server.requests.map((r) => r.method), ["GET", "GET", "POST", "HEAD", "POST", "PUT", "PUT"]);
    } finally {
      await client.close();
    }
  });

  test("keep-alive: sequential requests reuse connections", async () => {
    const server = await serve((_request, response) => sendManifest(response, genuine));
    const client = createRegistryClient({ credentials: NO_CREDENTIALS });
    try {
      const repo = client.repository(server.host, "app");
      for (let i = 0; i < 10; i++) await repo.getManifest("v1");
      await repo.hasBlob(genuineDigest);
      await repo.getManifest("v1");
      assert.equal(server.requests.length, 12);
      // The pool may open a second connection when a request races the release of the first; never one per request.
      assert.ok(server.connections <= 2, `${server.connections} connections for 12 requests`);
    } finally {
      await client.close();
    }
  });
});

describe("hostile registry: protocol", () => {
  test("404 with a plain-text body is REGISTRY_NOT_FOUND; tryGetManifest gives undefined on a plain 404 only", async () => {
    const server = await serve((request, response) => {
      if (request.url.includes("/broken")) return sendRegistryError(response, 500, "UNKNOWN", "boom");
      if (request.url.includes("/hidden")) return sendRegistryError(response, 404, "DENIED", "requested access to the resource is denied");
      if (request.url.includes("/anonymous")) return sendRegistryError(response, 404, "UNAUTHORIZED", "authentication required");
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("404 page not found\n");
    });
    const client = createRegistryClient({ credentials: NO_CREDENTIALS, retries: 0 });
    try {
      const repo = client.repository(server.host, "app");
      await assertRejectsWithCode(() => repo.getManifest("v1"), "REGISTRY_NOT_FOUND");
      assert.equal(await repo.tryGetManifest("v1"), undefined);
      await assertRejectsWithCode(() => client.repository(server.host, "broken").tryGetManifest("v1"), "REGISTRY_ERROR");
      // a denial some registries answer with 404 is not "there is none"
      await assertRejectsWithCode(() => client.repository(server.host, "hidden").tryGetManifest("v1"), "REGISTRY_DENIED");
      await assertRejectsWithCode(() => client.repository(server.host, "anonymous").tryGetManifest("v1"), "REGISTRY_UNAUTHORIZED");
    } finally {
      await client.close();
    }
  });

  test("oversized response headers are a protocol error", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(401, { "www-authenticate": `Bearer realm="${"x".repeat(100_000)}"` });
      response.end();
    });
    await expectFailure({}, 3000, "REGISTRY_PROTOCOL", (client) => client.repository(server.host, "app").getManifest("v1"));
  });

  test("an answer that is not HTTP is a protocol error", async () => {
    const server = await serve((_request, _response, socket) => void socket.end("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
    await expectFailure({}, 3000, "REGISTRY_PROTOCOL", (client) => client.repository(server.host, "app").getManifest("v1"));
  });

  test("an upload without a Location is a protocol error", async () => {
    const server = await serve((request, response) => {
      if (request.method === "HEAD") return void response.writeHead(404).end();
      response.writeHead(202);
      response.end();
    });
    const blob = Buffer.from("blob");
    await expectFailure({}, 3000, "REGISTRY_PROTOCOL", (client) => client.repository(server.host, "app").putBlob(blob, sha256Digest(blob)));
  });

  test("an upload Location with its own query gets the digest appended with &", async () => {
    const blob = Buffer.from("blob");
    const server = await serve((request, response) => {
      if (request.method === "HEAD") return void response.writeHead(404).end();
      if (request.method === "POST") return void response.writeHead(202, { location: "/upload/session-1?_state=abc" }).end();
      response.writeHead(201, { "docker-content-digest": sha256Of(blob) });
      response.end();
    });
    const client = createRegistryClient({ credentials: NO_CREDENTIALS });
    try {
      await client.repository(server.host, "app").putBlob(blob, sha256Digest(blob));
      const put = server.requests.find((request) => request.method === "PUT")!;
      assert.equal(put.url, `/upload/session-1?_state=abc&digest=${encodeURIComponent(sha256Of(blob))}`);
      assert.equal(put.headers["content-type"], "application/octet-stream");
      assert.equal(put.headers["content-length"], String(blob.length));
      assert.deepEqual(put.body, blob);
    } finally {
      await client.close();
    }
  });

  test("tag lists follow Link pagination", async () => {
    const all = ["a", "b", "c", "d", "e"];
    const server = await serve((request, response) => {
      const url = new URL(request.url, "http://x");
      const n = Number(url.searchParams.get("n"));
      const last = url.searchParams.get("last");
      const start = last === null ? 0 : all.indexOf(last) + 1;
      const page = all.slice(start, start + n);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (start + n < all.length) headers.link = `</v2/app/tags/list?n=${n}&last=${page.at(-1)}>; rel="next"`;
      response.writeHead(200, headers);
      response.end(JSON.stringify({ name: "app", tags: [...page, "../not-a-tag"] }));
    });
    const client = createRegistryClient({ credentials: NO_CREDENTIALS, tagPageSize: 2 });
    try {
      assert.deepEqual(await client.repository(server.host, "app").listTags(), all);
      assert.deepEqual(server.requests.map((request) => request.url), ["/v2/app/tags/list?n=2", "/v2/app/tags/list?n=2&last=b", "/v2/app/tags/list?n=2&last=d"]);
    } finally {
      await client.close();
    }
  });

  test("endless tag pagination stops at the page limit", async () => {
    let page = 0;
    const server = await serve((_request, response) => {
      page++;
      response.writeHead(200, { "content-type": "application/json", link: `</v2/app/tags/list?n=1&last=t${page}>; rel="next"` });
      response.end(JSON.stringify({ name: "app", tags: [`t${page}`] }));
    });
    const { client } = await expectFailure({}, 20_000, "COUNT_LIMIT_EXCEEDED", (c) => c.repository(server.host, "app").listTags());
    assert.equal(client.stats.requests, LIMITS.tagListPages);
  });

  test("too many tags in total", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ name: "app", tags: Array.from({ length: 50 }, (_, i) => `t${i}`) }));
    });
    await expectFailure({ maxTags: 10 }, 3000, "COUNT_LIMIT_EXCEEDED", (client) => client.repository(server.host, "app").listTags());
  });

  test("pagination links that repeat or leave the tag list are refused", async () => {
    for (const link of ['</v2/app/tags/list?n=1000>; rel="next"', '<http://127.0.0.2:9/v2/app/tags/list?last=x>; rel="next"', '</v2/other/tags/list?last=x>; rel="next"']) {
      const server = await serve((_request, response) => {
        response.writeHead(200, { "content-type": "application/json", link });
        response.end(JSON.stringify({ name: "app", tags: ["a"] }));
      });
      await expectFailure({}, 3000, "REGISTRY_PROTOCOL", (client) => client.repository(server.host, "app").listTags());
    }
  });

  test("a redirect to plain HTTP off loopback is refused", async () => {
    const server = await serve((_request, response) => {
      response.writeHead(307, { location: "http://storage.example.invalid/blob" });
      response.end();
    });
    await expectFailure({}, 3000, "REGISTRY_INSECURE_REFUSED", (client) => client.repository(server.host, "app").getBlob(genuineDigest, 100));
  });

  test("a token response larger than the limit", async () => {
    const tokenServer = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      streamBytes(response, LIMITS.tokenResponseBytes * 3);
    });
    const server = await serve((_request, response) =>
      sendRegistryError(response, 401, "UNAUTHORIZED", "authentication required", { "www-authenticate": `Bearer realm="${tokenServer.origin}/token"` }),
    );
    await expectFailure({}, 3000, "SIZE_LIMIT_EXCEEDED", (client) => client.repository(server.host, "app").getManifest("v1"));
  });
});

describe("hostile registry: credentials", () => {
  test("Authorization is stripped when a redirect leaves the registry's origin", async () => {
    const blob = Buffer.from("stored elsewhere");
    const storage = await serve((_request, response) => {
      response.writeHead(200, { "content-length": String(blob.length) });
      response.end(blob);
    });
    const server = await serve((request, response) => {
      if (request.headers.authorization === undefined) {
        return sendRegistryError(response, 401, "UNAUTHORIZED", "authentication required", { "www-authenticate": 'Basic realm="registry"' });
      }
      response.writeHead(307, { location: `${storage.origin}/blobs/x?sig=presigned` });
      response.end();
    });
    const client = createRegistryClient({ credentials: createStaticCredentialStore(server.host, { username: "alice", password: "pw" }) });
    try {
      assert.deepEqual(await client.repository(server.host, "app").getBlob(sha256Digest(blob), 100), blob);
      assert.ok(server.requests.some((request) => request.headers.authorization?.startsWith("Basic ")));
      assert.equal(storage.requests.length, 1);
      assert.equal(storage.requests[0]!.headers.authorization, undefined);
    } finally {
      await client.close();
    }
  });

  test("a token server's redirect elsewhere does not carry the Basic credentials", async () => {
    const elsewhere = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ token: "t0k3n" }));
    });
    const tokenServer = await serve((request, response) => {
      response.writeHead(307, { location: `${elsewhere.origin}${request.url}` });
      response.end();
    });
    const server = await serve((request, response) => {
      if (request.headers.authorization !== "Bearer t0k3n") {
        return sendRegistryError(response, 401, "UNAUTHORIZED", "authentication required", { "www-authenticate": `Bearer realm="${tokenServer.origin}/token"` });
      }
      sendManifest(response, genuine);
    });
    const client = createRegistryClient({ credentials: createStaticCredentialStore(server.host, { username: "alice", password: "pw" }) });
    try {
      await client.repository(server.host, "app").getManifest("v1");
      assert.ok(tokenServer.requests[0]!.headers.authorization?.startsWith("Basic "));
      assert.equal(elsewhere.requests[0]!.headers.authorization, undefined);
    } finally {
      await client.close();
    }
  });

  test("tokens echoed in error messages are redacted", async () => {
    const token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl";
    const tokenServer = await serve((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ token }));
    });
    const server = await serve((request, response) => {
      if (request.headers.authorization === undefined) {
        return sendRegistryError(response, 401, "UNAUTHORIZED", "authentication required", { "www-authenticate": `Bearer realm="${tokenServer.origin}/token"` });
      }
      sendRegistryError(response, 400, "UNKNOWN", `cannot use ${request.headers.authorization}`);
    });
    const { error } = await expectFailure({}, 3000, "REGISTRY_ERROR", (client) => client.repository(server.host, "app").getManifest("v1"));
    assert.ok(!JSON.stringify(error.toJSON()).includes(token));
    assert.ok(!error.message.includes(token));
  });

  test("credentials stored for the host without its port are not sent", async () => {
    const server = await serve((_request, response) =>
      sendRegistryError(response, 401, "UNAUTHORIZED", "authentication required", { "www-authenticate": 'Basic realm="registry"' }),
    );
    const { client } = await expectFailure(
      { credentials: createStaticCredentialStore("127.0.0.1", { username: "u", password: "p" }) },
      3000,
      "REGISTRY_UNAUTHORIZED",
      (c) => c.repository(server.host, "app").getManifest("v1"),
    );
    assert.equal(client.stats.requests, 1);
    assert.equal(server.requests[0]!.headers.authorization, undefined);
  });
});
