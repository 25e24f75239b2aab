// Signing again with the same key adds nothing when the image already holds that signature, read as a verifier
// reads it: a mangled copy of it (junk in its base64, which a lenient decoder would skip) is not "already signed".
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { generateSigningKey } from "../../../../src/keys/index.js";
import { ImageAccess } from "../../../../src/oci/image-access.js";
import { createTestImage, openLayout } from "../../../../src/oci/layout/index.js";
import { MediaType } from "../../../../src/oci/manifest/media-types.js";
import { signImage } from "../../../../src/signatures/cosign/sign-image.js";
import { buildSignatureImage, CosignAnnotation, parseSignatureManifestLayers } from "../../../../src/signatures/cosign/signature-manifest.js";
import { keyRequirement, verifyImage } from "../../../../src/signatures/verifier/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("signImage", () => {
  test("re-signing is a no-op only when this key's signature is there as a verifier reads it", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "signet-resign-")), "layout");
    dirs.push(join(dir, ".."));
    const layout = await openLayout(dir, { create: true });
    await createTestImage(layout, "v1", { content: "resign" });
    const key = generateSigningKey();
    const access = new ImageAccess();
    const first = await signImage(access, `oci:${dir}:v1`, { key });
    assert.equal(first.signed[0]?.added, true);
    assert.equal((await signImage(access, `oci:${dir}:v1`, { key })).signed[0]?.added, false, "already signed by this key");

    // Someone with push access replaces the signature with a copy that has junk in its base64.
    const tag = first.signed[0]!.tag;
    const [layer] = parseSignatureManifestLayers((await layout.getManifest(tag)).bytes);
    const good = layer!.annotations![CosignAnnotation.signature]!;
    const mangled = { ...layer!, annotations: { ...layer!.annotations, [CosignAnnotation.signature]: `${good.slice(0, 8)}!${good.slice(8)}` } };
    const replaced = buildSignatureImage([mangled]);
    await layout.putBlob(replaced.configBytes, replaced.configDigest);
    await layout.putManifest(replaced.manifestBytes, MediaType.OciManifest, tag);
    const mangledError = await assertRejectsWithCode(() => verifyImage(access, `oci:${dir}:v1`, { requirement: keyRequirement([key.publicKey]) }), "SIG_INVALID");
    assert.match(mangledError.message, /base64|signature/i);

    const again = await signImage(access, `oci:${dir}:v1`, { key });
    assert.equal(again.signed[0]?.added, true, "a mangled copy is not this key's signature");
    const verified = await verifyImage(access, `oci:${dir}:v1`, { requirement: keyRequirement([key.publicKey]) });
    assert.equal(verified.verified.length, 1);
    await access.close();
  });
});
