import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createRegistryClient } from "../../src/oci/registry/client.js";
import { createCredentialStore, createStaticCredentialStore, NO_CREDENTIALS } from "../../src/oci/registry/credentials.js";
import { loginAuthFile, removeLogin, saveLogin } from "../../src/oci/registry/login.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { sampleManifest, sendManifest, sendRegistryError, startHostileRegistry, type HostileRegistry } from "../helpers/hostile-registry.js";

/**
 * Basic auth against an in-process fake: docker-registry's htpasswd auth needs bcrypt hashes, which Node cannot
 * make and `htpasswd` (apache2-utils) is not installed by default.
 */
describe("Basic auth", () => {
  let server: HostileRegistry;
  let dir: string;
  const expected = `Basic ${Buffer.from("carol:s3cret:with:colons").toString("base64")}`;
  const manifest = sampleManifest("basic");

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "signet-basic-"));
    server = await startHostileRegistry((request, response) => {
      if (request.headers.authorization !== expected) {
        return sendRegistryError(response, 401, "UNAUTHORIZED", "authentication required", { "www-authenticate": 'Basic realm="Registry Realm"' });
      }
      if (request.url === "/v2/") {
        response.writeHead(200, { "content-type": "application/json" });
        return void response.end("{}");
      }
      sendManifest(response, manifest);
    });
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("without credentials: REGISTRY_UNAUTHORIZED after a single request", async () => {
    const client = createRegistryClient({ credentials: NO_CREDENTIALS });
    try {
      await assertRejectsWithCode(() => client.repository(server.host, "app").getManifest("v1"), "REGISTRY_UNAUTHORIZED");
      assert.equal(client.stats.requests, 1);
    } finally {
      await client.close();
    }
  });

  test("with credentials: answered after the challenge, then sent up front", async () => {
    const client = createRegistryClient({ credentials: createStaticCredentialStore(server.host, { username: "carol", password: "s3cret:with:colons" }) });
    try {
      const repo = client.repository(server.host, "app");
      await repo.getManifest("v1");
      assert.equal(client.stats.requests, 2);
      await repo.getManifest("v1");
      assert.equal(client.stats.requests, 3);
    } finally {
      await client.close();
    }
  });

  test("refused credentials: one retry, then REGISTRY_UNAUTHORIZED, without the password in the error", async () => {
    const client = createRegistryClient({ credentials: createStaticCredentialStore(server.host, { username: "carol", password: "bad-password" }) });
    try {
      const error = await assertRejectsWithCode(() => client.repository(server.host, "app").getManifest("v1"), "REGISTRY_UNAUTHORIZED");
      assert.equal(client.stats.requests, 2);
      assert.ok(!JSON.stringify(error.toJSON()).includes("bad-password"));
    } finally {
      await client.close();
    }
  });

  test("login writes Docker's config.json under $DOCKER_CONFIG when no file is named", async () => {
    const env = { DOCKER_CONFIG: join(dir, "docker") };
    const path = await saveLogin(server.host, "carol", "s3cret:with:colons", { env });
    assert.equal(path, join(dir, "docker", "config.json"));
    assert.equal(loginAuthFile({ env }), path);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const client = createRegistryClient({ credentials: createCredentialStore({ env, homeDir: join(dir, "nohome") }) });
    try {
      await client.repository(server.host, "app").getManifest("v1");
    } finally {
      await client.close();
    }
    assert.equal(await removeLogin(server.host, { env }), path);
    assert.deepEqual(JSON.parse(readFileSync(path, "utf8")).auths, {});
  });

  test("login with refused credentials writes nothing", async () => {
    const authFile = join(dir, "refused", "auth.json");
    await assertRejectsWithCode(() => saveLogin(server.host, "carol", "nope", { authFile }), "REGISTRY_UNAUTHORIZED");
    assert.equal(existsSync(authFile), false);
  });

  test("login refuses user names with a colon and empty passwords before any request", async () => {
    const before = server.requests.length;
    await assertRejectsWithCode(() => saveLogin(server.host, "a:b", "pw", { authFile: join(dir, "x.json") }), "USAGE");
    await assertRejectsWithCode(() => saveLogin(server.host, "a", "", { authFile: join(dir, "x.json") }), "USAGE");
    assert.equal(server.requests.length, before);
  });

  test("login to a registry off loopback over plain HTTP is refused without the flag", async () => {
    await assertRejectsWithCode(() => saveLogin("registry.example.invalid", "a", "b", { authFile: join(dir, "x.json"), plainHttp: true }), "REGISTRY_INSECURE_REFUSED");
  });
});
