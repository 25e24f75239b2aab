// Signing and verifying with each key type the way cosign does, and against signatures cosign made.
import assert from "node:assert/strict";
import { constants, createPrivateKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  KEY_ALGORITHMS,
  createSigningKey,
  generateSigningKey,
  keyAlgorithmOf,
  parsePublicKeyPem,
  signWithKey,
  verifyWithKey,
} from "../../../src/keys/index.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { VECTORS } from "../../helpers/peers.js";

const data = Buffer.from('{"critical":{"type":"cosign container image signature"}}');

describe("signWithKey / verifyWithKey", () => {
  for (const algorithm of KEY_ALGORITHMS) {
    test(`${algorithm}: verifies its own signature, rejects changed data, signature or key`, () => {
      const key = generateSigningKey(algorithm, { rsaModulusBits: 2048 });
      const signature = signWithKey(key, data);
      assert.ok(verifyWithKey(key.publicKey, data, signature));
      assert.equal(verifyWithKey(key.publicKey, Buffer.concat([data, Buffer.from(" ")]), signature), false);
      const flipped = Buffer.from(signature);
      flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
      assert.equal(verifyWithKey(key.publicKey, data, flipped), false);
      const other = generateSigningKey(algorithm, { rsaModulusBits: 2048 });
      assert.equal(verifyWithKey(other.publicKey, data, signature), false);
    });

    test(`${algorithm}: garbage, empty and oversized signatures are false, not exceptions`, () => {
      const key = generateSigningKey(algorithm, { rsaModulusBits: 2048 });
      for (const bad of [Buffer.alloc(0), Buffer.from("not a signature"), Buffer.alloc(4096, 0x30), Buffer.from([0x30, 0x80, 0x02, 0x01])]) {
        assert.equal(verifyWithKey(key.publicKey, data, bad), false);
      }
    });
  }

  test("ECDSA signs with SHA-256 on every curve, as cosign 2.5 does (DER signature)", () => {
    for (const algorithm of ["ecdsa-p256", "ecdsa-p384", "ecdsa-p521"] as const) {
      const key = generateSigningKey(algorithm);
      const signature = signWithKey(key, data);
      assert.equal(signature[0], 0x30, "DER SEQUENCE");
      assert.ok(verify("sha256", data, { key: key.publicKey, dsaEncoding: "der" }, signature), algorithm);
      if (algorithm !== "ecdsa-p256") {
        const curveHash = algorithm === "ecdsa-p384" ? "sha384" : "sha512";
        assert.equal(verify(curveHash, data, { key: key.publicKey, dsaEncoding: "der" }, signature), false);
      }
    }
  });

  test("P-384 and P-521 signatures over the curve's hash (cosign >= 2.6 signers) verify too", () => {
    for (const [algorithm, hash] of [["ecdsa-p384", "sha384"], ["ecdsa-p521", "sha512"]] as const) {
      const key = generateSigningKey(algorithm);
      assert.ok(verifyWithKey(key.publicKey, data, sign(hash, data, key.privateKey)));
      // …but not over an unrelated hash.
      assert.equal(verifyWithKey(key.publicKey, data, sign("sha1", data, key.privateKey)), false);
    }
  });

  test("P-256 accepts SHA-256 only", () => {
    const key = generateSigningKey("ecdsa-p256");
    assert.equal(verifyWithKey(key.publicKey, data, sign("sha384", data, key.privateKey)), false);
    assert.equal(verifyWithKey(key.publicKey, data, sign("sha512", data, key.privateKey)), false);
  });

  test("ECDSA signatures in raw r||s (IEEE P1363) form are refused, as Go's VerifyASN1 refuses them", () => {
    const key = generateSigningKey("ecdsa-p256");
    const raw = sign("sha256", data, { key: key.privateKey, dsaEncoding: "ieee-p1363" });
    assert.equal(verifyWithKey(key.publicKey, data, raw), false);
  });

  test("RSA is PKCS#1 v1.5 with SHA-256 (deterministic), not PSS", () => {
    const key = generateSigningKey("rsa", { rsaModulusBits: 2048 });
    const signature = signWithKey(key, data);
    assert.deepEqual(signWithKey(key, data), signature);
    assert.ok(verify("sha256", data, { key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature));
    const pss = sign("sha256", data, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING });
    assert.equal(verifyWithKey(key.publicKey, data, pss), false);
  });

  test("Ed25519 is pure Ed25519 over the data (not Ed25519ph)", () => {
    const key = generateSigningKey("ed25519");
    const signature = signWithKey(key, data);
    assert.equal(signature.length, 64);
    assert.ok(verify(null, data, key.publicKey, signature));
  });

  test("verifyWithKey takes a private KeyObject as its public half", () => {
    const key = generateSigningKey("ecdsa-p256");
    assert.ok(verifyWithKey(key.privateKey, data, signWithKey(key, data)));
  });

  test("keys cosign does not use are KEY_UNSUPPORTED", async () => {
    const unsupported = [
      generateKeyPairSync("ec", { namedCurve: "secp256k1" }).privateKey,
      generateKeyPairSync("ed448").privateKey,
      generateKeyPairSync("x25519").privateKey,
      generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey,
      generateKeyPairSync("dsa", { modulusLength: 2048, divisorLength: 224 }).privateKey,
    ];
    for (const key of unsupported) {
      await assertRejectsWithCode(() => createSigningKey(key), "KEY_UNSUPPORTED");
      await assertRejectsWithCode(() => keyAlgorithmOf(key), "KEY_UNSUPPORTED");
      await assertRejectsWithCode(() => verifyWithKey(key, data, Buffer.alloc(64)), "KEY_UNSUPPORTED");
    }
  });

  test("a public key is not a signing key: KEY_INVALID", async () => {
    await assertRejectsWithCode(() => createSigningKey(generateSigningKey().publicKey), "KEY_INVALID");
  });

  test("RSA 2048, 3072 and 4096 are accepted; other generated sizes are refused", async () => {
    assert.equal(keyAlgorithmOf(createPrivateKey(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }))), "rsa");
    await assertRejectsWithCode(() => generateSigningKey("rsa", { rsaModulusBits: 1024 as 2048 }), "KEY_UNSUPPORTED");
  });
});

