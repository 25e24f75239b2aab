/**
 * The keyless and key-and-log path of image signatures (the one verifier, verifySignatureRecords), on containers/image's
 * dir-img-cosign-fulcio-rekor-valid (certificate for mitr@redhat.com by https://github.com/login/oauth, Rekor SET)
 * and dir-img-cosign-key-rekor-valid (cosign2.pub, Rekor SET): each binding is checked on its own.
 */
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { sha256Digest, type Digest } from "../../../../src/internal/digest.js";
import type { SignerRequirement } from "../../../../src/signatures/cosign/keyless.js";
import { verifySignatureRecords, type UntrustedCosignSignature } from "../../../../src/signatures/verifier/index.js";
import { trustMaterialFromKeys } from "../../../../src/trust/index.js";
import { VECTORS } from "../../../helpers/peers.js";

const FIXTURES = join(VECTORS, "containers__image", "signature", "fixtures");
const OTHER_DIGEST = sha256Digest(readFileSync(join(FIXTURES, "image.manifest.json")));

function fixture(dir: string): { digest: Digest; signature: UntrustedCosignSignature } {
  const manifest = readFileSync(join(FIXTURES, dir, "manifest.json"));
  const prefix = "\x00sigstore-json\n";
  const raw = readFileSync(join(FIXTURES, dir, "signature-1"));
  const value = JSON.parse(raw.subarray(prefix.length).toString()) as { mimeType: string; payload: string; annotations: Record<string, string> };
  const payload = Buffer.from(value.payload, "base64");
  return {
    digest: sha256Digest(manifest),
    signature: {
      layerDigest: sha256Digest(payload),
      mediaType: value.mimeType,
      untrustedPayload: payload,
      untrustedSignatureBase64: value.annotations["dev.cosignproject.cosign/signature"],
      untrustedAnnotations: value.annotations,
    },
  };
}

const trust = trustMaterialFromKeys({
  fulcioCaPem: readFileSync(join(FIXTURES, "fulcio_v1.crt.pem")),
  rekorPublicKeyPem: readFileSync(join(FIXTURES, "rekor.pub")),
  description: "fixture Fulcio root and Rekor key",
});
const keyless: SignerRequirement = { kind: "identity", identity: { kind: "identity", subject: "mitr@redhat.com", issuer: "https://github.com/login/oauth" }, trust, requireTlog: true };
const keyAndLog: SignerRequirement = { kind: "key", publicKeys: [createPublicKey(readFileSync(join(FIXTURES, "cosign2.pub")))], log: { trust, required: true } };

const cases: Array<[string, string, SignerRequirement]> = [
  ["keyless (certificate + Rekor SET)", "dir-img-cosign-fulcio-rekor-valid", keyless],
  ["key and Rekor SET", "dir-img-cosign-key-rekor-valid", keyAndLog],
];

for (const [name, dir, signer] of cases) {
  describe(`the one verifier, ${name}`, () => {
    const { digest, signature } = fixture(dir);
    const verify = (imageDigest: Digest, requiredAnnotations?: Record<string, string>) =>
      verifySignatureRecords({
        records: [{ format: "cosign-legacy", source: signature.layerDigest, layer: signature }],
        requirement: signer,
        claims: { imageDigest, repository: "192.168.64.2:5000/cosign-signed/x", ...(requiredAnnotations ? { requiredAnnotations } : {}) },
      });

    test("verifies for the digest its payload names", async () => {
      const result = await verify(digest);
      assert.deepEqual(result.rejected, []);
      assert.equal(result.verified.length, 1);
      assert.equal(result.verified[0]!.payload.critical.image["docker-manifest-digest"], digest);
    });

    test("the same signature for another image is SIG_DIGEST_MISMATCH (the payload's digest is bound)", async () => {
      const result = await verify(OTHER_DIGEST);
      assert.equal(result.verified.length, 0);
      assert.deepEqual(result.rejected.map((r) => r.code), ["SIG_DIGEST_MISMATCH"]);
    });

    test("a required annotation the payload lacks is SIG_ANNOTATION_MISMATCH", async () => {
      const result = await verify(digest, { team: "blue" });
      assert.equal(result.verified.length, 0);
      assert.deepEqual(result.rejected.map((r) => r.code), ["SIG_ANNOTATION_MISMATCH"]);
    });
  });
}
