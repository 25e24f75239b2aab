#!/usr/bin/env node
// `make demo`: sign an image in a local OCI layout, verify it, then show a tampered image rejected.
// Everything happens in .demo/ with the CLI from this checkout; nothing needs a network.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";

const { openLayout } = await import("../dist/src/oci/layout/index.js");
const { createTestImage } = await import("../dist/src/oci/layout/test-image.js");
const { attachmentTag } = await import("../dist/src/signatures/cosign/tags.js");

const dir = ".demo";
const image = `oci:${dir}/layout:v1`;
const env = { ...process.env, COSIGN_PASSWORD: "demo-password" };

function step(title) {
  console.log(`\n== ${title}`);
}

function signet(args, { expectFailure = false } = {}) {
  console.log(`$ bin/signet ${args.join(" ")}`);
  const result = spawnSync("bin/signet", args, { env, encoding: "utf8" });
  process.stdout.write(result.stdout);
  process.stdout.write(result.stderr);
  if (expectFailure ? result.status === 0 : result.status !== 0) {
    console.error(`demo failed: bin/signet ${args[0]} exited ${result.status}`);
    process.exit(1);
  }
  return result;
}

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir);

step("1. An image in a local OCI layout (built in memory, no container engine)");
const layout = await openLayout(`${dir}/layout`, { create: true });
const built = await createTestImage(layout, "v1", { content: "hello from signet\n" });
console.log(`created ${image} with digest ${built.digest}`);

step("2. A cosign-compatible key pair");
signet(["generate-key-pair", "--output-key-prefix", `${dir}/cosign`]);

step("3. Sign the image");
signet(["sign", "--tlog-upload=false", "--key", `${dir}/cosign.key`, image]);

step("4. Verify it");
signet(["verify", "--insecure-ignore-tlog", "--key", `${dir}/cosign.pub`, image]);

step("5. Tamper: replace the image behind the tag and copy the old signature onto it");
const tampered = await createTestImage(layout, "v1", { content: "malicious content\n" });
const oldSignature = await layout.getManifest(attachmentTag(built.digest));
await layout.putManifest(oldSignature.bytes, oldSignature.mediaType, attachmentTag(tampered.digest));
console.log(`tag v1 now points at ${tampered.digest}, carrying the signature made for ${built.digest}`);

step("6. Verify the tampered image: it must be rejected");
signet(["verify", "--insecure-ignore-tlog", "--key", `${dir}/cosign.pub`, image], { expectFailure: true });
console.log("\nThe tampered image was rejected: its signature names another digest. Demo complete.");
