import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { describe, test } from "node:test";
import { canVerifyPrehashed, verifyPrehashed } from "../../../../src/signatures/bundle/prehashed-verify.js";

describe("signatures checked against a digest alone", () => {
  const data = Buffer.from("the artifact");
  for (const [curve, hash] of [["P-256", "sha256"], ["P-384", "sha384"], ["P-521", "sha512"], ["P-256", "sha512"], ["P-521", "sha256"]] as const) {
    test(`ECDSA ${curve} over ${hash}`, () => {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
      const digest = createHash(hash).update(data).digest();
      for (let i = 0; i < 5; i++) {
        const signature = sign(hash, data, privateKey);
        assert.equal(verifyPrehashed(publicKey, hash, digest, signature), true);
        const other = Buffer.from(digest);
        other[0] = other[0]! ^ 1;
        assert.equal(verifyPrehashed(publicKey, hash, other, signature), false);
        const tampered = Buffer.from(signature);
        tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1;
        assert.equal(verifyPrehashed(publicKey, hash, digest, tampered), false);
      }
      const { publicKey: stranger } = generateKeyPairSync("ec", { namedCurve: curve });
      assert.equal(verifyPrehashed(stranger, hash, digest, sign(hash, data, privateKey)), false);
    });
  }

  test("RSA PKCS#1 v1.5, and a malformed signature", () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const signature = sign("sha256", data, privateKey);
    assert.equal(verifyPrehashed(publicKey, "sha256", createHash("sha256").update(data).digest(), signature), true);
    assert.equal(verifyPrehashed(publicKey, "sha384", createHash("sha384").update(data).digest(), signature), false);
    assert.equal(verifyPrehashed(publicKey, "sha256", createHash("sha256").update(data).digest(), Buffer.from("junk")), false);
  });

  test("Ed25519 cannot be checked from a digest", () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    assert.equal(canVerifyPrehashed(publicKey), false);
  });
});
