// The one verifier on cosign key-based signature records, against the signatures real cosign and skopeo wrote
// (containers/image fixtures) and against signatures made here and then tampered with.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { ErrorCode } from "../../../../src/errors/index.js";
import { sha256Digest, type Digest } from "../../../../src/internal/digest.js";
import { generateSigningKey, parsePublicKeyPem, signWithKey } from "../../../../src/keys/index.js";
import { MediaType } from "../../../../src/oci/manifest/media-types.js";
import { createSimpleSigningPayload } from "../../../../src/signatures/payload/simple-signing.js";
import { explainNoSignature, verifySignatureRecords, type UntrustedCosignSignature } from "../../../../src/signatures/verifier/index.js";
import type { KeyObject } from "node:crypto";

/** The one orchestrator's pure half over `.sig` layers, with a key requirement. */
function verifyCosignSignatures(input: { imageDigest: Digest; untrustedSignatures: readonly UntrustedCosignSignature[]; publicKeys: KeyObject[]; requiredAnnotations?: Record<string, string> | undefined }) {
  return verifySignatureRecords({
    records: input.untrustedSignatures.map((layer) => ({ format: "cosign-legacy", source: layer.layerDigest, layer })),
    requirement: { kind: "key", publicKeys: input.publicKeys },
    claims: { imageDigest: input.imageDigest, repository: "example.com/app", ...(input.requiredAnnotations === undefined ? {} : { requiredAnnotations: input.requiredAnnotations }) },
  });
}
const explainNoVerifiedSignature = (imageDigest: Digest, result: Awaited<ReturnType<typeof verifyCosignSignatures>>, where: string) => explainNoSignature(imageDigest, result, [where]);
import { readDirSigstoreSignature } from "../../../helpers/dir-signature.js";
import { VECTORS } from "../../../helpers/peers.js";

const FIXTURES = join(VECTORS, "containers__image", "signature", "fixtures");
const key = (name: string) => parsePublicKeyPem(readFileSync(join(FIXTURES, name), "utf8"));

/** What each dir-img-cosign-* fixture must give with key-based verification (MANIFEST §2.2). */
const EXPECTED: Record<string, { key: string; verified: number; code?: ErrorCode } | "not-key-based"> = {
  "dir-img-cosign-valid": { key: "cosign.pub", verified: 1 },
  "dir-img-cosign-valid-2": { key: "cosign.pub", verified: 2 },
  "dir-img-cosign-mixed": { key: "cosign.pub", verified: 1 },
  "dir-img-cosign-valid-with-tag": { key: "cosign.pub", verified: 1 },
  "dir-img-cosign-key-rekor-valid": { key: "cosign2.pub", verified: 1 },
  "dir-img-cosign-modified-manifest": { key: "cosign.pub", verified: 0, code: "SIG_DIGEST_MISMATCH" },
  // An attachment of another media type is not a signature (containers/image skips it): none found.
  "dir-img-cosign-other-attachment": { key: "cosign.pub", verified: 0, code: "SIG_MISSING" },
  // Keyless and private-PKI signatures: no key verifies them (the sigstore issue covers certificates).
  "dir-img-cosign-fulcio-rekor-valid": { key: "cosign.pub", verified: 0, code: "SIG_INVALID" },
  "dir-img-cosign-pki-valid": { key: "cosign.pub", verified: 0, code: "SIG_INVALID" },
  // These have no usable manifest: they test the dir: transport, which has no place in a key-based verify.
  "dir-img-cosign-no-manifest": "not-key-based",
  "dir-img-cosign-manifest-digest-error": "not-key-based",
};

describe("cosign signature records with upstream cosign fixtures", () => {
  const dirs = readdirSync(FIXTURES).filter((name) => name.startsWith("dir-img-cosign-"));
  test("every fixture folder has an expectation", async () => {
    assert.ok(dirs.length >= 10);
    for (const dir of dirs) assert.ok(dir in EXPECTED, `no expectation for ${dir}: add one`);
  });
  for (const dir of dirs) {
    const expected = EXPECTED[dir];
    if (expected === undefined || expected === "not-key-based") continue;
    test(dir, async () => {
      const manifest = readFileSync(join(FIXTURES, dir, "manifest.json"));
      const signatures = readdirSync(join(FIXTURES, dir))
        .filter((name) => name.startsWith("signature-"))
        .map((name) => readDirSigstoreSignature(join(FIXTURES, dir, name)));
      const imageDigest = sha256Digest(manifest);
      const result = await verifyCosignSignatures({ imageDigest, untrustedSignatures: signatures, publicKeys: [key(expected.key)] });
      assert.equal(result.verified.length, expected.verified);
      if (expected.code !== undefined) assert.equal(explainNoVerifiedSignature(imageDigest, result, dir).code, expected.code);
    });
  }

  test("dir-img-cosign-valid is rejected with another key, and accepted when either of two keys is given", async () => {
    const dir = join(FIXTURES, "dir-img-cosign-valid");
    const imageDigest = sha256Digest(readFileSync(join(dir, "manifest.json")));
    const signature = readDirSigstoreSignature(join(dir, "signature-1"));
    const other = await verifyCosignSignatures({ imageDigest, untrustedSignatures: [signature], publicKeys: [key("cosign2.pub")] });
    assert.equal(explainNoVerifiedSignature(imageDigest, other, "x").code, "SIG_INVALID");
    for (const keys of [["cosign.pub", "cosign2.pub"], ["cosign2.pub", "cosign.pub"]]) {
      assert.equal((await verifyCosignSignatures({ imageDigest, untrustedSignatures: [signature], publicKeys: keys.map(key) })).verified.length, 1);
    }
  });

  test("unknown-cosign-key.signature does not verify with cosign.pub", async () => {
    const signature = readDirSigstoreSignature(join(FIXTURES, "unknown-cosign-key.signature"));
    const payloadDigest = JSON.parse(signature.untrustedPayload.toString()).critical.image["docker-manifest-digest"] as Digest;
    const result = await verifyCosignSignatures({ imageDigest: payloadDigest, untrustedSignatures: [signature], publicKeys: [key("cosign.pub")] });
    assert.equal(result.rejected[0]?.code, "SIG_INVALID");
  });
  assert.ok(existsSync(FIXTURES), `vectors missing at ${FIXTURES}`);
});

