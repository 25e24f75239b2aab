// pkcs11: key references against a real PKCS#11 module (SoftHSM): a token and an EC P-256 key made with
// softhsm2-util and pkcs11-tool, `signet sign --key pkcs11:...` an image in a real registry, `signet public-key
// --key pkcs11:...` exports the public key, and the real cosign verifies the signature with it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadPublicKey, loadSigner } from "../../src/keys/key-files.js";
import { verifyWithKey } from "../../src/keys/sign-verify.js";
import { jsonErrorCodes, runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath, requirePeer } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";

const MODULE = "/usr/lib/softhsm/libsofthsm2.so";
const PIN = "20261203";

describe("pkcs11: keys in SoftHSM (real module, real registry, real cosign)", () => {
  let registry: TestRegistry;
  let dir: string;
  let cosign: string;
  let env: NodeJS.ProcessEnv;
  // A token label with a space and a key label with a semicolon: both must be percent-encoded in the URI.
  const reference = (extra = `pin-value=${PIN}`) => `pkcs11:token=signet%20test;object=release%3Bkey?module-path=${MODULE}&${extra}`;
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });

  before(async () => {
    requirePeer("softhsm2-util");
    requirePeer("pkcs11-tool");
    cosign = cosignPath();
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-pkcs11-"));
    mkdirSync(join(dir, "tokens"));
    writeFileSync(join(dir, "softhsm2.conf"), `directories.tokendir = ${join(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    env = cosignEnv({ SOFTHSM2_CONF: join(dir, "softhsm2.conf"), HOME: dir });
    // SoftHSM reads its configuration from the process environment when first initialised (the in-process tests).
    process.env["SOFTHSM2_CONF"] = join(dir, "softhsm2.conf");
    const run = (file: string, args: string[]) => execFileSync(file, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    run("softhsm2-util", ["--init-token", "--free", "--label", "signet test", "--so-pin", "5555", "--pin", PIN]);
    run("pkcs11-tool", ["--module", MODULE, "--token-label", "signet test", "--login", "--pin", PIN, "--keypairgen", "--key-type", "EC:prime256v1", "--label", "release;key", "--id", "a1"]);
    // A second key, to prove the URI selects the one it names.
    run("pkcs11-tool", ["--module", MODULE, "--token-label", "signet test", "--login", "--pin", PIN, "--keypairgen", "--key-type", "EC:prime256v1", "--label", "other", "--id", "b2"]);
  });
  after(() => {
    registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (env?.["TUF_ROOT"]) rmSync(env["TUF_ROOT"], { recursive: true, force: true });
  });

  test("signet signs an image with the token's key and cosign verifies it with the exported public key", async () => {
    const digest = await pushTestImage(registry.host, "pkcs11/app", "v1", "pkcs11-signed");
    const image = `${registry.host}/pkcs11/app:v1`;
    const exported = await signet(["public-key", "--key", reference(), "--outfile", "token.pub"]);
    assert.equal(exported.status, 0, exported.stderr);
    assert.match(readFileSync(join(dir, "token.pub"), "utf8"), /^-----BEGIN PUBLIC KEY-----\n/);
    const signed = await signet(["sign", "--tlog-upload=false", "--key", reference(), image]);
    assert.equal(signed.status, 0, signed.stderr);
    assert.doesNotMatch(signed.stderr + signed.stdout, new RegExp(PIN), "the PIN is never printed");
    const verified = await runProgram(cosign, ["verify", "--key", "token.pub", "--insecure-ignore-tlog=true", image], { env, cwd: dir });
    assert.equal(verified.status, 0, verified.stderr);
    assert.equal((JSON.parse(verified.stdout) as { critical: { image: { "docker-manifest-digest": string } } }[])[0]!.critical.image["docker-manifest-digest"], digest);
    // signet verifies with the token's public key directly too, and the other key in the token does not verify.
    assert.equal((await signet(["verify", "--insecure-ignore-tlog", "--key", reference(), image])).status, 0);
    const other = await signet(["verify", "--insecure-ignore-tlog", "--key", `pkcs11:token=signet%20test;id=%b2?module-path=${MODULE}&pin-value=${PIN}`, "--output-format", "json", image]);
    assert.notEqual(other.status, 0);
    assert.deepEqual(jsonErrorCodes(other.stdout), ["SIG_INVALID"]);
  });

  test("sign-blob through the token; the public key from pkcs11-tool's own export is the same", async () => {
    writeFileSync(join(dir, "blob.txt"), "signed in the token\n");
    const signed = await signet(["sign-blob", "--tlog-upload=false", "--key", reference(), "--output-signature", "blob.sig", "blob.txt"]);
    assert.equal(signed.status, 0, signed.stderr);
    const verified = await runProgram(cosign, ["verify-blob", "--key", "token.pub", "--signature", "blob.sig", "--insecure-ignore-tlog=true", "blob.txt"], { env, cwd: dir });
    assert.equal(verified.status, 0, verified.stderr);
    execFileSync("pkcs11-tool", ["--module", MODULE, "--token-label", "signet test", "--read-object", "--type", "pubkey", "--id", "a1", "-o", join(dir, "tool.der")], { env, stdio: "ignore" });
    const toolKey = (await import("node:crypto")).createPublicKey({ key: readFileSync(join(dir, "tool.der")), format: "der", type: "spki" });
    assert.ok(toolKey.equals(await loadPublicKey(reference(), { env })));
  });

  test("the PIN from pin-source or COSIGN_PKCS11_PIN, the module from COSIGN_PKCS11_MODULE_PATH", async () => {
    writeFileSync(join(dir, "pin.txt"), `${PIN}\n`);
    const fromFile = await loadSigner(reference(`pin-source=${join(dir, "pin.txt")}`), { env });
    const signature = await fromFile.sign(Buffer.from("x"));
    assert.ok(verifyWithKey(fromFile.publicKey, Buffer.from("x"), signature));
    const fromEnv = await loadSigner("pkcs11:token=signet%20test;object=release%3Bkey", { env: { ...env, COSIGN_PKCS11_MODULE_PATH: MODULE, COSIGN_PKCS11_PIN: PIN } });
    assert.ok(fromEnv.publicKey.equals(fromFile.publicKey));
  });

  test("a wrong PIN, an absent token or key, and a missing module fail with their codes", async () => {
    const wrongPin = await assertRejectsWithCode(() => loadSigner(reference("pin-value=000000"), { env }), "KEY_PASSWORD_WRONG");
    assert.doesNotMatch(wrongPin.message, /000000/);
    await assertRejectsWithCode(() => loadSigner(`pkcs11:token=absent;object=release%3Bkey?module-path=${MODULE}&pin-value=${PIN}`, { env }), "KEY_REF_UNREADABLE");
    await assertRejectsWithCode(() => loadSigner(`pkcs11:token=signet%20test;object=absent?module-path=${MODULE}&pin-value=${PIN}`, { env }), "KEY_REF_UNREADABLE");
    await assertRejectsWithCode(() => loadSigner(`pkcs11:token=signet%20test;object=release%3Bkey?module-path=${join(dir, "absent.so")}&pin-value=${PIN}`, { env }), "KEY_REF_UNREADABLE");
    const cli = await signet(["sign", "--tlog-upload=false", "--key", `pkcs11:token=signet%20test;object=release%3Bkey;colour=red?module-path=${MODULE}`, "--output-format", "json", `${registry.host}/pkcs11/app:v1`]);
    assert.notEqual(cli.status, 0);
    assert.match(cli.stdout + cli.stderr, /KEY_REF_INVALID/);
  });
});
