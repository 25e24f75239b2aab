// k8s:// key references against a local HTTPS server that speaks the Kubernetes REST API for Secrets (there is
// no kube-apiserver package on this machine), reached through a kubeconfig with its CA and a bearer token:
// `signet generate-key-pair k8s://NS/NAME` writes cosign's Secret, `signet sign --key k8s://…` signs with its
// cosign.key and cosign.password, `signet verify --key k8s://…` reads its cosign.pub, and the real cosign
// verifies the signature with the public key file generate-key-pair wrote, and reads the Secret signet wrote.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadPublicKey } from "../../src/keys/key-files.js";
import { publicKeyToPem } from "../../src/keys/public-key.js";
import { jsonErrorCodes, runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath, requirePeer } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { startFakeApiServer, writeTestKubeconfig, type FakeApiServer } from "../unit/webhook/kube/fake-apiserver.js";

const SECRETS = "api/v1/namespaces/signing/secrets";
const PASSWORD = "k8s-secret-password";

describe("k8s:// keys through the Kubernetes API (local HTTPS API server, real registry, real cosign)", () => {
  let api: FakeApiServer;
  let registry: TestRegistry;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let cosign: string;
  const signet = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> => runSignet(args, { env: { ...env, ...extra }, cwd: dir });
  const data = (name: string) => (api.get(SECRETS, name)?.["data"] ?? {}) as Record<string, string>;

  before(async () => {
    requirePeer("openssl");
    cosign = cosignPath();
    dir = mkdtempSync(join(tmpdir(), "signet-k8s-keys-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=fake-apiserver", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "api.key"), "-out", join(dir, "api.crt")], { stdio: "ignore" });
    const cert = readFileSync(join(dir, "api.crt"), "utf8");
    api = await startFakeApiServer({ tls: { cert, key: readFileSync(join(dir, "api.key"), "utf8"), ca: cert } });
    registry = await startRegistry();
    env = cosignEnv({ HOME: dir, KUBECONFIG: api.kubeconfig });
  });
  after(async () => {
    await api?.stop();
    registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (env?.["TUF_ROOT"]) rmSync(env["TUF_ROOT"], { recursive: true, force: true });
  });

  test("generate-key-pair k8s://NS/NAME writes cosign.key, cosign.pub and cosign.password as cosign does, and cosign.pub here", async () => {
    const made = await signet(["generate-key-pair", "k8s://signing/release"], { COSIGN_PASSWORD: PASSWORD });
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stderr, /Successfully created secret release in namespace signing/);
    const secret = data("release");
    assert.deepEqual(Object.keys(secret).sort(), ["cosign.key", "cosign.password", "cosign.pub"]);
    assert.equal(Buffer.from(secret["cosign.password"]!, "base64").toString(), PASSWORD);
    assert.match(Buffer.from(secret["cosign.key"]!, "base64").toString(), /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    assert.equal(Buffer.from(secret["cosign.pub"]!, "base64").toString(), readFileSync(join(dir, "cosign.pub"), "utf8"));
    assert.ok(api.requests.includes("POST /api/v1/namespaces/signing/secrets"));
  });

  test("over an existing Secret it updates the three entries and keeps the others", async () => {
    api.apply(SECRETS, { apiVersion: "v1", kind: "Secret", metadata: { name: "shared", namespace: "signing" }, data: { "other.txt": Buffer.from("keep me").toString("base64"), "cosign.pub": "b2xk" } });
    const made = await signet(["generate-key-pair", "--output-key-prefix", "shared", "k8s://signing/shared"], { COSIGN_PASSWORD: PASSWORD });
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stderr, /Successfully updated secret shared/);
    const secret = data("shared");
    assert.deepEqual(Object.keys(secret).sort(), ["cosign.key", "cosign.password", "cosign.pub", "other.txt"]);
    assert.equal(Buffer.from(secret["other.txt"]!, "base64").toString(), "keep me");
    assert.equal(Buffer.from(secret["cosign.pub"]!, "base64").toString(), readFileSync(join(dir, "shared.pub"), "utf8"));
  });

  test("sign --key k8s:// uses the Secret's key and password; verify --key k8s:// its cosign.pub; cosign agrees", async () => {
    const digest = await pushTestImage(registry.host, "k8s/app", "v1", "k8s-signed");
    const image = `${registry.host}/k8s/app:v1`;
    // No COSIGN_PASSWORD: the password is the Secret's cosign.password, as cosign reads it.
    const signed = await signet(["sign", "--tlog-upload=false", "--key", "k8s://signing/release", image]);
    assert.equal(signed.status, 0, signed.stderr);
    assert.equal((await signet(["verify", "--insecure-ignore-tlog", "--key", "k8s://signing/release", image])).status, 0);
    const wrong = await signet(["verify", "--insecure-ignore-tlog", "--key", "k8s://signing/shared", "--output-format", "json", image]);
    assert.deepEqual(jsonErrorCodes(wrong.stdout), ["SIG_INVALID"]);
    const byCosign = await runProgram(cosign, ["verify", "--key", "cosign.pub", "--insecure-ignore-tlog=true", image], { env, cwd: dir });
    assert.equal(byCosign.status, 0, byCosign.stderr);
    assert.equal((JSON.parse(byCosign.stdout) as { critical: { image: { "docker-manifest-digest": string } } }[])[0]!.critical.image["docker-manifest-digest"], digest);
    // cosign itself reads the Secret signet wrote (client-go, the same kubeconfig).
    const cosignK8s = await runProgram(cosign, ["verify", "--key", "k8s://signing/release", "--insecure-ignore-tlog=true", image], { env, cwd: dir });
    assert.equal(cosignK8s.status, 0, cosignK8s.stderr);
  });

  test("the library reads k8s:// public keys; a missing Secret, a missing entry, a wrong token fail with KEY_REF_UNREADABLE", async () => {
    const key = await loadPublicKey("k8s://signing/release", { env });
    assert.equal(publicKeyToPem(key), readFileSync(join(dir, "cosign.pub"), "utf8"));
    assert.match((await assertRejectsWithCode(() => loadPublicKey("k8s://signing/absent", { env }), "KEY_REF_UNREADABLE")).message, /signing\/absent does not exist/);
    assert.match((await assertRejectsWithCode(() => loadPublicKey("k8s://signing/shared/absent.pub", { env }), "KEY_REF_UNREADABLE")).message, /has no absent\.pub \(it has /);
    const wrongToken = await writeTestKubeconfig(api.url, "not-the-token", readFileSync(join(dir, "api.crt"), "utf8"));
    assert.match((await assertRejectsWithCode(() => loadPublicKey("k8s://signing/release", { env: { KUBECONFIG: wrongToken } }), "KEY_REF_UNREADABLE")).message, /answered 401/);
    const cli = await signet(["verify", "--key", "k8s://signing/absent", "--output-format", "json", `${registry.host}/k8s/app:v1`]);
    assert.deepEqual(jsonErrorCodes(cli.stdout), ["KEY_REF_UNREADABLE"]);
  });
});
