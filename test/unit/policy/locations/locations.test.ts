import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { createLocationReader, parseK8sUri, parseKbsUri } from "../../../../src/policy/locations/index.js";

interface Recorded { url: string; authorization: string | undefined }

async function startServer(handler: (request: IncomingMessage) => { status: number; body: string | Buffer }): Promise<{ server: Server; url: string; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const server = createServer((request, response) => {
    requests.push({ url: request.url ?? "", authorization: request.headers.authorization });
    const { status, body } = handler(request);
    response.writeHead(status, { "content-type": "application/octet-stream" });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe("file locations", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "signet-locations-"));
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "key.pub"), "KEY");
    writeFileSync(join(dir, "big"), Buffer.alloc(2048));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("reads a file, also as a file:// URL", async () => {
    const read = createLocationReader();
    assert.equal((await read(join(dir, "key.pub"))).toString(), "KEY");
    assert.equal((await read(`file://${join(dir, "key.pub")}`)).toString(), "KEY");
  });

  test("missing, directory and too large are POLICY_KEY_UNREADABLE / SIZE_LIMIT_EXCEEDED with the reason", async () => {
    const read = createLocationReader({ maxBytes: 1024 });
    assert.match((await assertRejectsWithCode(() => read(join(dir, "nope")), "POLICY_KEY_UNREADABLE")).message, /does not exist/);
    assert.match((await assertRejectsWithCode(() => read(join(dir, "sub")), "POLICY_KEY_UNREADABLE")).message, /is a directory/);
    assert.match((await assertRejectsWithCode(() => read(join(dir, "big")), "SIZE_LIMIT_EXCEEDED")).message, /larger than 1024 bytes/);
  });
});

