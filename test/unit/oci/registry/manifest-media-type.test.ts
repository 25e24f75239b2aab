import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { manifestMediaType } from "../../../../src/oci/registry/manifest-media-type.js";
import { MediaType } from "../../../../src/oci/manifest/media-types.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("manifestMediaType", () => {
  test("the Content-Type when it is a manifest type and agrees with the document", () => {
    assert.equal(manifestMediaType(`${MediaType.OciIndex}; charset=utf-8`, json({ schemaVersion: 2, mediaType: MediaType.OciIndex })), MediaType.OciIndex);
    assert.equal(manifestMediaType(MediaType.OciManifest, json({ schemaVersion: 2 })), MediaType.OciManifest);
  });

  test("the document's mediaType when the Content-Type is generic", () => {
    assert.equal(manifestMediaType("application/json", json({ mediaType: MediaType.DockerManifest })), MediaType.DockerManifest);
  });

  test("a document served as another kind is MANIFEST_INVALID", async () => {
    await assertRejectsWithCode(() => manifestMediaType(MediaType.OciManifest, json({ mediaType: MediaType.OciIndex })), "MANIFEST_INVALID");
    await assertRejectsWithCode(() => manifestMediaType(MediaType.OciManifest, Buffer.from("not json")), "MANIFEST_INVALID");
    await assertRejectsWithCode(() => manifestMediaType(MediaType.OciManifest, json([1])), "MANIFEST_INVALID");
  });

  test("unknown types are MANIFEST_UNSUPPORTED", async () => {
    await assertRejectsWithCode(() => manifestMediaType("application/vnd.docker.distribution.manifest.v1+prettyjws", json({ schemaVersion: 1 })), "MANIFEST_UNSUPPORTED");
    await assertRejectsWithCode(() => manifestMediaType(undefined, json({ schemaVersion: 2 })), "MANIFEST_UNSUPPORTED");
  });
});
