import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { openKmsKey } from "../../src/keys/kms/index.js";
import { verifyWithKey } from "../../src/keys/sign-verify.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { signDigest, startJsonServer, type RecordedRequest, type TestServer } from "../helpers/kms-servers.js";

/**
 * hashivault:// against a server that speaks Vault's transit API (GET /v1/MOUNT/keys/NAME, POST
 * /v1/MOUNT/sign/NAME/sha2-256) on a random loopback port, checking X-Vault-Token as Vault does (403 "permission
 * denied" otherwise) and signing with keys made by node:crypto.
 */
describe("hashivault:// (Vault transit API)", () => {
  const TOKEN = "hvs.test-token-not-a-secret";
  const MOUNT = "signing/transit";
  const keys: Record<string, { type: string; privateKey?: KeyObject; publicText: string }> = {};
  let server: TestServer;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const ed = generateKeyPairSync("ed25519");
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    keys["p256"] = { type: "ecdsa-p256", privateKey: p256.privateKey, publicText: p256.publicKey.export({ type: "spki", format: "pem" }).toString() };
    keys["ed"] = { type: "ed25519", privateKey: ed.privateKey, publicText: ed.publicKey.export({ type: "spki", format: "der" }).subarray(12).toString("base64") };
    keys["rsa"] = { type: "rsa-2048", privateKey: rsa.privateKey, publicText: rsa.publicKey.export({ type: "spki", format: "pem" }).toString() };
    keys["aes"] = { type: "aes256-gcm96", publicText: "" };
    server = await startJsonServer((request) => vault(request));
    env = { VAULT_ADDR: `http://127.0.0.1:${server.port}`, VAULT_TOKEN: TOKEN, TRANSIT_SECRET_ENGINE_PATH: MOUNT };
  });
  after(() => server.close());

  function vault(request: RecordedRequest) {
    if (request.headers["x-vault-token"] !== TOKEN) return { status: 403, body: { errors: ["permission denied"] } };
    const keyMatch = new RegExp(`^/v1/${MOUNT}/keys/([\\w.-]+)$`).exec(request.url);
    if (request.method === "GET" && keyMatch) {
      const key = keys[keyMatch[1]!];
      if (!key) return { status: 404, body: { errors: [] } };
      const entry = key.publicText ? { public_key: key.publicText, name: key.type === "ed25519" ? "ed25519" : "P-256", creation_time: "2026-01-01T00:00:00Z" } : { "1": 1 };
      return { status: 200, body: { data: { type: key.type, latest_version: 1, supports_signing: key.publicText !== "", keys: { "1": entry } } } };
    }
    const signMatch = new RegExp(`^/v1/${MOUNT}/sign/([\\w.-]+)(?:/(sha2-256))?$`).exec(request.url);
    if (request.method === "POST" && signMatch) {
      const key = keys[signMatch[1]!];
      if (!key?.privateKey) return { status: 400, body: { errors: ["signing key not found"] } };
      const body = JSON.parse(request.body.toString()) as { input: string; prehashed: boolean; key_version: number; signature_algorithm?: string; marshaling_algorithm?: string };
      const input = Buffer.from(body.input, "base64");
      let signature: Buffer;
      if (key.type === "ed25519") {
        assert.equal(body.prehashed, false);
        signature = sign(null, input, key.privateKey);
      } else {
        assert.equal(signMatch[2], "sha2-256");
        assert.equal(body.prehashed, true);
        assert.equal(input.length, 32);
        if (key.type.startsWith("rsa")) assert.equal(body.signature_algorithm, "pkcs1v15");
        signature = signDigest(key.privateKey, input);
      }
      assert.equal(body.key_version, 1);
      return { status: 200, body: { data: { signature: `vault:v1:${signature.toString("base64")}`, key_version: 1 } } };
    }
    return { status: 404, body: { errors: [] } };
  }

  for (const name of ["p256", "ed", "rsa"]) {
    test(`signs with a ${name} transit key; the signature verifies with the public key Vault returned`, async () => {
      const key = await openKmsKey(`hashivault://${name}`, { env });
      const message = Buffer.from(`{"critical":{"image":{"docker-manifest-digest":"sha256:${createHash("sha256").update(name).digest("hex")}"}}}`);
      const signature = await key.sign(message);
      assert.ok(verifyWithKey(await key.publicKey(), message, signature));
      assert.ok(!verifyWithKey(await key.publicKey(), Buffer.concat([message, Buffer.from(" ")]), signature));
      assert.equal(key.reference, `hashivault://${name}`);
      const sent = server.requests.at(-1)!;
      assert.equal(sent.headers["x-vault-token"], TOKEN);
    });
  }

  test("errors by code: unknown key, wrong token, a key that cannot sign, a malformed reference, no VAULT_ADDR", async () => {
    await assertRejectsWithCode(() => openKmsKey("hashivault://missing", { env }), "KMS_KEY_NOT_FOUND");
    const wrong = await assertRejectsWithCode(() => openKmsKey("hashivault://p256", { env: { ...env, VAULT_TOKEN: "hvs.wrong-token" } }), "KMS_UNAUTHORIZED");
    assert.ok(!JSON.stringify(wrong.toJSON()).includes("hvs.wrong-token"), "the token never appears in the error");
    await assertRejectsWithCode(() => openKmsKey("hashivault://aes", { env }), "KMS_KEY_UNSUPPORTED");
    const invalid = await assertRejectsWithCode(() => openKmsKey("hashivault://a/b", { env }), "KMS_REFERENCE_INVALID");
    assert.match(invalid.message, /hashivault:\/\/KEY/);
    await assertRejectsWithCode(() => openKmsKey("hashivault://p256", { env: { VAULT_TOKEN: TOKEN } }), "USAGE");
    await assertRejectsWithCode(() => openKmsKey("hashivault://p256", { env: { ...env, VAULT_ADDR: "http://vault.example.com:8200" } }), "USAGE");
  });

  test("a server that does not answer in time is KMS_UNAVAILABLE", async () => {
    const silent = await startJsonServer(() => new Promise(() => undefined));
    try {
      await assertRejectsWithCode(() => openKmsKey("hashivault://p256", { env: { ...env, VAULT_ADDR: `http://127.0.0.1:${silent.port}` }, timeoutMs: 200 }), "KMS_UNAVAILABLE");
    } finally {
      await silent.close();
    }
  });
});