describe("signatures cosign made (containers/image fixtures)", () => {
  const fixtures = join(VECTORS, "containers__image/signature/fixtures");
  const skip = !existsSync(fixtures) && `no vectors at ${fixtures}`;

  /** A dir: transport signature: "\0sigstore-json\n" + {"payload": base64, "annotations": {signature}}. */
  const readSignature = (path: string): { payload: Buffer; signature: Buffer } => {
    const bytes = readFileSync(path);
    const json = JSON.parse(bytes.subarray(bytes.indexOf(0x0a) + 1).toString("utf8")) as { payload: string; annotations: Record<string, string> };
    return { payload: Buffer.from(json.payload, "base64"), signature: Buffer.from(json.annotations["dev.cosignproject.cosign/signature"]!, "base64") };
  };

  test("dir-img-cosign-valid verifies with cosign.pub, not with cosign2.pub", { skip }, () => {
    const { payload, signature } = readSignature(join(fixtures, "dir-img-cosign-valid/signature-1"));
    assert.ok(verifyWithKey(parsePublicKeyPem(readFileSync(join(fixtures, "cosign.pub"))), payload, signature));
    assert.equal(verifyWithKey(parsePublicKeyPem(readFileSync(join(fixtures, "cosign2.pub"))), payload, signature), false);
  });

  test("dir-img-cosign-key-rekor-valid verifies with cosign2.pub", { skip }, () => {
    const { payload, signature } = readSignature(join(fixtures, "dir-img-cosign-key-rekor-valid/signature-1"));
    assert.ok(verifyWithKey(parsePublicKeyPem(readFileSync(join(fixtures, "cosign2.pub"))), payload, signature));
  });

  test("unknown-cosign-key.signature verifies with neither key", { skip }, () => {
    const { payload, signature } = readSignature(join(fixtures, "unknown-cosign-key.signature"));
    for (const pub of ["cosign.pub", "cosign2.pub"]) {
      assert.equal(verifyWithKey(parsePublicKeyPem(readFileSync(join(fixtures, pub))), payload, signature), false);
    }
  });
});
