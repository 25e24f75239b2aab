// Attack: someone who can push to the `.sig` tag of a validly signed image appends a layer whose blob is missing and
// one that declares 10 MB, to make every lookup fail and so block the image. cosign still verifies it; so must
// signet, reporting the skipped layers with their codes (JSON and summary). Real registry, real cosign.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sha256Digest, type Digest } from "../../src/internal/digest.js";
import { MediaType } from "../../src/oci/manifest/media-types.js";
import { createRegistryClient } from "../../src/oci/registry/client.js";
import { NO_CREDENTIALS } from "../../src/oci/registry/credentials.js";
import { buildSignatureImage, CosignAnnotation, parseSignatureManifestLayers } from "../../src/signatures/cosign/signature-manifest.js";
import { attachmentTag } from "../../src/signatures/cosign/tags.js";
import { runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

interface VerifyJson {
  images: { verified: boolean; skipped: { layerDigest: string; code: string; reason: string }[]; signatures: unknown[]; error?: { code: string; message: string } }[];
}

describe("a .sig tag with bad layers appended (real registry, cosign)", () => {
  let registry: TestRegistry;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });

  before(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-skipped-"));
    env = cosignEnv({ COSIGN_PASSWORD: "pw" });
    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "k"])).status, 0);
  });
  after(() => registry.stop());

  /** Appends to the .sig manifest a layer whose blob is then deleted, and one of 10 MB; returns their digests. */
  async function appendBadLayers(repositoryName: string, imageDigest: Digest): Promise<{ missing: string; huge: string }> {
    const client = createRegistryClient({ credentials: NO_CREDENTIALS });
    try {
      const repository = client.repository(registry.host, repositoryName);
      const tag = attachmentTag(imageDigest, "sig");
      const layers = parseSignatureManifestLayers((await repository.getManifest(tag)).bytes);
      const missing = Buffer.from('{"critical":{},"note":"this blob will be deleted"}');
      const huge = randomBytes(10 * 1024 * 1024);
      await repository.putBlob(missing, sha256Digest(missing));
      await repository.putBlob(huge, sha256Digest(huge));
      const annotations = { [CosignAnnotation.signature]: Buffer.from("not a signature").toString("base64") };
      const bad = [
        { mediaType: "application/vnd.dev.cosign.simplesigning.v1+json", digest: sha256Digest(missing), size: missing.length, annotations },
        { mediaType: "application/vnd.dev.cosign.simplesigning.v1+json", digest: sha256Digest(huge), size: huge.length, annotations },
      ];
      // The bad layers first: a lookup that stops at the first failure never reaches the good one.
      const image = buildSignatureImage([...bad, ...layers]);
      await repository.putBlob(image.configBytes, image.configDigest);
      await repository.putManifest(image.manifestBytes, MediaType.OciManifest, tag);
      const deleted = await fetch(`http://${registry.host}/v2/${repositoryName}/blobs/${sha256Digest(missing)}`, { method: "DELETE" });
      assert.equal(deleted.status, 202, "the registry deletes the blob");
      return { missing: sha256Digest(missing), huge: sha256Digest(huge) };
    } finally {
      await client.close();
    }
  }

  test("signet and cosign both verify; signet reports the two skipped layers with their codes", async () => {
    const digest = await pushTestImage(registry.host, "skipped/app", "v1", "skipped-layers");
    assert.equal((await signet(["sign", "--key", "k.key", "--tlog-upload=false", `${registry.host}/skipped/app:v1`])).status, 0);
    const bad = await appendBadLayers("skipped/app", digest);
    const image = `${registry.host}/skipped/app@${digest}`;

    const json = await signet(["verify", "--key", "k.pub", "--insecure-ignore-tlog", "--output-format", "json", image]);
    assert.equal(json.status, 0, json.stdout);
    const result = (JSON.parse(json.stdout) as VerifyJson).images[0]!;
    assert.equal(result.signatures.length, 1);
    assert.deepEqual(
      result.skipped.map((s) => [s.layerDigest, s.code]).sort(),
      [
        [bad.missing, "REGISTRY_NOT_FOUND"],
        [bad.huge, "SIZE_LIMIT_EXCEEDED"],
      ].sort(),
    );

    const text = await signet(["verify", "--key", "k.pub", "--insecure-ignore-tlog", image]);
    assert.equal(text.status, 0);
    assert.match(text.stderr, /1 signature verified; 2 signature layer\(s\) could not be read and were skipped\./);
    assert.match(text.stderr, new RegExp(`skipped \\.sig layer ${bad.missing}: .*\\[REGISTRY_NOT_FOUND\\]`));

    const cosign = await runProgram(cosignPath(), ["verify", "--key", "k.pub", "--insecure-ignore-tlog=true", image], { env, cwd: dir });
    assert.equal(cosign.status, 0, cosign.stderr);
  });

  test("with bad layers and another key's signature nothing verifies: SIG_INVALID, and the error names the skipped layers", async () => {
    const digest = await pushTestImage(registry.host, "skipped/unsigned", "v1", "only-bad-layers");
    // A signature by another key makes the .sig tag; the bad layers are appended to it.
    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "other"])).status, 0);
    assert.equal((await signet(["sign", "--key", "other.key", "--tlog-upload=false", `${registry.host}/skipped/unsigned:v1`])).status, 0);
    await appendBadLayers("skipped/unsigned", digest);
    const json = await signet(["verify", "--key", "k.pub", "--insecure-ignore-tlog", "--output-format", "json", `${registry.host}/skipped/unsigned@${digest}`]);
    assert.notEqual(json.status, 0);
    const error = (JSON.parse(json.stdout) as VerifyJson).images[0]!.error!;
    assert.equal(error.code, "SIG_INVALID");
    assert.match(error.message, /2 signature layers were skipped/);
  });
});
