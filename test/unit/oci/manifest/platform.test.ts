// Platforms of multi-arch images: parsing os/arch[/variant] and choosing the instance a runtime there pulls.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EXPLANATION_RANK, mostTelling } from "../../../../src/errors/index.js";
import type { Digest } from "../../../../src/internal/digest.js";
import type { Descriptor } from "../../../../src/oci/manifest/descriptor.js";
import { chooseInstance, parsePlatform } from "../../../../src/oci/manifest/platform.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const instance = (n: string, os: string, architecture: string, variant?: string): Descriptor => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${n.repeat(64)}` as Digest,
  size: 1,
  platform: { os, architecture, ...(variant === undefined ? {} : { variant }) },
});

test("parsePlatform takes os/arch[/variant] and refuses anything else with USAGE", async () => {
  assert.deepEqual(parsePlatform("linux/amd64"), { os: "linux", architecture: "amd64" });
  assert.deepEqual(parsePlatform("linux/arm64/v8"), { os: "linux", architecture: "arm64", variant: "v8" });
  for (const bad of ["linux", "linux/", "/amd64", "linux/amd64/v8/x", "Linux/AMD64", "linux/amd 64"]) {
    await assertRejectsWithCode(() => parsePlatform(bad), "USAGE");
  }
});

test("chooseInstance picks the first os/arch match, the variant only when asked, else PLATFORM_NOT_FOUND", async () => {
  const index = [instance("1", "linux", "arm", "v6"), instance("2", "linux", "arm", "v7"), instance("3", "linux", "amd64")];
  assert.equal(chooseInstance(index, parsePlatform("linux/amd64"), "x").digest, index[2]!.digest);
  assert.equal(chooseInstance(index, parsePlatform("linux/arm/v7"), "x").digest, index[1]!.digest);
  assert.equal(chooseInstance(index, parsePlatform("linux/arm"), "x").digest, index[0]!.digest);
  await assertRejectsWithCode(() => chooseInstance(index, parsePlatform("windows/amd64"), "x"), "PLATFORM_NOT_FOUND");
});

test("one ranking explains every failure: what a verified signature said beats what did not verify, beats nothing found", () => {
  assert.equal(mostTelling([{ code: "SIG_INVALID" }, { code: "SIG_DIGEST_MISMATCH" }, { code: "SIG_MISSING" }])!.code, "SIG_DIGEST_MISMATCH");
  assert.equal(mostTelling([{ code: "SIG_INVALID" }, { code: "SIG_IDENTITY_MISMATCH" }])!.code, "SIG_IDENTITY_MISMATCH");
  assert.equal(mostTelling([{ code: "CERT_CHAIN_INVALID" }, { code: "CERT_IDENTITY_MISMATCH" }])!.code, "CERT_IDENTITY_MISMATCH");
  assert.equal(mostTelling([{ code: "REGISTRY_ERROR" }, { code: "SIG_INVALID" }])!.code, "SIG_INVALID");
  assert.equal(mostTelling([]), undefined);
  assert.equal(new Set(EXPLANATION_RANK).size, EXPLANATION_RANK.length, "each code ranked once");
});
