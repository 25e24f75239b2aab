// Docker credential helpers: run only for hosts the auth files lack, with the host on stdin, as docker runs them.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { createHelperAwareCredentialStore } from "../../../src/cli/credential-helpers.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";

function setup(config: unknown): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), "signet-cred-helpers-"));
  const bin = join(dir, "bin");
  mkdirSync(bin);
  // A helper that answers for the host it is asked about, and "not found" for unknown.test.
  const helper = (name: string, user: string) => {
    const path = join(bin, `docker-credential-${name}`);
    writeFileSync(path, `#!/bin/sh\n[ "$1" = get ] || exit 2\nread host\n[ "$host" = unknown.test ] && { echo "credentials not found in native keychain"; exit 1; }\n[ "$host" = broken.test ] && { echo "boom" >&2; exit 3; }\nprintf '{"ServerURL":"%s","Username":"${user}","Secret":"secret-for-%s"}' "$host" "$host"\n`);
    chmodSync(path, 0o755);
  };
  helper("store", "alice");
  helper("special", "<token>");
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  return { DOCKER_CONFIG: dir, PATH: `${bin}:/usr/bin:/bin`, HOME: dir, REGISTRY_AUTH_FILE: join(dir, "none.json") };
}

describe("docker credential helpers", () => {
  test("credsStore answers for any host; credHelpers wins for its host; <token> is an identity token", async () => {
    const env = setup({ credsStore: "store", credHelpers: { "special.test": "special" }, auths: { "plain.test": { auth: Buffer.from("bob:pw").toString("base64") } } });
    const store = createHelperAwareCredentialStore(env);
    assert.deepEqual(await store.get("registry.test"), { username: "alice", password: "secret-for-registry.test" });
    assert.deepEqual(await store.get("special.test"), { identityToken: "secret-for-special.test" });
    assert.deepEqual(await store.get("docker.io"), { username: "alice", password: "secret-for-https://index.docker.io/v1/" });
    assert.deepEqual(await store.get("plain.test"), { username: "bob", password: "pw" }, "the auth file's entry is used without running a helper");
    assert.equal(await store.get("unknown.test"), undefined, "not found is no credentials, not an error");
    await assertRejectsWithCode(() => store.get("broken.test"), "REGISTRY_UNAUTHORIZED");
  });
  test("a helper name that is not one, or a helper that is not installed, is a clear error", async () => {
    await assertRejectsWithCode(() => createHelperAwareCredentialStore(setup({ credsStore: "../../bin/sh" })).get("x.test"), "REGISTRY_AUTH_FILE_INVALID");
    await assertRejectsWithCode(() => createHelperAwareCredentialStore(setup({ credsStore: "missing" })).get("x.test"), "REGISTRY_UNAUTHORIZED");
  });
  test("no helper configured: no credentials", async () => {
    assert.equal(await createHelperAwareCredentialStore(setup({})).get("x.test"), undefined);
  });
});
