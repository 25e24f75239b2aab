// discoverCosignSignatures with the standard payload rebuilt from the image's identity and digest: a layer whose
// digest is that payload's is not fetched, every other layer is, and the signature is verified over the payload
// bytes either way.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sha256Digest, type Digest } from "../../../../src/internal/digest.js";
import { generateSigningKey, signWithKey, type SigningKey } from "../../../../src/keys/index.js";
import { attachSignatureLayer } from "../../../../src/signatures/cosign/attach.js";
import { discoverCosignSignatures } from "../../../../src/signatures/cosign/discover.js";
import { keyRequirement, verifySignatureRecords } from "../../../../src/signatures/verifier/index.js";
import { createSimpleSigningPayload, type PayloadClaims } from "../../../../src/signatures/payload/simple-signing.js";
import { MemoryRepository } from "../../../helpers/memory-repository.js";

/** A MemoryRepository that records the blobs fetched. */
class CountingRepository extends MemoryRepository {
  readonly fetched: Digest[] = [];
  override async getBlob(digest: Digest): Promise<Buffer> {
    this.fetched.push(digest);
    return super.getBlob(digest);
  }
}

const IDENTITY = "registry.example/team/app";
const image = sha256Digest(Buffer.from("the image manifest"));
const key = generateSigningKey("ecdsa-p256");

async function attach(repo: MemoryRepository, claims: Partial<PayloadClaims>, signer: SigningKey = key): Promise<Buffer> {
  const payload = createSimpleSigningPayload({ dockerReference: IDENTITY, manifestDigest: image, ...claims });
  const signature = signWithKey(signer, payload).toString("base64");
  await attachSignatureLayer(repo, image, { payload, annotations: { "dev.cosignproject.cosign/signature": signature } });
  return payload;
}

/** The one verifier over the discovered layers, as `signet verify --key` runs it. */
function verify(signatures: Awaited<ReturnType<typeof discoverCosignSignatures>>["signatures"], requiredAnnotations?: Record<string, string>) {
  return verifySignatureRecords({
    records: signatures.map((layer) => ({ format: "cosign-legacy" as const, source: layer.layerDigest, layer })),
    requirement: keyRequirement([key.publicKey]),
    claims: { imageDigest: image, repository: IDENTITY, ...(requiredAnnotations === undefined ? {} : { requiredAnnotations }) },
  });
}

describe("discoverCosignSignatures: the standard payload is not fetched", () => {
  test("a layer holding the standard payload costs no blob request and verifies over those exact bytes", async () => {
    const repo = new CountingRepository();
    const payload = await attach(repo, {});
    const discovered = await discoverCosignSignatures(repo, image, { identity: IDENTITY });
    assert.deepEqual(repo.fetched, []);
    assert.equal(discovered.signatures.length, 1);
    assert.ok(discovered.signatures[0]!.untrustedPayload.equals(payload), "the rebuilt bytes are cosign's bytes");
    assert.equal((await verify(discovered.signatures)).verified.length, 1);
  });

  test("a layer whose digest differs (annotations in the payload) is fetched and verified", async () => {
    const repo = new CountingRepository();
    const payload = await attach(repo, { annotations: { env: "prod" } });
    const discovered = await discoverCosignSignatures(repo, image, { identity: IDENTITY });
    assert.deepEqual(repo.fetched, [sha256Digest(payload)]);
    assert.ok(discovered.signatures[0]!.untrustedPayload.equals(payload));
    const result = await verify(discovered.signatures, { env: "prod" });
    assert.equal(result.verified.length, 1, JSON.stringify(result.rejected));
  });

  test("a payload naming another identity is fetched and verifies (a shortcut that always used the rebuilt bytes would reject it)", async () => {
    const repo = new CountingRepository();
    const standard = await attach(repo, {});
    const other = await attach(repo, { dockerReference: "mirror.example/app" });
    const discovered = await discoverCosignSignatures(repo, image, { identity: IDENTITY });
    assert.deepEqual(repo.fetched, [sha256Digest(other)]);
    const payloads = discovered.signatures.map((s) => s.untrustedPayload.toString());
    assert.deepEqual(payloads, [standard.toString(), other.toString()]);
    const result = await verify(discovered.signatures);
    assert.equal(result.verified.length, 2, JSON.stringify(result.rejected));
  });

  test("the standard payload signed by another key is still rejected: the signature is checked over the rebuilt bytes", async () => {
    const repo = new CountingRepository();
    await attach(repo, {}, generateSigningKey("ecdsa-p256"));
    const discovered = await discoverCosignSignatures(repo, image, { identity: IDENTITY });
    assert.deepEqual(repo.fetched, []);
    const result = await verify(discovered.signatures);
    assert.equal(result.verified.length, 0);
    assert.deepEqual(
      result.rejected.map((r) => r.code),
      ["SIG_INVALID"],
    );
  });

  test("the standard payload of another image is fetched and rejected for its digest", async () => {
    const repo = new CountingRepository();
    const elsewhere = await attach(repo, { manifestDigest: sha256Digest(Buffer.from("another image")) });
    const discovered = await discoverCosignSignatures(repo, image, { identity: IDENTITY });
    assert.deepEqual(repo.fetched, [sha256Digest(elsewhere)]);
    assert.deepEqual(
      (await verify(discovered.signatures)).rejected.map((r) => r.code),
      ["SIG_DIGEST_MISMATCH"],
    );
  });

  test("without an identity every layer is fetched", async () => {
    const repo = new CountingRepository();
    const payload = await attach(repo, {});
    await discoverCosignSignatures(repo, image);
    assert.deepEqual(repo.fetched, [sha256Digest(payload)]);
  });
});