describe("cosign signature records made here", () => {
  const signer = generateSigningKey("ecdsa-p256");
  const imageDigest = sha256Digest(Buffer.from("image"));
  const sign = (payload: Buffer, overrides: Partial<UntrustedCosignSignature> = {}): UntrustedCosignSignature => ({
    layerDigest: sha256Digest(payload),
    mediaType: MediaType.CosignSimpleSigning,
    untrustedPayload: payload,
    untrustedSignatureBase64: signWithKey(signer, payload).toString("base64"),
    untrustedAnnotations: {},
    ...overrides,
  });
  const verifyOne = async (signature: UntrustedCosignSignature, requiredAnnotations?: Record<string, string>) => {
    const result = await verifyCosignSignatures({ imageDigest, untrustedSignatures: [signature], publicKeys: [signer.publicKey], requiredAnnotations });
    return result.verified.length === 1 ? "OK" : result.rejected[0]?.code ?? (result.ignored.length > 0 ? "IGNORED" : "NONE");
  };
  const payload = createSimpleSigningPayload({ dockerReference: "example.com/app", manifestDigest: imageDigest, annotations: { team: "blue" } });

  test("a good signature verifies and keeps its payload", async () => {
    assert.equal(await verifyOne(sign(payload)), "OK");
    assert.equal(await verifyOne(sign(payload), { team: "blue" }), "OK");
  });
  test("each tampering is rejected with its own code", async () => {
    const good = sign(payload);
    const flipped = Buffer.from(payload);
    flipped[flipped.length - 3] = flipped[flipped.length - 3]! ^ 1;
    assert.equal(await verifyOne({ ...good, untrustedPayload: flipped }), "SIG_INVALID");
    assert.equal(await verifyOne({ ...good, untrustedSignatureBase64: undefined }), "SIG_INVALID");
    assert.equal(await verifyOne({ ...good, untrustedSignatureBase64: "not base64!" }), "SIG_INVALID");
    assert.equal(await verifyOne({ ...good, untrustedSignatureBase64: "" }), "SIG_INVALID");
    assert.equal(await verifyOne({ ...good, mediaType: "text/plain" }), "IGNORED");
    assert.equal(await verifyOne(good, { team: "red" }), "SIG_ANNOTATION_MISMATCH");
    assert.equal(await verifyOne(good, { owner: "x" }), "SIG_ANNOTATION_MISMATCH");
    const otherDigest = createSimpleSigningPayload({ dockerReference: "example.com/app", manifestDigest: sha256Digest(Buffer.from("other")) });
    assert.equal(await verifyOne(sign(otherDigest)), "SIG_DIGEST_MISMATCH");
    const wrongType = Buffer.from(payload.toString().replace("cosign container image signature", "atomic container signature"));
    assert.equal(await verifyOne(sign(wrongType)), "SIG_PAYLOAD_INVALID");
    assert.equal(await verifyOne(sign(Buffer.from("not json"))), "SIG_PAYLOAD_INVALID");
    assert.equal(await verifyOne(sign(Buffer.from('{"critical":{"identity":{"docker-reference":"x"},"image":{"docker-manifest-digest":"sha256:../../x"},"type":"cosign container image signature"}}'))), "SIG_PAYLOAD_INVALID");
  });
  test("no signatures at all is SIG_MISSING, never a pass", async () => {
    const result = await verifyCosignSignatures({ imageDigest, untrustedSignatures: [], publicKeys: [signer.publicKey] });
    assert.equal(result.verified.length, 0);
    assert.equal(explainNoVerifiedSignature(imageDigest, result, "here").code, "SIG_MISSING");
  });
  test("the most specific reason explains a failure among several", async () => {
    const otherDigest = createSimpleSigningPayload({ dockerReference: "x", manifestDigest: sha256Digest(Buffer.from("other")) });
    const result = await verifyCosignSignatures({
      imageDigest,
      untrustedSignatures: [{ ...sign(payload), untrustedSignatureBase64: "AAAA" }, sign(otherDigest)],
      publicKeys: [signer.publicKey],
    });
    assert.equal(explainNoVerifiedSignature(imageDigest, result, "here").code, "SIG_DIGEST_MISMATCH");
  });
});
