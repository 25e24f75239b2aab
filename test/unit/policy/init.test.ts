import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { createInitPolicy, parsePolicy } from "../../../src/policy/index.js";

describe("createInitPolicy", () => {
  test("default reject; each image a scope in expanded form; cosign keys → sigstoreSigned with matchRepository", () => {
    const text = createInitPolicy({ images: ["nginx", "ghcr.io/org/app", "quay.io/org/pinned:1.0"], cosignKeys: ["cosign.pub"] });
    const value = JSON.parse(text) as { default: unknown; transports: { docker: Record<string, unknown[]> } };
    assert.deepEqual(value.default, [{ type: "reject" }]);
    assert.deepEqual(Object.keys(value.transports.docker), ["docker.io/library/nginx", "ghcr.io/org/app", "quay.io/org/pinned:1.0"]);
    assert.deepEqual(value.transports.docker["ghcr.io/org/app"], [{ type: "sigstoreSigned", keyPath: "cosign.pub", signedIdentity: { type: "matchRepository" } }]);
    assert.ok(text.endsWith("}\n"));
    assert.doesNotThrow(() => parsePolicy(text));
  });

  test("GPG keys → signedBy GPGKeys; several keys → keyPaths; both kinds → both required", () => {
    const value = JSON.parse(createInitPolicy({ images: ["example.com/app"], gpgKeys: ["a.gpg", "b.gpg"], cosignKeys: ["kbs:///default/cosign-key/1"] })) as {
      transports: { docker: Record<string, unknown[]> };
    };
    assert.deepEqual(value.transports.docker["example.com/app"], [
      { type: "sigstoreSigned", keyPath: "kbs:///default/cosign-key/1", signedIdentity: { type: "matchRepository" } },
      { type: "signedBy", keyType: "GPGKeys", keyPaths: ["a.gpg", "b.gpg"] },
    ]);
  });

  test("refuses what would not make a useful policy", async () => {
    await assertRejectsWithCode(() => createInitPolicy({ images: [], cosignKeys: ["k"] }), "USAGE");
    await assertRejectsWithCode(() => createInitPolicy({ images: ["a.example/x"] }), "USAGE");
    await assertRejectsWithCode(() => createInitPolicy({ images: ["a.example/x", "a.example/x"], cosignKeys: ["k"] }), "USAGE");
    await assertRejectsWithCode(() => createInitPolicy({ images: [`a.example/x:1@sha256:${"a".repeat(64)}`], cosignKeys: ["k"] }), "USAGE");
    await assertRejectsWithCode(() => createInitPolicy({ images: ["Not/Valid"], cosignKeys: ["k"] }), "REF_INVALID");
  });
});
