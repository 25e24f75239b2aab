// Attack: whoever can push to the `.sig` tag appends a layer whose blob is missing, too large or corrupt, to make
// the whole lookup fail and so block a validly signed image. Discovery skips such a layer with its reason and keeps
// the others; the overall count bound and registry outages still end the lookup.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SignetError } from "../../../../src/errors/index.js";
import { sha256Digest, type Digest } from "../../../../src/internal/digest.js";
import { LIMITS } from "../../../../src/internal/limits.js";
import type { Descriptor } from "../../../../src/oci/manifest/descriptor.js";
import { MediaType } from "../../../../src/oci/manifest/media-types.js";
import { discoverCosignSignatures } from "../../../../src/signatures/cosign/discover.js";
import { buildSignatureImage, CosignAnnotation } from "../../../../src/signatures/cosign/signature-manifest.js";
import { attachmentTag } from "../../../../src/signatures/cosign/tags.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { MemoryRepository } from "../../../helpers/memory-repository.js";

const IMAGE = sha256Digest(Buffer.from("image")) as Digest;
const SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";

function layer(bytes: Buffer, overrides: Partial<Descriptor> = {}): Descriptor {
  return { mediaType: SIMPLE_SIGNING, digest: sha256Digest(bytes), size: bytes.length, annotations: { [CosignAnnotation.signature]: "c2ln" }, ...overrides };
}

async function repositoryWith(layers: Descriptor[], blobs: Buffer[]): Promise<MemoryRepository> {
  const repository = new MemoryRepository();
  for (const blob of blobs) await repository.putBlob(blob, sha256Digest(blob));
  const image = buildSignatureImage(layers);
  await repository.putManifest(image.manifestBytes, MediaType.OciManifest, attachmentTag(IMAGE, "sig"));
  return repository;
}

describe("discoverCosignSignatures skips bad layers", () => {
  test("a missing blob, a layer declaring 10 MB and a corrupt blob are skipped with their codes; the good layer is kept", async () => {
    const good = Buffer.from('{"good":true}');
    const missing = Buffer.from('{"missing":true}');
    const corrupt = Buffer.from('{"corrupt":true}');
    const repository = await repositoryWith([layer(missing), layer(good), layer(Buffer.from("big"), { size: 10 * 1024 * 1024 }), layer(corrupt)], [good]);
    // The registry serves other bytes under the corrupt layer's digest.
    repository.blobs.set(sha256Digest(corrupt), Buffer.from("other bytes"));
    repository.getBlob = async (digest: Digest): Promise<Buffer> => {
      const bytes = repository.blobs.get(digest);
      if (!bytes) throw new SignetError("REGISTRY_NOT_FOUND", `${digest} not found`);
      if (sha256Digest(bytes) !== digest) throw new SignetError("DIGEST_MISMATCH", `the blob ${digest} does not match its digest`);
      return bytes;
    };
    const found = await discoverCosignSignatures(repository, IMAGE);
    assert.deepEqual(found.signatures.map((s) => s.untrustedPayload.toString()), ['{"good":true}']);
    assert.deepEqual(
      found.skipped.map((s) => [s.layerDigest, s.code]),
      [
        [sha256Digest(missing), "REGISTRY_NOT_FOUND"],
        [sha256Digest(Buffer.from("big")), "SIZE_LIMIT_EXCEEDED"],
        [sha256Digest(corrupt), "DIGEST_MISMATCH"],
      ],
    );
    assert.match(found.skipped[1]!.reason, /declares 10485760 bytes/);
  });

  test("the count bound stays: more layers than LIMITS.signaturesPerImage is COUNT_LIMIT_EXCEEDED", async () => {
    const layers = Array.from({ length: LIMITS.signaturesPerImage + 1 }, (_, i) => layer(Buffer.from(`{"n":${i}}`)));
    const repository = await repositoryWith(layers, []);
    await assertRejectsWithCode(() => discoverCosignSignatures(repository, IMAGE), "COUNT_LIMIT_EXCEEDED");
  });

  test("a registry that cannot serve a layer (timeout, 5xx) still ends the lookup: no verdict without that layer", async () => {
    const good = Buffer.from('{"good":true}');
    const repository = await repositoryWith([layer(good)], [good]);
    repository.getBlob = () => Promise.reject(new SignetError("REGISTRY_TIMEOUT", "timed out"));
    await assertRejectsWithCode(() => discoverCosignSignatures(repository, IMAGE), "REGISTRY_TIMEOUT");
  });
});
