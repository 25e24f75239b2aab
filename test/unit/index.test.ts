// Pins the public API: a change to this list is a change to what users can import from "signet-oci".
import assert from "node:assert/strict";
import { test } from "node:test";
import * as signet from "../../src/index.js";

test("the public API exports exactly these names", () => {
  assert.deepEqual(Object.keys(signet).sort(), [
    "ERROR_CATALOG",
    "ImageAccess",
    "SignetError",
    "compilePolicy",
    "createImageVerifier",
    "createLocationReader",
    "createPolicyFetchers",
    "createSimpleSigningPayload",
    "decodeBlobSignature",
    "decryptPrivateKey",
    "encryptPrivateKey",
    "evaluatePolicy",
    "formatDecisionText",
    "formatImageReference",
    "generateSigningKey",
    "lintPolicy",
    "loadPrivateKey",
    "loadPublicKey",
    "loadSigner",
    "loadTrustedRoot",
    "parseImageLocation",
    "parseImageReference",
    "parseKeyReference",
    "parsePolicy",
    "parseSimpleSigningPayload",
    "publicKeyToPem",
    "sign",
    "signBlob",
    "signImage",
    "signWithKey",
    "trustMaterialFromKeys",
    "verify",
    "verifyBlobSignature",
    "verifyImage",
    "verifySignatureRecords",
    "verifySigstoreBundle",
    "verifyWithKey",
  ]);
});

test("sign and verify round-trip through the public API on an OCI layout", async () => {
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { openLayout, createTestImage } = await import("../../src/oci/layout/index.js");
  const dir = join(mkdtempSync(join(tmpdir(), "signet-api-")), "layout");
  const image = await createTestImage(await openLayout(dir, { create: true }), "v1", { content: "api" });
  const key = signet.generateSigningKey();
  const signed = await signet.sign(`oci:${dir}:v1`, { key });
  assert.equal(signed.signed[0]?.digest, image.digest);
  const verified = await signet.verify(`oci:${dir}:v1`, { key: key.publicKey });
  assert.equal(verified.digest, image.digest);
  const other = signet.generateSigningKey();
  await assert.rejects(signet.verify(`oci:${dir}:v1`, { key: other.publicKey }), (error: unknown) => signet.SignetError.is(error) && error.code === "SIG_INVALID");
});
