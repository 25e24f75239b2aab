/**
 * `signet kbs set-resource` against a local HTTP server that plays the KBS admin endpoint: it checks the route,
 * the body and the admin JWT (its EdDSA signature with the admin public key, its header and iat/exp claims), as
 * trustee's KBS does, and answers 401 otherwise.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, verify, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { runCliInProcess } from "../../helpers/cli.js";
import { ADMIN_TOKEN_LIFETIME_SECONDS, createAdminToken, parseAdminPrivateKey, parseResourcePath, setKbsResource } from "../../../src/coco/kbs-admin.js";

interface Upload {
  method: string;
  url: string;
  contentType: string | undefined;
  body: Buffer;
  claims?: { iat: number; exp: number };
}

/** Verifies `Bearer <jwt>` with the admin public key: header {typ JWT, alg EdDSA}, claims {exp, iat} only, not expired. */
function checkAdminJwt(authorization: string | undefined, publicKey: KeyObject): { iat: number; exp: number } | undefined {
  const token = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
  if (token === undefined) return undefined;
  const [header, claims, signature, ...rest] = token.split(".");
  if (header === undefined || claims === undefined || signature === undefined || rest.length > 0) return undefined;
  if (!verify(null, Buffer.from(`${header}.${claims}`, "ascii"), publicKey, Buffer.from(signature, "base64url"))) return undefined;
  const h = JSON.parse(Buffer.from(header, "base64url").toString()) as Record<string, unknown>;
  const c = JSON.parse(Buffer.from(claims, "base64url").toString()) as Record<string, unknown>;
  if (h["alg"] !== "EdDSA" || h["typ"] !== "JWT" || Object.keys(h).length !== 2) return undefined;
  if (Object.keys(c).sort().join(",") !== "exp,iat" || typeof c["iat"] !== "number" || typeof c["exp"] !== "number") return undefined;
  if (c["exp"] <= Date.now() / 1000) return undefined;
  return { iat: c["iat"], exp: c["exp"] };
}

describe("kbs set-resource (the KBS admin API)", () => {
  let server: Server;
  let url: string;
  let dir: string;
  let adminKey: { publicKey: KeyObject; privateKey: KeyObject };
  const uploads: Upload[] = [];

  before(async () => {
    adminKey = generateKeyPairSync("ed25519");
    dir = mkdtempSync(join(tmpdir(), "signet-kbs-admin-"));
    writeFileSync(join(dir, "admin.key"), adminKey.privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "other.key"), generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "ec.key"), generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "cosign.pub"), "-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n");
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const claims = checkAdminJwt(request.headers.authorization, adminKey.publicKey);
        const route = /^\/kbs\/v0\/resource\/[^/]+\/[^/]+\/[^/]+$/.test(request.url ?? "");
        if (claims === undefined) {
          response.writeHead(401).end("invalid admin token");
          return;
        }
        if (request.method !== "POST" || !route) {
          response.writeHead(404).end();
          return;
        }
        uploads.push({ method: request.method, url: request.url ?? "", contentType: request.headers["content-type"], body: Buffer.concat(chunks), claims });
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("signs the admin token as kbs-client did: EdDSA, {exp: iat + 7200, iat}", () => {
    const now = new Date("2026-01-02T03:04:05Z");
    const token = createAdminToken(parseAdminPrivateKey(adminKey.privateKey.export({ type: "pkcs8", format: "pem" })), now);
    const [header, claims] = token.split(".");
    assert.deepEqual(JSON.parse(Buffer.from(header!, "base64url").toString()), { typ: "JWT", alg: "EdDSA" });
    const iat = Math.floor(now.getTime() / 1000);
    assert.deepEqual(JSON.parse(Buffer.from(claims!, "base64url").toString()), { exp: iat + ADMIN_TOKEN_LIFETIME_SECONDS, iat });
  });

  test("POSTs the bytes to /kbs/v0/resource/<repository>/<type>/<tag> as application/octet-stream, with a token the KBS verifies", async () => {
    const before = uploads.length;
    const result = await runCliInProcess(
      ["kbs", "set-resource", "--url", url, "--path", "default/cosign-public-key/test", "--resource-file", join(dir, "cosign.pub"), "--auth-private-key", join(dir, "admin.key"), "--mirror", join(dir, "mirror"), "--output", "json"],
      {},
    );
    assert.equal(result.status, 0, result.stderr + result.stdout);
    const upload = uploads[before]!;
    assert.equal(upload.method, "POST");
    assert.equal(upload.url, "/kbs/v0/resource/default/cosign-public-key/test");
    assert.equal(upload.contentType, "application/octet-stream");
    assert.deepEqual(upload.body, readFileSync(join(dir, "cosign.pub")));
    assert.equal(upload.claims!.exp - upload.claims!.iat, ADMIN_TOKEN_LIFETIME_SECONDS);
    const report = JSON.parse(result.stdout) as { uri: string; bytes: number };
    assert.equal(report.uri, "kbs:///default/cosign-public-key/test");
    assert.equal(report.bytes, upload.body.length);
    assert.deepEqual(readFileSync(join(dir, "mirror", "default", "cosign-public-key", "test")), upload.body);
  });

  test("a token signed by another key is refused by the KBS: KBS_ADMIN_REJECTED", async () => {
    const result = await runCliInProcess(
      ["kbs", "set-resource", "--url", url, "--path", "kbs:///default/security-policy/test", "--resource-file", join(dir, "cosign.pub"), "--auth-private-key", join(dir, "other.key"), "--output", "json"],
      {},
    );
    assert.notEqual(result.status, 0);
    assert.equal((JSON.parse(result.stdout) as { error: { code: string } }).error.code, "KBS_ADMIN_REJECTED");
    assert.match(result.stdout, /did not accept the admin token/);
  });

  test("an admin token file is sent as is; a non-Ed25519 key, a bad path and no credentials are refused before any request", async () => {
    const token = createAdminToken(adminKey.privateKey);
    writeFileSync(join(dir, "token"), `${token}\n`);
    const before = uploads.length;
    await setKbsResource({ kbsUrl: url, resource: parseResourcePath("default/policy/x"), bytes: Buffer.from("{}"), adminToken: token, timeoutMs: 10_000 });
    assert.equal(uploads.length, before + 1);
    const viaFile = await runCliInProcess(["kbs", "set-resource", "--url", url, "--path", "default/policy/y", "--resource-file", join(dir, "cosign.pub"), "--admin-token", join(dir, "token")], {});
    assert.equal(viaFile.status, 0, viaFile.stderr);
    assert.equal(uploads.at(-1)!.url, "/kbs/v0/resource/default/policy/y");
    await assertRejectsWithCode(() => parseAdminPrivateKey(readFileSync(join(dir, "ec.key"))), "KEY_UNSUPPORTED");
    await assertRejectsWithCode(() => parseResourcePath("default/../x"), "POLICY_KEY_UNREADABLE");
    const count = uploads.length;
    const none = await runCliInProcess(["kbs", "set-resource", "--url", url, "--path", "default/policy/z", "--resource-file", join(dir, "cosign.pub"), "--output", "json"], {});
    assert.equal((JSON.parse(none.stdout) as { error: { code: string } }).error.code, "USAGE");
    assert.equal(uploads.length, count);
  });
});
