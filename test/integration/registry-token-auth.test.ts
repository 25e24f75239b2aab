import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sha256Digest } from "../../src/internal/digest.js";
import { MediaType } from "../../src/oci/manifest/media-types.js";
import { createRegistryClient } from "../../src/oci/registry/client.js";
import { createCredentialStore, createStaticCredentialStore, NO_CREDENTIALS } from "../../src/oci/registry/credentials.js";
import { removeLogin, saveLogin } from "../../src/oci/registry/login.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { runSignet } from "../helpers/cli.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { startTokenServer, type TokenServer } from "../helpers/token-server.js";

const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
const configDigest = sha256Digest(config);
const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: configDigest, size: config.length },
    layers: [],
  }),
);

describe("token (Bearer) auth against docker-registry", () => {
  let tokens: TokenServer;
  let registry: TestRegistry;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "signet-token-auth-"));
    tokens = await startTokenServer({
      users: { alice: "wonderland", bob: "builder" },
      // alice may do anything; bob and anonymous users may only pull public/*.
      grant: (user, repository, requested) => (user === "alice" ? [...requested] : repository.startsWith("public/") ? requested.filter((a) => a === "pull") : []),
    });
    registry = await startRegistry({ extraConfig: tokens.registryAuthConfig() });
  });
  after(async () => {
    // Whatever before() got to: a token server left listening would keep this file's process alive for good.
    await registry?.stop();
    await tokens?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const alice = () => createStaticCredentialStore(registry.host, { username: "alice", password: "wonderland" });

  test("pushes and pulls with a token requested for pull,push", async () => {
    const client = createRegistryClient({ credentials: alice() });
    try {
      const repo = client.repository(registry.host, "team/app");
      await repo.putBlob(config, configDigest);
      const digest = await repo.putManifest(manifest, MediaType.OciManifest, "v1");
      assert.deepEqual((await repo.getManifest("v1")).digest, digest);
      const pushRequest = tokens.requests.find((r) => r.scopes.includes("repository:team/app:pull,push"));
      assert.ok(pushRequest, JSON.stringify(tokens.requests));
      assert.equal(pushRequest.user, "alice");
      assert.equal(pushRequest.service, tokens.service);
    } finally {
      await client.close();
    }
  });

  test("tokens are cached: repeated reads cost no token requests", async () => {
    const client = createRegistryClient({ credentials: alice() });
    try {
      const repo = client.repository(registry.host, "team/app");
      await repo.getManifest("v1");
      const tokenRequests = tokens.requests.length;
      const before = client.stats.requests;
      for (let i = 0; i < 5; i++) await repo.getManifest("v1");
      assert.equal(tokens.requests.length, tokenRequests);
      assert.equal(client.stats.requests - before, 5);
    } finally {
      await client.close();
    }
  });

  test("mounting asks for pull on the source repository too", async () => {
    const client = createRegistryClient({ credentials: alice() });
    try {
      const target = client.repository(registry.host, "team/copy");
      assert.equal(await target.mountBlob(configDigest, "team/app"), true);
      assert.ok(tokens.requests.some((r) => r.scopes.includes("repository:team/copy:pull,push") && r.scopes.includes("repository:team/app:pull")));
      assert.equal(await target.hasBlob(configDigest), true);
    } finally {
      await client.close();
    }
  });

  test("anonymous pulls of a public repository; pushes are denied", async () => {
    const setup = createRegistryClient({ credentials: alice() });
    try {
      const repo = setup.repository(registry.host, "public/app");
      await repo.putBlob(config, configDigest);
      await repo.putManifest(manifest, MediaType.OciManifest, "v1");
    } finally {
      await setup.close();
    }
    const client = createRegistryClient({ credentials: NO_CREDENTIALS });
    try {
      const repo = client.repository(registry.host, "public/app");
      assert.equal((await repo.getManifest("v1")).digest, sha256Digest(manifest));
      assert.equal(tokens.requests.at(-1)?.user, undefined);
      await assertRejectsWithCode(() => repo.putManifest(manifest, MediaType.OciManifest, "v2"), "REGISTRY_DENIED");
      await assertRejectsWithCode(() => client.repository(registry.host, "team/app").getManifest("v1"), "REGISTRY_DENIED");
    } finally {
      await client.close();
    }
  });

  test("wrong credentials are REGISTRY_UNAUTHORIZED", async () => {
    const client = createRegistryClient({ credentials: createStaticCredentialStore(registry.host, { username: "alice", password: "wrong" }) });
    try {
      const error = await assertRejectsWithCode(() => client.repository(registry.host, "team/app").getManifest("v1"), "REGISTRY_UNAUTHORIZED");
      assert.ok(!JSON.stringify(error.toJSON()).includes("wrong"));
    } finally {
      await client.close();
    }
  });

  test("credentials from an auth file", async () => {
    const authFile = join(dir, "auth.json");
    writeFileSync(authFile, JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from("alice:wonderland").toString("base64") } } }));
    const client = createRegistryClient({ credentials: createCredentialStore({ authFiles: [authFile] }) });
    try {
      assert.equal((await client.repository(registry.host, "team/app").getManifest("v1")).digest, sha256Digest(manifest));
    } finally {
      await client.close();
    }
  });

  test("login checks the credentials with the token server, then stores them; logout removes them", async () => {
    const authFile = join(dir, "login.json");
    writeFileSync(authFile, JSON.stringify({ auths: { "other.example": { auth: "eDp5" } }, credsStore: "desktop" }));
    await assertRejectsWithCode(() => saveLogin(registry.host, "alice", "wrong", { authFile }), "REGISTRY_UNAUTHORIZED");
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(authFile, "utf8")).auths), ["other.example"]);

    assert.equal(await saveLogin(registry.host, "bob", "builder", { authFile }), authFile);
    const saved = JSON.parse(readFileSync(authFile, "utf8"));
    assert.equal(saved.credsStore, "desktop");
    assert.equal(saved.auths["other.example"].auth, "eDp5");
    assert.equal(Buffer.from(saved.auths[registry.host].auth, "base64").toString(), "bob:builder");
    assert.equal(statSync(authFile).mode & 0o777, 0o600);

    assert.equal(await removeLogin(registry.host, { authFile }), authFile);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(authFile, "utf8")).auths), ["other.example"]);
    assert.equal(await removeLogin(registry.host, { authFile }), undefined);
  });

  test("--registry-token (cosign's): the token is sent to the registry as it is, with no exchange; a bad one is REGISTRY_UNAUTHORIZED", async () => {
    const client = createRegistryClient({ credentials: alice() });
    try {
      const repo = client.repository(registry.host, "team/tokens");
      await repo.putBlob(config, configDigest);
      await repo.putManifest(manifest, MediaType.OciManifest, "v1");
    } finally {
      await client.close();
    }
    const url = new URL(tokens.realm);
    url.searchParams.set("service", tokens.service);
    url.searchParams.set("scope", "repository:team/tokens:pull");
    const answer = (await (await fetch(url, { headers: { authorization: `Basic ${Buffer.from("alice:wonderland").toString("base64")}` } })).json()) as { token: string };
    const before = tokens.requests.length;
    const image = `${registry.host}/team/tokens:v1`;
    const env = { ...process.env, HOME: dir, DOCKER_CONFIG: join(dir, "no-docker-config") };
    const listed = await runSignet(["triangulate", "--allow-http-registry", "--registry-token", answer.token, image], { env });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /team\/tokens:sha256-[0-9a-f]{64}\.sig/);
    assert.equal(tokens.requests.length, before, "the token server was never asked: the token went to the registry as it is");
    const refused = await runSignet(["triangulate", "--allow-http-registry", "--registry-token", "not-a-token", image], { env });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /REGISTRY_UNAUTHORIZED/);
    const both = await runSignet(["triangulate", "--registry-token", "t", "--registry-username", "alice", "--registry-password", "wonderland", image], { env });
    assert.match(both.stderr, /OPTION_CONFLICT/);
  });
});
