import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { openKmsKey } from "../../src/keys/kms/index.js";
import { verifyWithKey } from "../../src/keys/sign-verify.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { createLoopbackTls, derToP1363, signDigest, startJsonServer, type RecordedRequest, type TestServer } from "../helpers/kms-servers.js";

/**
 * azurekms:// through @azure/keyvault-keys against an HTTPS server on a random loopback port (a certificate from
 * the test's own CA, given as SIGNET_KMS_CACERT) that speaks Key Vault's REST API: a request without a token is
 * answered 401 with the Bearer challenge (authorization, resource) the SDK must follow; GET /keys/NAME/VERSION
 * returns a JWK; POST …/sign returns r || s (base64url), as Key Vault does.
 */
describe("azurekms:// (Key Vault REST API, bearer challenge)", () => {
  const TOKEN = "eyJ0ZXN0IjoidG9rZW4ifQ.not-a-secret";
  const keys: Record<string, { privateKey: KeyObject; publicKey: KeyObject; kty: string; size: number }> = {};
  let server: TestServer;
  let env: NodeJS.ProcessEnv;
  let host: string;

  before(async () => {
    const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    keys["p256"] = { ...p256, kty: "EC", size: 32 };
    keys["p384"] = { ...p384, kty: "EC-HSM", size: 48 };
    keys["rsa"] = { ...rsa, kty: "RSA", size: 0 };
    const tls = createLoopbackTls();
    server = await startJsonServer((request) => keyVault(request), tls);
    host = `localhost:${server.port}`;
    env = { SIGNET_AZURE_ACCESS_TOKEN: TOKEN, SIGNET_KMS_CACERT: tls.caFile };
  });
  after(() => server.close());

  const challenge = () => ({
    status: 401,
    headers: { "www-authenticate": 'Bearer authorization="https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000", resource="https://vault.azure.net"' },
    body: { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } },
  });

  function keyVault(request: RecordedRequest) {
    const url = new URL(request.url, "https://localhost");
    if (!/^(?:7\.\d+|\d{4}-\d{2}-\d{2})(?:-preview)?$/.test(url.searchParams.get("api-version") ?? "")) return { status: 400, body: { error: { code: "BadParameter" } } };
    if (request.headers["authorization"] !== `Bearer ${TOKEN}`) return challenge();
    if (url.pathname.startsWith("/keys/huge")) return { status: 200, body: { key: { kid: "x", kty: "EC", padding: "x".repeat(2 * 1024 * 1024) } } };
    const match = /^\/keys\/([A-Za-z0-9-]+)(?:\/([a-z0-9]*))?(\/sign)?$/.exec(url.pathname);
    const key = match ? keys[match[1]!] : undefined;
    if (!match || !key) return { status: 404, body: { error: { code: "KeyNotFound", message: "A key with (name/id) was not found in this key vault." } } };
    // The kid names another host on purpose: the client must sign at the vault the reference names, not follow it.
    const kid = `https://elsewhere.example:${server.port}/keys/${match[1]}/0123456789abcdef0123456789abcdef`;
    if (request.method === "GET" && !match[3]) {
      const jwk = key.publicKey.export({ format: "jwk" });
      return { status: 200, body: { key: { kid, kty: key.kty, key_ops: ["sign", "verify"], ...jwk, kty_: undefined }, attributes: { enabled: true } } };
    }
    if (request.method === "POST" && match[3]) {
      assert.equal(match[2], "0123456789abcdef0123456789abcdef", "signs with the version the key was read at");
      const body = JSON.parse(request.body.toString()) as { alg: string; value: string };
      const digest = Buffer.from(body.value, "base64url");
      const expected = key.kty === "RSA" ? "RS256" : key.size === 48 ? "ES384" : "ES256";
      if (body.alg !== expected) return { status: 400, body: { error: { code: "BadParameter", message: `wrong alg ${body.alg}` } } };
      const hash = body.alg === "ES384" ? "sha384" : "sha256";
      assert.equal(digest.length, hash === "sha384" ? 48 : 32);
      const der = signDigest(key.privateKey, digest, hash);
      const value = key.kty === "RSA" ? der : derToP1363(der, key.size);
      return { status: 200, body: { kid, value: value.toString("base64url") } };
    }
    return { status: 405, body: { error: { code: "MethodNotAllowed" } } };
  }

  const message = Buffer.from("a cosign simple-signing payload");

  for (const [name, algorithm] of [["p256", "ecdsa-p256"], ["p384", "ecdsa-p384"], ["rsa", "rsa"]] as const) {
    test(`signs with the ${name} key after the bearer challenge; the DER signature verifies with the JWK Key Vault returned`, async () => {
      const before = server.requests.length;
      const key = await openKmsKey(`azurekms://${host}/${name}`, { env });
      assert.equal(key.algorithm, algorithm);
      const signature = await key.sign(message);
      assert.ok(verifyWithKey(await key.publicKey(), message, signature));
      const sent = server.requests.slice(before);
      assert.equal(sent[0]!.headers["authorization"], undefined, "the first request asks for the challenge");
      // Each client (keys, then cryptography) answers its own challenge; the token goes only where it was asked for.
      assert.ok(sent.every((r) => r.headers["authorization"] === undefined || r.headers["authorization"] === `Bearer ${TOKEN}`));
      assert.ok(sent.some((r) => r.method === "GET" && r.headers["authorization"] === `Bearer ${TOKEN}`));
      assert.ok(sent.some((r) => r.method === "POST" && r.url.includes("/sign?") && r.headers["authorization"] === `Bearer ${TOKEN}`));
    });
  }

  test("a named version is read; errors by code: unknown key, wrong token, malformed reference", async () => {
    const key = await openKmsKey(`azurekms://${host}/p256/0123456789abcdef0123456789abcdef`, { env });
    assert.ok(verifyWithKey(await key.publicKey(), message, await key.sign(message)));
    await assertRejectsWithCode(() => openKmsKey(`azurekms://${host}/missing`, { env }), "KMS_KEY_NOT_FOUND");
    const wrong = await assertRejectsWithCode(() => openKmsKey(`azurekms://${host}/p256`, { env: { ...env, SIGNET_AZURE_ACCESS_TOKEN: "wrong-token-value" } }), "KMS_UNAUTHORIZED");
    assert.ok(!JSON.stringify(wrong.toJSON()).includes("wrong-token-value"));
    const invalid = await assertRejectsWithCode(() => openKmsKey("azurekms://vault.vault.azure.net", { env }), "KMS_REFERENCE_INVALID");
    assert.match(invalid.message, /azurekms:\/\/VAULT\.vault\.azure\.net\/KEY\[\/VERSION\]/);
  });

  test("an answer larger than LIMITS.kmsResponseBytes is refused (KMS_PROTOCOL)", async () => {
    const error = await assertRejectsWithCode(() => openKmsKey(`azurekms://${host}/huge`, { env }), "KMS_PROTOCOL");
    assert.match(error.message, /at most 1048576/);
  });

  test("the vault's certificate is checked: without the CA the connection fails", async () => {
    await assertRejectsWithCode(() => openKmsKey(`azurekms://${host}/p256`, { env: { SIGNET_AZURE_ACCESS_TOKEN: TOKEN }, timeoutMs: 5000 }), "KMS_UNAVAILABLE");
  });
});
