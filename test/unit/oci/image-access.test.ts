// ImageAccess keeps the repositories it opened for reuse, but a bounded number of them: a run over thousands of
// repositories (a batch verify, an audit) holds memory flat in their number.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ImageAccess } from "../../../src/oci/image-access.js";

describe("ImageAccess", () => {
  test("reuses a repository it opened lately, and forgets the least recently used beyond 256", async () => {
    const access = new ImageAccess();
    try {
      const first = await access.repositoryByName("registry.example/team/app-0");
      assert.equal(await access.repositoryByName("registry.example/team/app-0:v2"), first, "the same repository, whatever the tag");
      for (let i = 1; i <= 256; i++) await access.repositoryByName(`registry.example/team/app-${i}`);
      const recent = await access.repositoryByName("registry.example/team/app-256");
      assert.equal(await access.repositoryByName("registry.example/team/app-256"), recent);
      assert.notEqual(await access.repositoryByName("registry.example/team/app-0"), first, "evicted, opened again");
    } finally {
      await access.close();
    }
  });
});
