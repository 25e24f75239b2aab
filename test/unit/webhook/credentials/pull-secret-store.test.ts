import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createStaticCredentialStore } from "../../../../src/oci/registry/credentials.js";
import { createPullSecretCredentialStore } from "../../../../src/webhook/credentials/pull-secret-store.js";

const creds = (username: string) => ({ username, password: "pw" });

describe("createPullSecretCredentialStore", () => {
  const secrets = [
    new Map([["registry.example.com", creds("host-wide")]]),
    new Map([
      ["registry.example.com/team/app", creds("repo")],
      ["registry.example.com", creds("second-secret")],
    ]),
  ];
  const store = createPullSecretCredentialStore(secrets, createStaticCredentialStore("fallback.example.com", creds("auth-file")));

  test("the most specific key wins across secrets, then the first secret", async () => {
    assert.deepEqual(await store.get("registry.example.com", "team/app"), creds("repo"));
    assert.deepEqual(await store.get("registry.example.com", "team/other"), creds("host-wide"));
  });

  test("hosts match exactly: no credentials for another host, a port, or a suffix", async () => {
    assert.equal(await store.get("evil.example.com", "team/app"), undefined);
    assert.equal(await store.get("registry.example.com:5000", "team/app"), undefined);
    assert.equal(await store.get("registry.example.com.evil.test", "team/app"), undefined);
  });

  test("falls back to the configured auth file", async () => {
    assert.deepEqual(await store.get("fallback.example.com", "x"), creds("auth-file"));
  });
});