describe("kbs:/// locations", () => {
  let kbs: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    kbs = await startServer((request) => {
      if (request.url === "/kbs/v0/resource/default/cosign-key/1") return { status: 200, body: "PUBLIC KEY" };
      if (request.url === "/kbs/v0/resource/default/big/1") return { status: 200, body: Buffer.alloc(4096) };
      if (request.url === "/kbs/v0/resource/default/attested/1") {
        return request.headers.authorization === "Bearer resource-token" ? { status: 200, body: "TOKEN KEY" } : { status: 401, body: "Attestation required" };
      }
      if (request.url === "/kbs/v0/resource/default/sealed/1") {
        return { status: 200, body: JSON.stringify({ protected: "eyJhbGciOiJSU0EtT0FFUCJ9", encrypted_key: "a", iv: "b", ciphertext: "c", tag: "d" }) };
      }
      return { status: 404, body: "not found" };
    });
  });
  after(() => kbs.server.close());

  test("parses repository/type/tag and refuses anything else", async () => {
    assert.deepEqual(parseKbsUri("kbs:///default/cosign-key/1"), { repository: "default", type: "cosign-key", tag: "1" });
    assert.deepEqual(parseKbsUri("kbs://kbs.example:8080/a/b/c"), { repository: "a", type: "b", tag: "c" });
    for (const bad of ["kbs:///a/b", "kbs:///a/b/c/d", "kbs:///a/../c", "kbs:///a/b/", "kbs://", "kbs:///a/b c/d"]) {
      await assertRejectsWithCode(() => parseKbsUri(bad), "POLICY_KEY_UNREADABLE");
    }
  });

  test("GETs <kbs-url>/kbs/v0/resource/<repo>/<type>/<tag> from the configured KBS only", async () => {
    const read = createLocationReader({ kbsUrl: `${kbs.url}/` });
    assert.equal((await read("kbs://ignored.example/default/cosign-key/1")).toString(), "PUBLIC KEY");
    assert.deepEqual(kbs.requests.map((r) => r.url), ["/kbs/v0/resource/default/cosign-key/1"]);
  });

  test("a missing resource, an oversize one, or no KBS URL fail closed with the reason", async () => {
    const read = createLocationReader({ kbsUrl: kbs.url, maxBytes: 1024, env: {} });
    assert.match((await assertRejectsWithCode(() => read("kbs:///default/missing/1"), "POLICY_KEY_UNREADABLE")).message, /answered 404/);
    assert.match((await assertRejectsWithCode(() => read("kbs:///default/big/1"), "POLICY_KEY_UNREADABLE")).message, /1024/);
    const unconfigured = createLocationReader({ env: {} });
    assert.match((await assertRejectsWithCode(() => unconfigured("kbs:///default/cosign-key/1"), "KBS_ATTESTATION_REQUIRED")).message, /no KBS URL or mirror is configured/);
    const fromEnv = createLocationReader({ env: { SIGNET_KBS_URL: kbs.url } });
    assert.equal((await fromEnv("kbs:///default/cosign-key/1")).toString(), "PUBLIC KEY");
  });

  test("a KBS that wants attestation (401), or answers with a resource sealed to the guest's key, is explained; a resource token is sent as a bearer token", async () => {
    const read = createLocationReader({ kbsUrl: kbs.url, env: {} });
    const refused = await assertRejectsWithCode(() => read("kbs:///default/attested/1"), "KBS_ATTESTATION_REQUIRED");
    assert.match(refused.message, /401.*only to an attested guest/);
    assert.match(refused.hint ?? "", /--kbs-mirror DIR/);
    assert.match((await assertRejectsWithCode(() => read("kbs:///default/sealed/1"), "KBS_ATTESTATION_REQUIRED")).message, /encrypted to the attested guest's key/);
    const withToken = createLocationReader({ kbsUrl: kbs.url, kbsResourceToken: "resource-token", env: {} });
    assert.equal((await withToken("kbs:///default/attested/1")).toString(), "TOKEN KEY");
    assert.equal(kbs.requests.at(-1)?.authorization, "Bearer resource-token");
    const wrongToken = createLocationReader({ kbsUrl: kbs.url, kbsResourceToken: "stale", env: {} });
    assert.match((await assertRejectsWithCode(() => wrongToken("kbs:///default/attested/1"), "KBS_ATTESTATION_REQUIRED")).message, /did not accept the resource token/);
  });

  test("a mirror directory is read instead of the KBS (DIR/<repository>/<type>/<tag>), also from SIGNET_KBS_MIRROR", async () => {
    const mirror = mkdtempSync(join(tmpdir(), "signet-kbs-mirror-"));
    try {
      mkdirSync(join(mirror, "default", "cosign-key"), { recursive: true });
      writeFileSync(join(mirror, "default", "cosign-key", "1"), "MIRRORED KEY");
      const before = kbs.requests.length;
      assert.equal((await createLocationReader({ kbsMirror: mirror, kbsUrl: kbs.url, env: {} })("kbs:///default/cosign-key/1")).toString(), "MIRRORED KEY");
      assert.equal((await createLocationReader({ env: { SIGNET_KBS_MIRROR: mirror } })("kbs:///default/cosign-key/1")).toString(), "MIRRORED KEY");
      assert.equal(kbs.requests.length, before, "the KBS is not asked when a mirror is given");
      await assertRejectsWithCode(() => createLocationReader({ kbsMirror: mirror, env: {} })("kbs:///default/cosign-key/2"), "POLICY_KEY_UNREADABLE");
    } finally {
      rmSync(mirror, { recursive: true, force: true });
    }
  });
});

