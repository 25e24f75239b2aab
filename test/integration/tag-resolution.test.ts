/**
 * Tag resolution (issue #8 item 5): the digest of a resolved tag is the digest of the manifest bytes received,
 * never the registry's Docker-Content-Digest claim; a header that disagrees with the body is DIGEST_MISMATCH; and
 * resolving costs one request, as the HEAD it replaced did.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sha256Digest } from "../../src/internal/digest.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { NO_CREDENTIALS } from "../../src/oci/registry/credentials.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { sampleManifest, sendManifest, startHostileRegistry, type FakeHandler, type HostileRegistry } from "../helpers/hostile-registry.js";
import { pushTestImage } from "../helpers/images.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const genuine = sampleManifest("genuine");
const forged = sampleManifest("forged");
const genuineDigest = sha256Digest(genuine);
const forgedDigest = sha256Digest(forged);

describe("tag resolution against a hostile registry", () => {
  const servers: HostileRegistry[] = [];
  after(() => Promise.all(servers.map((server) => server.stop())));
  async function resolveAgainst(handler: FakeHandler, tag: string) {
    const server = await startHostileRegistry(handler);
    servers.push(server);
    const access = new ImageAccess({ credentials: NO_CREDENTIALS });
    try {
      return { server, result: await access.resolve(`${server.host}/app:${tag}`), requests: access.requestCount() };
    } finally {
      await access.close();
    }
  }

  test("an honest answer: the digest is of the bytes, the manifest is kept, one GET", async () => {
    const { server, result, requests } = await resolveAgainst((_request, response) => sendManifest(response, genuine), "v1");
    assert.equal(result.digest, genuineDigest);
    assert.deepEqual(result.manifest?.bytes, genuine);
    assert.equal(result.resolvedTag, "v1");
    assert.equal(requests, 1);
    assert.deepEqual(server.requests.map((r) => r.method), ["GET"]);
  });

  test("a Docker-Content-Digest naming a signed image while other bytes are served: DIGEST_MISMATCH", async () => {
    const server = await startHostileRegistry((_request, response) => sendManifest(response, forged, { claimedDigest: genuineDigest }));
    servers.push(server);
    const access = new ImageAccess({ credentials: NO_CREDENTIALS });
    try {
      const error = await assertRejectsWithCode(() => access.resolve(`${server.host}/app:latest`), "DIGEST_MISMATCH");
      assert.match(error.message, new RegExp(`Docker-Content-Digest ${genuineDigest} does not match ${forgedDigest}`));
      assert.equal(access.requestCount(), 1);
    } finally {
      await access.close();
    }
  });

  test("no Docker-Content-Digest at all: the digest is still that of the bytes", async () => {
    const { result } = await resolveAgainst((_request, response) => {
      response.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json", "content-length": String(forged.length) });
      response.end(forged);
    }, "v2");
    assert.equal(result.digest, forgedDigest);
  });

  test("a HEAD is never trusted: a registry whose HEAD lies and GET tells the truth yields the GET's digest", async () => {
    const { server, result } = await resolveAgainst((request, response) => {
      if (request.method === "HEAD") {
        response.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json", "content-length": String(genuine.length), "docker-content-digest": genuineDigest });
        return void response.end();
      }
      sendManifest(response, forged);
    }, "v3");
    assert.equal(result.digest, forgedDigest);
    assert.ok(server.requests.every((r) => r.method === "GET"));
  });

  test("a tag that does not exist is REGISTRY_NOT_FOUND", async () => {
    const server = await startHostileRegistry((_request, response) => void response.writeHead(404, { "content-type": "application/json" }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'));
    servers.push(server);
    const access = new ImageAccess({ credentials: NO_CREDENTIALS });
    try {
      await assertRejectsWithCode(() => access.resolve(`${server.host}/app:missing`), "REGISTRY_NOT_FOUND");
    } finally {
      await access.close();
    }
  });
});

describe("tag resolution against docker-registry", () => {
  let registry: TestRegistry;
  before(async () => {
    registry = await startRegistry();
  });
  after(() => registry.stop());

  test("the digest is the pushed manifest's, from one request, with its bytes", async () => {
    const pushed = await pushTestImage(registry.host, "resolve/app", "v1", "resolve me");
    const access = new ImageAccess({ credentials: NO_CREDENTIALS });
    try {
      const result = await access.resolve(`${registry.host}/resolve/app:v1`);
      assert.equal(result.digest, pushed);
      assert.equal(sha256Digest(result.manifest!.bytes), pushed);
      assert.equal(access.requestCount(), 1);
      const byDigest = await access.resolve(`${registry.host}/resolve/app@${pushed}`);
      assert.equal(byDigest.manifest, undefined);
      assert.equal(access.requestCount(), 1, "a digest reference costs no request");
    } finally {
      await access.close();
    }
  });
});
