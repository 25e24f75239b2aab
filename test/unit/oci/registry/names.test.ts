import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseManifestReference, validateRepositoryName, validateTag } from "../../../../src/oci/registry/names.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

describe("registry names", () => {
  test("valid repository names", () => {
    for (const name of ["app", "org/app", "a/b/c", "my-org/my_app", "a.b/c__d", "x--y"]) assert.equal(validateRepositoryName(name), name);
  });

  test("invalid repository names never reach a URL", async () => {
    for (const name of ["", "App", "../etc", "a//b", "a/", "/a", "a/../b", "a?b", "a#b", "a b", "a%2fb", "-a", "a-", "a".repeat(256)]) {
      await assertRejectsWithCode(() => validateRepositoryName(name), "REF_INVALID");
    }
  });

  test("tags", async () => {
    for (const tag of ["latest", "v1.0", "sha256-abc.sig", "_x", "A".repeat(128)]) assert.equal(validateTag(tag), tag);
    for (const tag of ["", ".x", "-x", "a/b", "a:b", "a b", "A".repeat(129), "x?y=1"]) {
      await assertRejectsWithCode(() => validateTag(tag), "REF_INVALID");
    }
  });

  test("manifest references: digests must be valid, anything else is a tag", async () => {
    const digest = `sha256:${"a".repeat(64)}`;
    assert.deepEqual(parseManifestReference(digest), { kind: "digest", digest });
    assert.deepEqual(parseManifestReference("v1"), { kind: "tag", tag: "v1" });
    for (const bad of ["sha256:../../x", "sha256:", `sha256:${"A".repeat(64)}`, `md5:${"a".repeat(32)}`, `sha256:${"a".repeat(63)}`]) {
      await assertRejectsWithCode(() => parseManifestReference(bad), "DIGEST_INVALID");
    }
    await assertRejectsWithCode(() => parseManifestReference("../x"), "REF_INVALID");
  });
});
