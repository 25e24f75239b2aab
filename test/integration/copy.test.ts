// Copying signed images: skopeo (use-sigstore-attachments) and `signet copy` carry the .sig attachments,
// between registries and OCI layouts, and the copies still verify (with signet and with cosign).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jsonErrorCodes, runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

describe("copying signed images (real registry, skopeo, cosign)", () => {
  let registry: TestRegistry;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });
  const cosignVerify = (image: string): Promise<RunResult> =>
    runProgram(cosignPath(), ["verify", "--key", "k.pub", "--insecure-ignore-tlog=true", image], { env, cwd: dir });

  before(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-copy-"));
    env = cosignEnv({ COSIGN_PASSWORD: "pw" });
    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "k"])).status, 0);
    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "other"])).status, 0);
    writeFileSync(join(dir, "any.json"), '{"default":[{"type":"insecureAcceptAnything"}]}');
    mkdirSync(join(dir, "regd"));
    writeFileSync(join(dir, "regd", "default.yaml"), "default-docker:\n  use-sigstore-attachments: true\n");
  });
  after(() => registry?.stop());

  test("skopeo copies signet-signed images with their signatures; the copies verify", async () => {
    const source = `${registry.host}/copy/source:v1`;
    const digest = await pushTestImage(registry.host, "copy/source", "v1", "skopeo-copy");
    assert.equal((await signet(["sign", "--tlog-upload=false", "--key", "k.key", source])).status, 0);
    const copied = await runProgram(
      "skopeo",
      ["--policy", "any.json", "--registries.d", "regd", "copy", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${source}`, `docker://${registry.host}/copy/by-skopeo:v1`],
      { cwd: dir },
    );
    assert.equal(copied.status, 0, copied.stderr);
    const target = `${registry.host}/copy/by-skopeo:v1`;
    const verified = await signet(["verify", "--insecure-ignore-tlog", "--key", "k.pub", "--output-format", "json", target]);
    assert.equal(verified.status, 0, verified.stdout);
    assert.equal((JSON.parse(verified.stdout) as { images: { digest: string }[] }).images[0]!.digest, digest);
    assert.equal((await cosignVerify(target)).status, 0);
  });

  test("signet copy: registry -> registry -> OCI layout -> registry, signatures merged, never lost", async () => {
    const source = `${registry.host}/copy/signet-source:v1`;
    const digest = await pushTestImage(registry.host, "copy/signet-source", "v1", "signet-copy", ["linux/amd64", "linux/arm64"]);
    assert.equal((await signet(["sign", "--tlog-upload=false", "--key", "k.key", "--recursive", source])).status, 0);

    // The destination already carries a signature by another key: the copy merges, it does not replace.
    const destination = `${registry.host}/copy/signet-dest`;
    assert.equal((await signet(["copy", source, `${destination}:v1`])).status, 0);
    assert.equal((await signet(["sign", "--tlog-upload=false", "--key", "other.key", `${destination}:v1`])).status, 0);
    const again = await signet(["copy", "--output-format", "json", source, destination]);
    assert.equal(again.status, 0, again.stderr);
    const result = JSON.parse(again.stdout) as { digest: string; destination: string; attachments: unknown[] };
    assert.equal(result.digest, digest);
    assert.equal(result.destination, `docker://${destination}:v1`, "a destination without a tag takes the source's tag");
    assert.equal(result.attachments.length, 3, "the index and both platform manifests carry signatures");
    for (const key of ["k.pub", "other.pub"]) assert.equal((await signet(["verify", "--insecure-ignore-tlog", "--key", key, `${destination}:v1`])).status, 0);
    assert.equal((await cosignVerify(`${destination}:v1`)).status, 0);

    // To an OCI layout and back to another repository.
    const layout = `oci:${join(dir, "layout")}:v1`;
    const toLayout = await signet(["copy", source, layout]);
    assert.equal(toLayout.status, 0, toLayout.stderr);
    assert.equal((await signet(["verify", "--insecure-ignore-tlog", "--key", "k.pub", layout])).status, 0);
    const back = `${registry.host}/copy/from-layout:v2`;
    assert.equal((await signet(["copy", layout, back])).status, 0);
    const verified = await signet(["verify", "--insecure-ignore-tlog", "--key", "k.pub", "--output-format", "json", back]);
    assert.equal(verified.status, 0, verified.stdout);
    assert.equal((await cosignVerify(back)).status, 0);
    const skopeo = await runProgram("skopeo", ["inspect", "--raw", `oci:${join(dir, "layout")}:v1`]);
    assert.equal(skopeo.status, 0, skopeo.stderr);

    // A platform manifest was signed too (--recursive) and its signature travelled.
    const index = JSON.parse(skopeo.stdout) as { manifests: { digest: string }[] };
    assert.equal((await signet(["verify", "--insecure-ignore-tlog", "--key", "k.pub", `${registry.host}/copy/from-layout@${index.manifests[0]!.digest}`])).status, 0);
  });

  test("copying an image that does not exist fails with REGISTRY_NOT_FOUND and writes nothing", async () => {
    const failed = await signet(["copy", "--output-format", "json", `${registry.host}/copy/missing:v1`, `oci:${join(dir, "nothing")}:v1`]);
    assert.equal(failed.status, 11, "not found: cosign's NonExistentTag exit code");
    assert.deepEqual(jsonErrorCodes(failed.stdout), ["REGISTRY_NOT_FOUND"]);
  });
});
