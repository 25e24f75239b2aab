import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  authFileSearchPath,
  createCredentialStore,
  credentialKeyCandidates,
  normalizeAuthKey,
} from "../../../../src/oci/registry/credentials.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const basic = (user: string, password: string) => ({ auth: Buffer.from(`${user}:${password}`).toString("base64") });

describe("credential files", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "signet-creds-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function writeJson(name: string, value: unknown): string {
    const path = join(dir, name);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, JSON.stringify(value));
    return path;
  }

  test("search path: REGISTRY_AUTH_FILE, XDG runtime, ~/.config/containers, Docker config", () => {
    assert.deepEqual(authFileSearchPath({ REGISTRY_AUTH_FILE: "/a.json", XDG_RUNTIME_DIR: "/run/user/1" }, "/home/u"), [
      "/a.json",
      "/run/user/1/containers/auth.json",
      "/home/u/.config/containers/auth.json",
      "/home/u/.docker/config.json",
    ]);
    assert.deepEqual(authFileSearchPath({ DOCKER_CONFIG: "/dc" }, "/home/u"), ["/home/u/.config/containers/auth.json", "/dc/config.json"]);
  });

  test("reads auth, username/password and identitytoken entries", async () => {
    const file = writeJson("forms.json", {
      auths: {
        "a.example": basic("alice", "pa:ss"),
        "b.example": { username: "bob", password: "pw" },
        "c.example": { auth: Buffer.from("<token>:").toString("base64"), identitytoken: "refresh-me" },
        "d.example": { auth: "" },
      },
    });
    const store = createCredentialStore({ authFiles: [file] });
    assert.deepEqual(await store.get("a.example"), { username: "alice", password: "pa:ss" });
    assert.deepEqual(await store.get("b.example"), { username: "bob", password: "pw" });
    assert.deepEqual(await store.get("c.example"), { identityToken: "refresh-me", username: "<token>" });
    assert.equal(await store.get("d.example"), undefined);
  });

  test("one store sees a login, a change of password, a logout and a broken file made while it is in use", async () => {
    const file = writeJson("changing.json", { auths: { "a.example": basic("alice", "one") } });
    const store = createCredentialStore({ authFiles: [file] });
    assert.deepEqual(await store.get("a.example"), { username: "alice", password: "one" });
    assert.deepEqual(await store.get("a.example"), { username: "alice", password: "one" }, "unchanged: the same answer");
    // the same size, written within the same second: still seen
    writeJson("changing.json", { auths: { "a.example": basic("alice", "two") } });
    assert.deepEqual(await store.get("a.example"), { username: "alice", password: "two" });
    writeJson("changing.json", { auths: {} });
    assert.equal(await store.get("a.example"), undefined);
    writeFileSync(file, "{ not json");
    await assertRejectsWithCode(() => store.get("a.example"), "IO_ERROR");
    rmSync(file);
    assert.equal(await store.get("a.example"), undefined);
    writeJson("changing.json", { auths: { "a.example": basic("alice", "three") } });
    assert.deepEqual(await store.get("a.example"), { username: "alice", password: "three" });
  });

  test("an auth that is not Go's standard base64 gives no credentials (as docker and containers/image refuse it)", async () => {
    const good = basic("alice", "secret").auth;
    const file = writeJson("junk-auth.json", {
      auths: {
        "junk.example": { auth: `${good.slice(0, 4)}!${good.slice(4)}` },
        "url-safe.example": { auth: Buffer.from("al?ce:se>cret?").toString("base64url") },
        "good.example": { auth: good },
      },
    });
    const store = createCredentialStore({ authFiles: [file] });
    assert.equal(await store.get("junk.example"), undefined);
    assert.equal(await store.get("url-safe.example"), undefined);
    assert.deepEqual(await store.get("good.example"), { username: "alice", password: "secret" });
  });

  test("hosts match exactly: no parent domain, no suffix, no other port", async () => {
    const file = writeJson("exact.json", { auths: { "registry.example.com": basic("u", "p"), "https://legacy.example.com/v1/": basic("l", "p") } });
    const store = createCredentialStore({ authFiles: [file] });
    assert.deepEqual(await store.get("registry.example.com"), { username: "u", password: "p" });
    assert.equal(await store.get("example.com"), undefined);
    assert.equal(await store.get("registry.example.com.evil.net"), undefined);
    assert.equal(await store.get("evilregistry.example.com"), undefined);
    assert.equal(await store.get("registry.example.com:5000"), undefined);
    assert.deepEqual(await store.get("legacy.example.com"), { username: "l", password: "p" });
    assert.equal(await store.get("example.com", "legacy"), undefined);
  });

  test("repository-scoped keys: most specific first, on path-component boundaries", async () => {
    const file = writeJson("scoped.json", {
      auths: {
        "r.example": basic("host", "p"),
        "r.example/team": basic("team", "p"),
        "r.example/team/app": basic("app", "p"),
      },
    });
    const store = createCredentialStore({ authFiles: [file] });
    assert.equal(((await store.get("r.example", "team/app")) as { username: string }).username, "app");
    assert.equal(((await store.get("r.example", "team/other")) as { username: string }).username, "team");
    assert.equal(((await store.get("r.example", "teammate/app")) as { username: string }).username, "host");
    assert.equal(((await store.get("r.example")) as { username: string }).username, "host");
  });

  test("Docker Hub: Docker's https://index.docker.io/v1/ key serves docker.io", async () => {
    const file = writeJson("hub.json", { auths: { "https://index.docker.io/v1/": basic("hubuser", "p") } });
    const store = createCredentialStore({ authFiles: [file] });
    assert.deepEqual(await store.get("docker.io", "library/busybox"), { username: "hubuser", password: "p" });
    assert.ok(credentialKeyCandidates("docker.io", "library/busybox").includes("docker.io/library/busybox"));
  });

  test("files are read in order; the first with a match wins; missing files are skipped", async () => {
    const first = writeJson("first.json", { auths: { "r.example": basic("first", "p") } });
    const second = writeJson("second.json", { auths: { "r.example": basic("second", "p"), "s.example": basic("s", "p") } });
    const store = createCredentialStore({ authFiles: [join(dir, "missing.json"), first, second] });
    assert.equal(((await store.get("r.example")) as { username: string }).username, "first");
    assert.equal(((await store.get("s.example")) as { username: string }).username, "s");
  });

  test("the default search path honours the environment and HOME", async () => {
    const home = join(dir, "home");
    writeJson("home/.docker/config.json", { auths: { "docker.example": basic("docker", "p") } });
    writeJson("home/.config/containers/auth.json", { auths: { "podman.example": basic("podman", "p") } });
    const override = writeJson("override.json", { auths: { "docker.example": basic("override", "p") } });
    const store = createCredentialStore({ env: {}, homeDir: home });
    assert.equal(((await store.get("docker.example")) as { username: string }).username, "docker");
    assert.equal(((await store.get("podman.example")) as { username: string }).username, "podman");
    const overridden = createCredentialStore({ env: { REGISTRY_AUTH_FILE: override }, homeDir: home });
    assert.equal(((await overridden.get("docker.example")) as { username: string }).username, "override");
  });

  test("credential helpers are not run: the host falls through to auths", async () => {
    const file = writeJson("helpers.json", { credsStore: "desktop", credHelpers: { "h.example": "ecr-login" }, auths: { "h.example": basic("plain", "p") } });
    const store = createCredentialStore({ authFiles: [file] });
    assert.deepEqual(await store.get("h.example"), { username: "plain", password: "p" });
    assert.equal(await store.get("other.example"), undefined);
  });

  test("a broken auth file is an error, not anonymous access", async () => {
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ not json");
    await assertRejectsWithCode(() => createCredentialStore({ authFiles: [broken] }).get("r.example"), "IO_ERROR");
    const wrongShape = writeJson("shape.json", { auths: [] });
    await assertRejectsWithCode(() => createCredentialStore({ authFiles: [wrongShape] }).get("r.example"), "IO_ERROR");
    const big = join(dir, "big.json");
    writeFileSync(big, `{"auths":{},"x":"${"a".repeat(2 * 1024 * 1024)}"}`);
    await assertRejectsWithCode(() => createCredentialStore({ authFiles: [big] }).get("r.example"), "IO_ERROR");
    if (process.getuid?.() !== 0) {
      const unreadable = writeJson("unreadable.json", { auths: {} });
      chmodSync(unreadable, 0);
      await assertRejectsWithCode(() => createCredentialStore({ authFiles: [unreadable] }).get("r.example"), "IO_ERROR");
    }
  });

  test("key normalisation", () => {
    assert.equal(normalizeAuthKey("https://index.docker.io/v1/"), "index.docker.io");
    assert.equal(normalizeAuthKey("http://Registry.Example.com:5000"), "registry.example.com:5000");
    assert.equal(normalizeAuthKey("Registry.Example.com/Team/"), "registry.example.com/Team");
    assert.equal(normalizeAuthKey("host"), "host");
  });
});
