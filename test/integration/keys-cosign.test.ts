// Key files against the real cosign binary: cosign reads the keys signet writes (both forms, every algorithm) and
// signet reads the keys cosign writes; signatures cross both ways.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  KEY_ALGORITHMS,
  generateSigningKey,
  loadPrivateKey,
  loadPublicKey,
  privateKeyToPem,
  publicKeyToPem,
  publicKeysEqual,
  signWithKey,
  verifyWithKey,
  writeKeyPair,
  type KeyAlgorithm,
} from "../../src/keys/index.js";
import { runProgram, type RunResult } from "../helpers/cli.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";

const PASSWORD = "signet-keys-test";

/** The JSON inside a cosign encrypted key with its base64 values replaced by their lengths. */
function layoutOf(pem: string): string {
  const body = pem.split("\n").filter((line) => line !== "" && !line.startsWith("-----")).join("");
  return Buffer.from(body, "base64")
    .toString("utf8")
    .replace(/"(salt|nonce)":"([A-Za-z0-9+/=]*)"/g, (_, name: string, value: string) => `"${name}":<${Buffer.from(value, "base64").length}>`)
    .replace(/"ciphertext":"[A-Za-z0-9+/=]*"/, '"ciphertext":<n>');
}

describe("keys with the real cosign", () => {
  let cosign: string;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const run = (args: string[], password = PASSWORD): Promise<RunResult> =>
    runProgram(cosign, args, { env: { ...env, COSIGN_PASSWORD: password }, cwd: dir });
  const ok = (result: RunResult, what: string): RunResult => {
    assert.equal(result.status, 0, `${what} failed:\n${result.stderr}`);
    return result;
  };

  before(() => {
    cosign = cosignPath(); // throws "install cosign…" when there is none: these tests fail, never skip
    dir = mkdtempSync(join(tmpdir(), "signet-keys-cosign-"));
    env = cosignEnv({ HOME: dir });
    writeFileSync(join(dir, "blob.txt"), "the blob signet and cosign sign\n");
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (env?.["TUF_ROOT"]) rmSync(env["TUF_ROOT"], { recursive: true, force: true });
  });

  for (const password of [PASSWORD, ""]) {
    test(`signet loads a key pair cosign generated (password ${password ? "set" : "empty"})`, async () => {
      const prefix = password ? "cosign-made" : "cosign-made-empty";
      ok(await run(["generate-key-pair", "--output-key-prefix", prefix], password), "cosign generate-key-pair");
      const key = await loadPrivateKey(join(dir, `${prefix}.key`), password);
      assert.equal(key.algorithm, "ecdsa-p256");
      const cosignPub = readFileSync(join(dir, `${prefix}.pub`), "utf8");
      assert.ok(publicKeysEqual(key.publicKey, await loadPublicKey(join(dir, `${prefix}.pub`))));
      assert.equal(publicKeyToPem(key.publicKey), cosignPub, "signet's public key PEM differs from cosign's");
      // signet's own writing of the same key has cosign's layout exactly.
      await writeKeyPair({ privatePath: join(dir, `${prefix}-again.key`), publicPath: join(dir, `${prefix}-again.pub`) }, key, password);
      const cosignKey = readFileSync(join(dir, `${prefix}.key`), "utf8");
      const signetKey = readFileSync(join(dir, `${prefix}-again.key`), "utf8");
      assert.equal(layoutOf(signetKey), layoutOf(cosignKey));
      assert.equal(signetKey.split("\n")[0], cosignKey.split("\n")[0]);
      assert.equal(signetKey.length, cosignKey.length);
      // A cosign signature verifies with signet; a wrong password is refused by signet.
      const signature = ok(await run(["sign-blob", "--key", `${prefix}.key`, "--tlog-upload=false", "--yes", "blob.txt"], password), "cosign sign-blob").stdout.trim();
      assert.ok(verifyWithKey(key.publicKey, readFileSync(join(dir, "blob.txt")), Buffer.from(signature, "base64")));
      await assert.rejects(loadPrivateKey(join(dir, `${prefix}.key`), "wrong"), { code: "KEY_PASSWORD_WRONG" });
    });
  }

  // cosign signs with the algorithms it knows; SM2 and RSA-PSS are signet's (proven with openssl instead:
  // keys-openssl-interop.test.ts).
  for (const algorithm of KEY_ALGORITHMS.filter((candidate) => candidate !== "sm2" && candidate !== "rsa-pss")) {
    for (const legacy of [false, true]) {
      test(`cosign signs with, verifies with and prints the public key of a signet ${algorithm} pair (${legacy ? "legacy" : "new"} form)`, async () => {
        const name = `signet-${algorithm}-${legacy ? "legacy" : "new"}`;
        const key = generateSigningKey(algorithm as KeyAlgorithm, { rsaModulusBits: 2048 });
        await writeKeyPair({ privatePath: join(dir, `${name}.key`), publicPath: join(dir, `${name}.pub`) }, key, PASSWORD, { legacy });
        const blob = readFileSync(join(dir, "blob.txt"));

        const signed = ok(await run(["sign-blob", "--key", `${name}.key`, "--tlog-upload=false", "--yes", "blob.txt"]), "cosign sign-blob");
        writeFileSync(join(dir, `${name}.cosign.sig`), signed.stdout.trim());
        ok(await run(["verify-blob", "--key", `${name}.pub`, "--insecure-ignore-tlog=true", "--signature", `${name}.cosign.sig`, "blob.txt"]), "cosign verify-blob");
        assert.ok(verifyWithKey(key.publicKey, blob, Buffer.from(signed.stdout.trim(), "base64")), "signet does not verify cosign's signature");

        // The other way: cosign verifies what signet signs.
        writeFileSync(join(dir, `${name}.signet.sig`), signWithKey(key, blob).toString("base64"));
        ok(await run(["verify-blob", "--key", `${name}.pub`, "--insecure-ignore-tlog=true", "--signature", `${name}.signet.sig`, "blob.txt"]), "cosign verify-blob of signet's signature");

        const printed = ok(await run(["public-key", "--key", `${name}.key`]), "cosign public-key").stdout;
        assert.equal(printed, readFileSync(join(dir, `${name}.pub`), "utf8"));

        const wrong = await run(["sign-blob", "--key", `${name}.key`, "--tlog-upload=false", "--yes", "blob.txt"], "not-the-password");
        assert.notEqual(wrong.status, 0, "cosign accepted a wrong password");
      });
    }
  }

  for (const algorithm of ["ed25519", "ecdsa-p256", "rsa"] as const) {
    test(`cosign import-key-pair reads a plain PEM ${algorithm} key signet wrote`, async (t) => {
      const key = generateSigningKey(algorithm, { rsaModulusBits: 2048 });
      const pemPath = join(dir, `plain-${algorithm}.pem`);
      writeFileSync(pemPath, privateKeyToPem(key));
      const prefix = `imported-${algorithm}`;
      const imported = await run(["import-key-pair", "--key", pemPath, "--output-key-prefix", prefix]);
      if (imported.status !== 0 && /unsupported public key type/.test(imported.stderr)) {
        // Debian's cosign 2.5.0 build refuses every EC and RSA key in import-key-pair. Show that it is cosign and
        // not signet's file: a key the openssl tool made is refused the same way.
        const reference = join(dir, `reference-${algorithm}.pem`);
        const opensslArgs = algorithm === "rsa" ? ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"] : ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
        const generated = await runProgram("openssl", ["genpkey", ...opensslArgs, "-out", reference]);
        assert.equal(generated.status, 0, generated.stderr);
        const refused = await run(["import-key-pair", "--key", reference, "--output-key-prefix", `reference-${algorithm}`]);
        assert.notEqual(refused.status, 0, `cosign imports a reference ${algorithm} key but not signet's: ${imported.stderr}`);
        t.skip(`this cosign build refuses all ${algorithm} keys in import-key-pair ("unsupported public key type")`);
        return;
      }
      ok(imported, "cosign import-key-pair");
      const loaded = await loadPrivateKey(join(dir, `${prefix}.key`), PASSWORD);
      assert.ok(publicKeysEqual(loaded.publicKey, key.publicKey));
      assert.ok(publicKeysEqual(await loadPublicKey(join(dir, `${prefix}.pub`)), key.publicKey));
    });
  }
});
