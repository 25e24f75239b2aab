import assert from "node:assert/strict";
import { generateKeyPairSync, verify, type KeyObject } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openKmsKey } from "../../src/keys/kms/index.js";
import { verifyWithKey } from "../../src/keys/sign-verify.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { createLoopbackTls, signDigest, startJsonServer, type RecordedRequest, type TestServer } from "../helpers/kms-servers.js";

/**
 * gcpkms:// through @google-cloud/kms (REST mode) against an HTTPS server (a certificate of the test's own CA,
 * given as SIGNET_KMS_CACERT) on a random loopback port that speaks Cloud
 * KMS's REST API (GET …/cryptoKeyVersions, GET …/publicKey, POST …:asymmetricSign, google.rpc errors). The client
 * authenticates with a service account key file (GOOGLE_APPLICATION_CREDENTIALS): the server checks that every
 * request carries a bearer JWT signed by that account's key (a self-signed JWT, or an access token the server's
 * token endpoint issued for such a JWT), as Google's front end does.
 */
describe("gcpkms:// (Cloud KMS REST API, service account auth)", () => {
  const ACCOUNT = "signer@signet-test.iam.gserviceaccount.com";
  const ACCESS_TOKEN = "ya29.signet-test-access-token";
  const RING = "projects/signet-test/locations/europe-west1/keyRings/ring";
  const keys: Record<string, { algorithm: string; state: string; privateKey: KeyObject; publicKey: KeyObject }> = {};
  let account: { privateKey: KeyObject; publicKey: KeyObject };
  let server: TestServer;
  let env: NodeJS.ProcessEnv;
  let credentialsFile: string;

  before(async () => {
    account = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const p256a = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const p256b = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" });
    keys[`${RING}/cryptoKeys/ec/cryptoKeyVersions/1`] = { algorithm: "EC_SIGN_P256_SHA256", state: "ENABLED", ...p256a };
    keys[`${RING}/cryptoKeys/ec/cryptoKeyVersions/2`] = { algorithm: "EC_SIGN_P256_SHA256", state: "ENABLED", ...p256b };
    keys[`${RING}/cryptoKeys/ec/cryptoKeyVersions/10`] = { algorithm: "EC_SIGN_P256_SHA256", state: "DISABLED", ...p256b };
    keys[`${RING}/cryptoKeys/p384/cryptoKeyVersions/1`] = { algorithm: "EC_SIGN_P384_SHA384", state: "ENABLED", ...p384 };
    keys[`${RING}/cryptoKeys/rsa/cryptoKeyVersions/1`] = { algorithm: "RSA_SIGN_PKCS1_2048_SHA256", state: "ENABLED", ...rsa };
    keys[`${RING}/cryptoKeys/k1/cryptoKeyVersions/1`] = { algorithm: "EC_SIGN_SECP256K1_SHA256", state: "ENABLED", ...k1 };
    const tls = createLoopbackTls();
    server = await startJsonServer((request) => cloudKms(request), tls);
    const dir = mkdtempSync(join(tmpdir(), "signet-gcp-"));
    credentialsFile = join(dir, "sa.json");
    writeFileSync(
      credentialsFile,
      JSON.stringify({
        type: "service_account",
        project_id: "signet-test",
        private_key_id: "0123456789abcdef",
        private_key: account.privateKey.export({ type: "pkcs8", format: "pem" }),
        client_email: ACCOUNT,
        client_id: "1234567890",
        token_uri: `https://localhost:${server.port}/token`,
      }),
    );
    env = { GOOGLE_APPLICATION_CREDENTIALS: credentialsFile, SIGNET_GCPKMS_ENDPOINT: `https://localhost:${server.port}`, SIGNET_KMS_CACERT: tls.caFile };
  });
  after(() => server.close());

  /** A JWT signed (RS256) by the service account, issued by it; undefined otherwise. */
  function accountJwt(token: string, key = account.publicKey): Record<string, unknown> | undefined {
    const [header, payload, signature] = token.split(".");
    if (!header || !payload || !signature) return undefined;
    if (!verify("sha256", Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, "base64url"))) return undefined;
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    return claims["iss"] === ACCOUNT && typeof claims["exp"] === "number" && claims["exp"] * 1000 > Date.now() ? claims : undefined;
  }

  const rpcError = (status: number, name: string, message: string) => ({ status, body: { error: { code: status, message, status: name } } });

  function cloudKms(request: RecordedRequest) {
    if (request.url === "/token" && request.method === "POST") {
      const assertion = new URLSearchParams(request.body.toString()).get("assertion") ?? "";
      return accountJwt(assertion) ? { status: 200, body: { access_token: ACCESS_TOKEN, expires_in: 3600, token_type: "Bearer" } } : { status: 400, body: { error: "invalid_grant" } };
    }
    const bearer = /^Bearer (.+)$/.exec(String(request.headers["authorization"] ?? ""))?.[1] ?? "";
    if (bearer !== ACCESS_TOKEN && !accountJwt(bearer)) return rpcError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
    const url = new URL(request.url, "http://localhost");
    const path = decodeURIComponent(url.pathname);
    if (path.includes("/cryptoKeys/huge/")) return { status: 200, body: { name: "x", padding: "x".repeat(2 * 1024 * 1024) } };
    let match = /^\/v1\/(projects\/.+\/cryptoKeys\/[^/]+)\/cryptoKeyVersions$/.exec(path);
    if (request.method === "GET" && match) {
      const parent = match[1]!;
      const versions = Object.entries(keys).filter(([name]) => name.startsWith(`${parent}/`));
      if (versions.length === 0) return rpcError(404, "NOT_FOUND", `CryptoKey ${parent} not found.`);
      const filter = url.searchParams.get("filter");
      return {
        status: 200,
        body: { cryptoKeyVersions: versions.filter(([, v]) => filter !== "state=ENABLED" || v.state === "ENABLED").map(([name, v]) => ({ name, state: v.state, algorithm: v.algorithm })), totalSize: versions.length },
      };
    }
    match = /^\/v1\/(projects\/.+\/cryptoKeyVersions\/[^/]+)\/publicKey$/.exec(path);
    if (request.method === "GET" && match) {
      const version = keys[match[1]!];
      if (!version) return rpcError(404, "NOT_FOUND", `CryptoKeyVersion ${match[1]} not found.`);
      return { status: 200, body: { name: match[1], pem: version.publicKey.export({ type: "spki", format: "pem" }), algorithm: version.algorithm, protectionLevel: "SOFTWARE" } };
    }
    match = /^\/v1\/(projects\/.+\/cryptoKeyVersions\/[^/]+):asymmetricSign$/.exec(path);
    if (request.method === "POST" && match) {
      const version = keys[match[1]!];
      if (!version) return rpcError(404, "NOT_FOUND", `CryptoKeyVersion ${match[1]} not found.`);
      const body = JSON.parse(request.body.toString()) as { digest?: { sha256?: string; sha384?: string }; data?: string };
      const hash = version.algorithm === "EC_SIGN_P384_SHA384" ? "sha384" : "sha256";
      const digest = body.digest?.[hash];
      if (!digest) return rpcError(400, "INVALID_ARGUMENT", `the digest must be ${hash}`);
      const signature = signDigest(version.privateKey, Buffer.from(digest, "base64"), hash);
      return { status: 200, body: { name: match[1], signature: signature.toString("base64"), protectionLevel: "SOFTWARE" } };
    }
    return rpcError(404, "NOT_FOUND", `no route ${request.method} ${path}`);
  }

  const message = Buffer.from("a cosign simple-signing payload");

  test("without a version, the newest ENABLED version signs; the signature verifies with the key GetPublicKey returned", async () => {
    const key = await openKmsKey(`gcpkms://${RING}/cryptoKeys/ec`, { env });
    assert.equal(key.algorithm, "ecdsa-p256");
    const publicKey = await key.publicKey();
    assert.ok(publicKey.equals(keys[`${RING}/cryptoKeys/ec/cryptoKeyVersions/2`]!.publicKey), "version 2 (10 is disabled)");
    const signature = await key.sign(message);
    assert.ok(verifyWithKey(publicKey, message, signature));
    const api = server.requests.filter((r) => r.url.startsWith("/v1/"));
    assert.deepEqual(api.map((r) => `${r.method} ${decodeURIComponent(new URL(r.url, "https://localhost").pathname).slice(`/v1/${RING}/cryptoKeys/`.length)}`), [
      "GET ec/cryptoKeyVersions",
      "GET ec/cryptoKeyVersions/2/publicKey",
      "POST ec/cryptoKeyVersions/2:asymmetricSign",
    ]);
  });

  for (const [reference, algorithm] of [
    [`${RING}/cryptoKeys/ec/cryptoKeyVersions/1`, "ecdsa-p256"],
    [`${RING}/cryptoKeys/p384/versions/1`, "ecdsa-p384"],
    [`${RING}/cryptoKeys/rsa/cryptoKeyVersions/1`, "rsa"],
  ] as const) {
    test(`signs with ${reference.slice(RING.length + 1)} (${algorithm})`, async () => {
      const key = await openKmsKey(`gcpkms://${reference}`, { env });
      assert.equal(key.algorithm, algorithm);
      assert.ok(verifyWithKey(await key.publicKey(), message, await key.sign(message)));
    });
  }

  test("an answer larger than LIMITS.kmsResponseBytes is refused (KMS_PROTOCOL)", async () => {
    const error = await assertRejectsWithCode(() => openKmsKey(`gcpkms://${RING}/cryptoKeys/huge/cryptoKeyVersions/1`, { env }), "KMS_PROTOCOL");
    assert.match(error.message, /at most 1048576/);
  });

  test("errors by code: unknown key, credentials of another account, unsupported algorithm, malformed reference", async () => {
    await assertRejectsWithCode(() => openKmsKey(`gcpkms://${RING}/cryptoKeys/missing`, { env }), "KMS_KEY_NOT_FOUND");
    await assertRejectsWithCode(() => openKmsKey(`gcpkms://${RING}/cryptoKeys/ec/cryptoKeyVersions/7`, { env }), "KMS_KEY_NOT_FOUND");
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const otherFile = join(mkdtempSync(join(tmpdir(), "signet-gcp-")), "other.json");
    writeFileSync(otherFile, JSON.stringify({ type: "service_account", project_id: "signet-test", private_key_id: "fedcba9876543210", private_key: other.privateKey.export({ type: "pkcs8", format: "pem" }), client_email: ACCOUNT, client_id: "1", token_uri: `https://localhost:${server.port}/token` }));
    await assertRejectsWithCode(() => openKmsKey(`gcpkms://${RING}/cryptoKeys/ec`, { env: { ...env, GOOGLE_APPLICATION_CREDENTIALS: otherFile } }), "KMS_UNAUTHORIZED");
    const k1 = await assertRejectsWithCode(() => openKmsKey(`gcpkms://${RING}/cryptoKeys/k1/cryptoKeyVersions/1`, { env }), "KMS_KEY_UNSUPPORTED");
    assert.match(k1.message, /EC_SIGN_SECP256K1_SHA256/);
    const invalid = await assertRejectsWithCode(() => openKmsKey("gcpkms://projects/p/keyRings/r/cryptoKeys/k", { env }), "KMS_REFERENCE_INVALID");
    assert.match(invalid.message, /gcpkms:\/\/projects\/PROJECT\/locations\/LOCATION/);
    await assertRejectsWithCode(() => openKmsKey(`gcpkms://${RING}/cryptoKeys/ec`, { env: { ...env, SIGNET_GCPKMS_ENDPOINT: "http://kms.example.com" } }), "USAGE");
    await assertRejectsWithCode(() => openKmsKey(`gcpkms://${RING}/cryptoKeys/ec`, { env: { ...env, SIGNET_KMS_CACERT: "" }, timeoutMs: 5000 }), "KMS_UNAVAILABLE");
  });

});
