// The referrers API client against a fake registry on loopback: the API, its absence (Debian's registry answers
// a plain-text 404), pagination, and hostile answers.
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { after, describe, test } from "node:test";
import { sha256Digest } from "../../../../src/internal/digest.js";
import { MediaType } from "../../../../src/oci/manifest/media-types.js";
import { fetchReferrersFromRegistry, MAX_REFERRERS_PAGES } from "../../../../src/oci/referrers/index.js";
import { createRegistryHttp } from "../../../../src/oci/registry/registry-http.js";
import { createAgents, createBaseRoundTrip } from "../../../../src/oci/registry/transport.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { startHostileRegistry, type FakeHandler, type RecordedRequest } from "../../../helpers/hostile-registry.js";

const subject = sha256Digest(Buffer.from("subject"));
const entry = (n: number) => ({ mediaType: MediaType.OciManifest, digest: sha256Digest(Buffer.from(String(n))), size: 10, artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json" });
const index = (manifests: unknown[]) => JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests });

describe("fetchReferrersFromRegistry", () => {
  const agents = createAgents({ timeoutMs: 5000 });
  after(() => agents.close());

  async function ask(handler: FakeHandler, artifactType?: string) {
    const server = await startHostileRegistry(handler);
    const http = createRegistryHttp({
      policy: { allowHttpRegistry: true, allowInsecureRegistry: false, plainHttp: true },
      timeoutMs: 5000,
      authenticated: createBaseRoundTrip(agents, { userAgent: "test", counter: { requests: 0 } }),
      base: createBaseRoundTrip(agents, { userAgent: "test", counter: { requests: 0 } }),
      planScheme: () => ({ kind: "fixed", origin: server.origin }),
    });
    try {
      return { answer: await fetchReferrersFromRegistry(http, { registry: server.host, repository: "app", displayName: `${server.host}/app` }, subject, artifactType ? { artifactType } : {}), requests: server.requests };
    } finally {
      await server.stop();
    }
  }
  const serveIndex = (response: ServerResponse, body: string, headers: Record<string, string> = {}) => void response.writeHead(200, { "content-type": MediaType.OciIndex, ...headers }).end(body);

  test("reads the API's index, asking with the artifact type", async () => {
    let seen: RecordedRequest | undefined;
    const { answer } = await ask((request, response) => {
      seen = request;
      serveIndex(response, index([entry(1), entry(2)]));
    }, "application/vnd.dev.sigstore.bundle.v0.3+json");
    assert.ok(answer.supported);
    assert.equal(answer.descriptors.length, 2);
    assert.equal(seen!.url, `/v2/app/referrers/${subject}?artifactType=application%2Fvnd.dev.sigstore.bundle.v0.3%2Bjson`);
  });

  test("Debian's registry: 404 with a plain-text body means no API", async () => {
    const { answer } = await ask((_request, response) => void response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("404 page not found\n"));
    assert.equal(answer.supported, false);
    assert.match(!answer.supported ? answer.reason : "", /404 page not found/);
  });

  test("an answer that is not an OCI index means no API", async () => {
    const { answer } = await ask((_request, response) => void response.writeHead(200, { "content-type": "text/html" }).end("<html>"));
    assert.equal(answer.supported, false);
  });

  test("follows Link pagination on the same path", async () => {
    const { answer, requests } = await ask((request, response) => {
      if (request.url.includes("last=1")) return serveIndex(response, index([entry(2)]));
      serveIndex(response, index([entry(1)]), { link: `</v2/app/referrers/${subject}?last=1>; rel="next"` });
    });
    assert.ok(answer.supported);
    assert.equal(answer.descriptors.length, 2);
    assert.equal(requests.length, 2);
  });

  test("endless pagination stops with COUNT_LIMIT_EXCEEDED (E.30)", async () => {
    let page = 0;
    await assertRejectsWithCode(
      () => ask((_request, response) => serveIndex(response, index([entry(page)]), { link: `</v2/app/referrers/${subject}?page=${++page}>; rel="next"` })),
      "COUNT_LIMIT_EXCEEDED",
    );
    assert.ok(page <= MAX_REFERRERS_PAGES + 1);
  });

  test("a next link to another path or a repeated page is REGISTRY_PROTOCOL", async () => {
    await assertRejectsWithCode(() => ask((_request, response) => serveIndex(response, index([]), { link: '</v2/other/tags/list>; rel="next"' })), "REGISTRY_PROTOCOL");
    await assertRejectsWithCode(() => ask((_request, response) => serveIndex(response, index([]), { link: `</v2/app/referrers/${subject}>; rel="next"` })), "REGISTRY_PROTOCOL");
  });

  test("a malformed index from the API is REFERRERS_INVALID; a server error is surfaced", async () => {
    await assertRejectsWithCode(() => ask((_request, response) => serveIndex(response, '{"schemaVersion":2,"manifests":[{"digest":"sha256:../x"}]}')), "REFERRERS_INVALID");
    await assertRejectsWithCode(() => ask((_request, response) => void response.writeHead(401).end()), "REGISTRY_UNAUTHORIZED");
  });
});
