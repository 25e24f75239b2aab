// `signet verify` against a hostile registry: every attack ends in a clear error code, in bounded time and
// memory, and never in "verified" (security-cases.md B.14, E.30, E.31).
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ERROR_CATALOG, type ErrorCode } from "../../src/errors/index.js";
import { sha256Digest } from "../../src/internal/digest.js";
import { generateSigningKey, publicKeyToPem, signWithKey } from "../../src/keys/index.js";
import { MediaType } from "../../src/oci/manifest/media-types.js";
import { createSimpleSigningPayload } from "../../src/signatures/payload/simple-signing.js";
import { buildSignatureImage } from "../../src/signatures/cosign/signature-manifest.js";
import { jsonErrorCodes, runSignet } from "../helpers/cli.js";
import { startHostileRegistry, type FakeHandler, type HostileRegistry } from "../helpers/hostile-registry.js";

const IMAGE_DIGEST = sha256Digest(Buffer.from("the image"));
const SIG_PATH = `/v2/app/manifests/sha256-${IMAGE_DIGEST.slice(7)}.sig`;

describe("verify against a hostile registry", () => {
  const key = generateSigningKey("ecdsa-p256");
  const payload = createSimpleSigningPayload({ dockerReference: "hostile/app", manifestDigest: IMAGE_DIGEST });
  const signature = signWithKey(key, payload).toString("base64");
  const goodLayer = { mediaType: MediaType.CosignSimpleSigning, digest: sha256Digest(payload), size: payload.length, annotations: { "dev.cosignproject.cosign/signature": signature } };
  let dir: string;
  let registry: HostileRegistry | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "signet-hostile-"));
    writeFileSync(join(dir, "k.pub"), publicKeyToPem(key.publicKey));
  });
  after(async () => registry?.stop());

  const serveManifest = (response: ServerResponse, bytes: Buffer) => {
    response.writeHead(200, { "content-type": MediaType.OciManifest, "docker-content-digest": sha256Digest(bytes), "content-length": bytes.length });
    response.end(bytes);
  };

  async function verifyAgainst(handler: FakeHandler): Promise<{ codes: string[]; ms: number; requests: string[]; stdout: string }> {
    await registry?.stop();
    registry = await startHostileRegistry(handler);
    const started = Date.now();
    const result = await runSignet(["verify", "--insecure-ignore-tlog", "--key", join(dir, "k.pub"), "--timeout", "2s", "--output-format", "json", `${registry.host}/app@${IMAGE_DIGEST}`]);
    assert.notEqual(result.status, 0, `verify must fail: ${result.stdout}${result.stderr}`);
    const codes = jsonErrorCodes(result.stdout);
    // The exit code is the catalog's for the error reported (docs/errors.md), the same as with text output.
    assert.equal(result.status, ERROR_CATALOG[codes[0] as ErrorCode].exitCode, codes.join());
    return { codes, ms: Date.now() - started, requests: registry.requests.map((r) => `${r.method} ${r.url}`), stdout: result.stdout };
  }

  test("the honest server verifies (the harness itself works)", async () => {
    await registry?.stop();
    registry = await startHostileRegistry((request, response) => {
      if (request.url === SIG_PATH) return serveManifest(response, buildSignatureImage([goodLayer]).manifestBytes);
      if (request.url === `/v2/app/blobs/${goodLayer.digest}`) return void response.writeHead(200, { "content-length": payload.length }).end(payload);
      response.writeHead(404).end();
    });
    const result = await runSignet(["verify", "--insecure-ignore-tlog", "--key", join(dir, "k.pub"), "--output-format", "json", `${registry.host}/app@${IMAGE_DIGEST}`]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  test("thousands of signature layers: COUNT_LIMIT_EXCEEDED before any layer is fetched", async () => {
    for (const layers of [101, 5000]) {
      const manifest = buildSignatureImage(Array.from({ length: layers }, () => goodLayer)).manifestBytes;
      const outcome = await verifyAgainst((request, response) => (request.url === SIG_PATH ? serveManifest(response, manifest) : void response.writeHead(404).end()));
      assert.deepEqual(outcome.codes, ["COUNT_LIMIT_EXCEEDED"]);
      assert.ok(!outcome.requests.some((r) => r.includes("/blobs/")), "no layer was fetched");
    }
  });

  test("a signature layer declaring 10 GB is skipped (SIZE_LIMIT_EXCEEDED) without fetching it; alone, nothing verifies (SIG_MISSING)", async () => {
    const manifest = buildSignatureImage([{ ...goodLayer, size: 10 * 1024 ** 3 }]).manifestBytes;
    const outcome = await verifyAgainst((request, response) => (request.url === SIG_PATH ? serveManifest(response, manifest) : void response.writeHead(404).end()));
    assert.deepEqual(outcome.codes, ["SIG_MISSING"]);
    const error = (JSON.parse(outcome.stdout) as { images: { error: { message: string; details: { skipped: { code: string }[] } } }[] }).images[0]!.error;
    assert.deepEqual(error.details.skipped.map((s) => s.code), ["SIZE_LIMIT_EXCEEDED"]);
    assert.match(error.message, /1 signature layer was skipped/);
    assert.ok(!outcome.requests.some((r) => r.includes("/blobs/")));
  });

  test("a signature layer that lies about its size, or streams forever: SIZE_LIMIT_EXCEEDED", async () => {
    const manifest = buildSignatureImage([goodLayer]).manifestBytes;
    const outcome = await verifyAgainst((request, response) => {
      if (request.url === SIG_PATH) return serveManifest(response, manifest);
      response.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < 64 * 1024 * 1024 && response.write(chunk)) sent += chunk.length;
        if (sent < 64 * 1024 * 1024) response.once("drain", pump);
        else response.end();
      };
      response.on("close", () => (sent = Infinity));
      pump();
    });
    assert.deepEqual(outcome.codes, ["SIZE_LIMIT_EXCEEDED"]);
  });

  test("a signature manifest over 4 MiB: SIZE_LIMIT_EXCEEDED", async () => {
    const huge = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const outcome = await verifyAgainst((request, response) => (request.url === SIG_PATH ? serveManifest(response, huge) : void response.writeHead(404).end()));
    assert.deepEqual(outcome.codes, ["SIZE_LIMIT_EXCEEDED"]);
  });

  test("bytes that do not match their digest, whatever the headers claim: DIGEST_MISMATCH", async () => {
    const manifest = buildSignatureImage([goodLayer]).manifestBytes;
    const forged = Buffer.from(payload.toString().replace("hostile/app", "hostile/xyz"));
    const outcome = await verifyAgainst((request, response) => {
      if (request.url === SIG_PATH) return serveManifest(response, manifest);
      response.writeHead(200, { "docker-content-digest": goodLayer.digest, "content-length": forged.length }).end(forged);
    });
    assert.deepEqual(outcome.codes, ["DIGEST_MISMATCH"]);
  });

  test("a hanging connection: REGISTRY_TIMEOUT within the deadline", async () => {
    const outcome = await verifyAgainst(() => undefined);
    assert.deepEqual(outcome.codes, ["REGISTRY_TIMEOUT"]);
    assert.ok(outcome.ms < 10_000, `took ${outcome.ms} ms`);
  });

  test("a redirect loop: REGISTRY_REDIRECT_LOOP", async () => {
    const outcome = await verifyAgainst((request, response) => void response.writeHead(307, { location: request.url }).end());
    assert.deepEqual(outcome.codes, ["REGISTRY_REDIRECT_LOOP"]);
  });

  test("a signature for another digest served under this image's tag: SIG_DIGEST_MISMATCH", async () => {
    const other = createSimpleSigningPayload({ dockerReference: "hostile/app", manifestDigest: sha256Digest(Buffer.from("another image")) });
    const layer = { ...goodLayer, digest: sha256Digest(other), size: other.length, annotations: { "dev.cosignproject.cosign/signature": signWithKey(key, other).toString("base64") } };
    const manifest = buildSignatureImage([layer]).manifestBytes;
    const outcome = await verifyAgainst((request, response) => {
      if (request.url === SIG_PATH) return serveManifest(response, manifest);
      response.writeHead(200, { "content-length": other.length }).end(other);
    });
    assert.deepEqual(outcome.codes, ["SIG_DIGEST_MISMATCH"]);
  });
});