describe("k8s:// locations", () => {
  let api: Awaited<ReturnType<typeof startServer>>;
  let dir: string;
  const secret = (data: Record<string, string>): string => JSON.stringify({ kind: "Secret", metadata: { name: "s" }, data });
  before(async () => {
    api = await startServer((request) => {
      if (request.headers.authorization !== "Bearer test-token") return { status: 401, body: "{}" };
      if (request.url === "/api/v1/namespaces/policy/secrets/one") return { status: 200, body: secret({ "cosign.pub": Buffer.from("ONE").toString("base64") }) };
      if (request.url === "/api/v1/namespaces/policy/secrets/many") {
        return { status: 200, body: secret({ "a.gpg": Buffer.from("A").toString("base64"), "b.gpg": Buffer.from("B").toString("base64") }) };
      }
      return { status: 404, body: "{}" };
    });
    dir = mkdtempSync(join(tmpdir(), "signet-k8s-"));
    const kubeconfig = (server: string, user: string): string =>
      `apiVersion: v1\nkind: Config\ncurrent-context: test\ncontexts:\n- name: test\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {server: "${server}"}\nusers:\n- name: u\n  user: ${user}\n`;
    writeFileSync(join(dir, "kubeconfig"), kubeconfig(api.url, "{token: test-token}"));
    writeFileSync(join(dir, "token-file"), "test-token\n");
    writeFileSync(join(dir, "kubeconfig-tokenfile"), kubeconfig(api.url, "{tokenFile: token-file}"));
    writeFileSync(join(dir, "kubeconfig-exec"), kubeconfig(api.url, "{exec: {command: get-token}}"));
    writeFileSync(join(dir, "kubeconfig-wrong-token"), kubeconfig(api.url, "{token: other}"));
  });
  after(() => {
    api.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("parses namespace/secret[/key] and refuses invalid names", async () => {
    assert.deepEqual(parseK8sUri("k8s://policy/cosign/cosign.pub"), { namespace: "policy", name: "cosign", key: "cosign.pub" });
    assert.deepEqual(parseK8sUri("k8s://policy/cosign"), { namespace: "policy", name: "cosign", key: undefined });
    for (const bad of ["k8s://policy", "k8s://Policy/s", "k8s://p/s/k/extra", "k8s://p/../s", "k8s://p/s/a b"]) await assertRejectsWithCode(() => parseK8sUri(bad), "POLICY_KEY_UNREADABLE");
  });

  test("reads a secret's value through the API with the kubeconfig's token", async () => {
    const read = createLocationReader({ kubeconfig: join(dir, "kubeconfig") });
    assert.equal((await read("k8s://policy/one")).toString(), "ONE", "the only key");
    assert.equal((await read("k8s://policy/many/b.gpg")).toString(), "B");
    assert.equal((await createLocationReader({ kubeconfig: join(dir, "kubeconfig-tokenfile") })("k8s://policy/one/cosign.pub")).toString(), "ONE");
    assert.ok(api.requests.every((r) => r.authorization === "Bearer test-token"));
  });

  test("ambiguity, missing keys, denied access and unsupported setups fail closed", async () => {
    const read = createLocationReader({ kubeconfig: join(dir, "kubeconfig") });
    assert.match((await assertRejectsWithCode(() => read("k8s://policy/many"), "POLICY_KEY_UNREADABLE")).message, /holds 2 keys \(a.gpg, b.gpg\); name one/);
    assert.match((await assertRejectsWithCode(() => read("k8s://policy/many/c.gpg"), "POLICY_KEY_UNREADABLE")).message, /has no c\.gpg \(it has a\.gpg, b\.gpg\)/);
    assert.match((await assertRejectsWithCode(() => read("k8s://policy/absent"), "POLICY_KEY_UNREADABLE")).message, /answered 404/);
    const wrong = createLocationReader({ kubeconfig: join(dir, "kubeconfig-wrong-token") });
    assert.match((await assertRejectsWithCode(() => wrong("k8s://policy/one"), "POLICY_KEY_UNREADABLE")).message, /answered 401/);
    const exec = createLocationReader({ kubeconfig: join(dir, "kubeconfig-exec") });
    assert.match((await assertRejectsWithCode(() => exec("k8s://policy/one"), "POLICY_KEY_UNREADABLE")).message, /exec plugins/);
    const noCluster = createLocationReader({ env: {} });
    assert.match((await assertRejectsWithCode(() => noCluster("k8s://policy/one"), "POLICY_KEY_UNREADABLE")).message, /KUBERNETES_SERVICE_HOST is not set/);
  });
});
