import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, type KeyObject } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { openKmsKey } from "../../src/keys/kms/index.js";
import { verifyWithKey } from "../../src/keys/sign-verify.js";
import { signSm2 } from "../../src/keys/sm2.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { createLoopbackTls, signDigest, startJsonServer, type RecordedRequest, type TestServer } from "../helpers/kms-servers.js";

/**
 * awskms:// through @aws-sdk/client-kms against a server on a random loopback port that speaks AWS KMS's JSON 1.1
 * protocol over HTTPS (its CA given as AWS_CA_BUNDLE): X-Amz-Target TrentService.GetPublicKey / Sign, SigV4
 * Authorization (credential scope ACCESS_KEY/DATE/REGION/kms/aws4_request, signed headers, X-Amz-Date), and AWS's
 * error shapes (__type NotFoundException, UnrecognizedClientException, ThrottlingException).
 */
describe("awskms:// (AWS KMS JSON protocol, SigV4)", () => {
  const ACCESS_KEY = "AKIDSIGNETTEST000001";
  const REGION = "eu-west-3";
  const SM2_SPKI_PREFIX = "3059301306072a8648ce3d020106082a811ccf5501822d03420004";
  const keys = new Map<string, { spec: string; algorithms: string[]; privateKey: KeyObject | { sm2: KeyObject }; spki: Buffer }>();
  let server: TestServer;
  let env: NodeJS.ProcessEnv;
  let throttleNext = 0;

  before(async () => {
    const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" });
    const spki = (key: KeyObject) => key.export({ type: "spki", format: "der" });
    keys.set("alias/p256", { spec: "ECC_NIST_P256", algorithms: ["ECDSA_SHA_256"], privateKey: p256.privateKey, spki: spki(p256.publicKey) });
    keys.set("1234abcd-12ab-34cd-56ef-1234567890ab", { spec: "ECC_NIST_P384", algorithms: ["ECDSA_SHA_384"], privateKey: p384.privateKey, spki: spki(p384.publicKey) });
    keys.set("alias/rsa", { spec: "RSA_2048", algorithms: ["RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256"], privateKey: rsa.privateKey, spki: spki(rsa.publicKey) });
    keys.set("alias/k1", { spec: "ECC_SECG_P256K1", algorithms: ["ECDSA_SHA_256"], privateKey: k1.privateKey, spki: spki(k1.publicKey) });
    try {
      const sm2 = generateKeyPairSync("ec", { namedCurve: "SM2" });
      keys.set("alias/sm2", { spec: "SM2", algorithms: ["SM2DSA"], privateKey: { sm2: sm2.privateKey }, spki: spki(sm2.publicKey) });
      assert.ok(spki(sm2.publicKey).toString("hex").startsWith(SM2_SPKI_PREFIX.slice(0, 20)));
    } catch {
      // OpenSSL without SM2: the SM2 test below fails, saying so
    }
    const tls = createLoopbackTls();
    server = await startJsonServer((request) => kms(request), tls);
    env = { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: "secret-not-a-real-one", AWS_REGION: REGION, AWS_CA_BUNDLE: tls.caFile };
  });
  after(() => server.close());

  function error(type: string, status = 400) {
    return { status, headers: { "content-type": "application/x-amz-json-1.1" }, body: { __type: type, message: `${type} from the test server` } };
  }

  function kms(request: RecordedRequest) {
    const authorization = String(request.headers["authorization"] ?? "");
    const credential = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/kms\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/.exec(authorization);
    if (request.method !== "POST" || request.url !== "/" || request.headers["content-type"] !== "application/x-amz-json-1.1") return error("UnknownOperationException");
    if (!credential || !/^\d{8}T\d{6}Z$/.test(String(request.headers["x-amz-date"])) || !credential[4]!.split(";").includes("x-amz-target") || !credential[4]!.split(";").includes("host")) {
      return error("IncompleteSignatureException");
    }
    if (credential[1] !== ACCESS_KEY || credential[3] !== REGION) return error("UnrecognizedClientException");
    if (throttleNext > 0) {
      throttleNext--;
      return error("ThrottlingException");
    }
    const body = JSON.parse(request.body.toString()) as { KeyId: string; Message?: string; MessageType?: string; SigningAlgorithm?: string };
    if (body.KeyId === "alias/huge") return { status: 200, body: { KeyId: "x", padding: "x".repeat(2 * 1024 * 1024) } };
    const key = keys.get(body.KeyId);
    if (!key) return error("NotFoundException");
    switch (request.headers["x-amz-target"]) {
      case "TrentService.GetPublicKey": {
        // The answer names the key by its key ARN, which Sign must accept too (the alias could be re-pointed).
        const keyArn = `arn:aws:kms:${REGION}:111122223333:key/${createHash("sha256").update(key.spki).digest("hex").slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5")}`;
        keys.set(keyArn, key);
        return { status: 200, body: { KeyId: keyArn, KeySpec: key.spec, KeyUsage: "SIGN_VERIFY", PublicKey: key.spki.toString("base64"), SigningAlgorithms: key.algorithms } };
      }
      case "TrentService.Sign": {
        assert.match(body.KeyId, /^arn:aws:kms:[a-z0-9-]+:111122223333:key\//, "Sign names the key GetPublicKey resolved");
        assert.ok(body.KeyId.length > 0);
        if (!key.algorithms.includes(body.SigningAlgorithm ?? "")) return error("ValidationException");
        const message = Buffer.from(body.Message ?? "", "base64");
        let signature: Buffer;
        if ("sm2" in key.privateKey) {
          assert.equal(body.MessageType, "RAW");
          signature = signSm2(key.privateKey.sm2, message);
        } else {
          assert.equal(body.MessageType, "DIGEST");
          const hash = body.SigningAlgorithm === "ECDSA_SHA_384" ? "sha384" : "sha256";
          assert.equal(message.length, hash === "sha384" ? 48 : 32);
          signature = signDigest(key.privateKey, message, hash);
        }
        return { status: 200, body: { KeyId: body.KeyId, Signature: signature.toString("base64"), SigningAlgorithm: body.SigningAlgorithm } };
      }
      default:
        return error("UnknownOperationException");
    }
  }

  const message = Buffer.from('{"critical":{"identity":{"docker-reference":"registry.example/app"},"image":{"docker-manifest-digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"type":"cosign container image signature"},"optional":null}');

  for (const [reference, algorithm] of [
    ["alias/p256", "ecdsa-p256"],
    ["1234abcd-12ab-34cd-56ef-1234567890ab", "ecdsa-p384"],
    ["alias/rsa", "rsa"],
  ] as const) {
    test(`signs with ${reference} (${algorithm}) through a custom endpoint; the signature verifies with the key GetPublicKey returned`, async () => {
      const key = await openKmsKey(`awskms://localhost:${server.port}/${reference}`, { env });
      assert.equal(key.algorithm, algorithm);
      const signature = await key.sign(message);
      assert.ok(verifyWithKey(await key.publicKey(), message, signature));
      assert.ok(!verifyWithKey(await key.publicKey(), Buffer.from("other"), signature));
      assert.equal(server.requests.at(-1)!.headers["x-amz-target"], "TrentService.Sign");
    });
  }

  test("an SM2 key signs the RAW message with SM2DSA; the signature verifies as SM2 with SM3 and the standard ID", async () => {
    assert.ok(keys.has("alias/sm2"), "this OpenSSL cannot make SM2 keys");
    const key = await openKmsKey(`awskms://localhost:${server.port}/alias/sm2`, { env });
    assert.equal(key.algorithm, "sm2");
    const signature = await key.sign(message);
    assert.ok(verifyWithKey(await key.publicKey(), message, signature));
  });

  test("the region comes from an ARN; throttling is retried by the SDK", async () => {
    const arn = `arn:aws:kms:${REGION}:111122223333:alias/p256`;
    keys.set(arn, keys.get("alias/p256")!);
    throttleNext = 1;
    const key = await openKmsKey(`awskms://localhost:${server.port}/${arn}`, { env: { ...env, AWS_REGION: "" } });
    assert.ok(verifyWithKey(await key.publicKey(), message, await key.sign(message)));
    assert.equal(throttleNext, 0);
  });

  test("errors by code: unknown key, wrong credentials, secp256k1, malformed reference, persistent throttling", async () => {
    const endpoint = `awskms://localhost:${server.port}`;
    await assertRejectsWithCode(() => openKmsKey(`${endpoint}/alias/missing`, { env }), "KMS_KEY_NOT_FOUND");
    const wrong = await assertRejectsWithCode(() => openKmsKey(`${endpoint}/alias/p256`, { env: { ...env, AWS_ACCESS_KEY_ID: "AKIDWRONG0000000000", AWS_SECRET_ACCESS_KEY: "wrong-secret-value" } }), "KMS_UNAUTHORIZED");
    assert.ok(!JSON.stringify(wrong.toJSON()).includes("wrong-secret-value"));
    const k1 = await assertRejectsWithCode(() => openKmsKey(`${endpoint}/alias/k1`, { env }), "KMS_KEY_UNSUPPORTED");
    assert.match(k1.message, /ECC_SECG_P256K1/);
    const invalid = await assertRejectsWithCode(() => openKmsKey("awskms:///not-a-key-id", { env }), "KMS_REFERENCE_INVALID");
    assert.match(invalid.message, /awskms:\/\/\[ENDPOINT\]\/KEY_ID/);
    throttleNext = 10;
    await assertRejectsWithCode(() => openKmsKey(`${endpoint}/alias/p256`, { env }), "KMS_UNAVAILABLE");
    throttleNext = 0;
  });

  test("an answer larger than LIMITS.kmsResponseBytes is refused (KMS_PROTOCOL)", async () => {
    const error = await assertRejectsWithCode(() => openKmsKey(`awskms://localhost:${server.port}/alias/huge`, { env }), "KMS_PROTOCOL");
    assert.match(error.message, /at most 1048576/);
  });

  test("an endpoint that does not answer in time is KMS_UNAVAILABLE", async () => {
    const tls = createLoopbackTls();
    const silent = await startJsonServer(() => new Promise(() => undefined), tls);
    try {
      const error = await assertRejectsWithCode(
        () => openKmsKey(`awskms://localhost:${silent.port}/alias/p256`, { env: { ...env, AWS_CA_BUNDLE: tls.caFile }, timeoutMs: 300 }),
        "KMS_UNAVAILABLE",
      );
      assert.match(error.message, /did not answer within 300 ms|cannot reach/);
    } finally {
      await silent.close();
    }
  });

  test("the endpoint's certificate is checked: without the CA bundle the connection is refused", async () => {
    await assertRejectsWithCode(() => openKmsKey(`awskms://localhost:${server.port}/alias/p256`, { env: { ...env, AWS_CA_BUNDLE: "" }, timeoutMs: 5000 }), "KMS_UNAVAILABLE");
  });
});
