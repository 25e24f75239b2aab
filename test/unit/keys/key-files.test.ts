// Key files: loading, writing a pair atomically without clobbering, importing plain PEM keys.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  COSIGN_ENCRYPTED_LABEL,
  SIGSTORE_ENCRYPTED_LABEL,
  generateSigningKey,
  importKeyPair,
  loadPrivateKey,
  loadPublicKey,
  privateKeyToPem,
  publicKeyFromPrivate,
  publicKeyToPem,
  publicKeysEqual,
  scryptDeriveKey,
  writeKeyPair,
  type DeriveKey,
} from "../../../src/keys/index.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { VECTORS } from "../../helpers/peers.js";

const made: string[] = [];
const newDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "signet-keyfiles-"));
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe("writeKeyPair", () => {
  test("writes cosign.key (0600, encrypted) and cosign.pub into a directory; both load back", async () => {
    const dir = newDir();
    const key = generateSigningKey();
    const paths = await writeKeyPair(dir, key, Buffer.from("pw"));
    assert.deepEqual(paths, { privatePath: join(dir, "cosign.key"), publicPath: join(dir, "cosign.pub") });
    assert.equal(statSync(paths.privatePath).mode & 0o777, 0o600);
    assert.ok(readFileSync(paths.privatePath, "utf8").startsWith(`-----BEGIN ${SIGSTORE_ENCRYPTED_LABEL}-----\n`));
    assert.equal(readFileSync(paths.publicPath, "utf8"), publicKeyToPem(key.publicKey));
    assert.ok(publicKeysEqual((await loadPrivateKey(paths.privatePath, "pw")).publicKey, key.publicKey));
    assert.ok(publicKeysEqual(await loadPublicKey(paths.publicPath), key.publicKey));
    assert.deepEqual(readdirSync(dir).sort(), ["cosign.key", "cosign.pub"], "temporary files left behind");
  });

  test("legacy form and explicit paths", async () => {
    const dir = newDir();
    const paths = { privatePath: join(dir, "old.key"), publicPath: join(dir, "old.pub") };
    await writeKeyPair(paths, generateSigningKey("ed25519"), "pw", { legacy: true });
    assert.ok(readFileSync(paths.privatePath, "utf8").startsWith(`-----BEGIN ${COSIGN_ENCRYPTED_LABEL}-----\n`));
  });

  test("an existing file is KEY_EXISTS before any work: no password asked, no scrypt, nothing changed", async () => {
    for (const existing of ["cosign.key", "cosign.pub"]) {
      const dir = newDir();
      writeFileSync(join(dir, existing), "keep me");
      let scrypts = 0;
      let asked = 0;
      const deriveKey: DeriveKey = (...args) => {
        scrypts += 1;
        return scryptDeriveKey(...args);
      };
      const password = async (): Promise<Buffer> => {
        asked += 1;
        return Buffer.from("pw");
      };
      await assertRejectsWithCode(() => writeKeyPair(dir, generateSigningKey(), password, { deriveKey }), "KEY_EXISTS");
      assert.equal(scrypts, 0);
      assert.equal(asked, 0);
      assert.deepEqual(readdirSync(dir), [existing]);
      assert.equal(readFileSync(join(dir, existing), "utf8"), "keep me");
    }
  });

  test("force replaces an existing pair", async () => {
    const dir = newDir();
    await writeKeyPair(dir, generateSigningKey(), "pw");
    const second = generateSigningKey();
    await writeKeyPair(dir, second, "pw2", { force: true });
    assert.ok(publicKeysEqual((await loadPrivateKey(join(dir, "cosign.key"), "pw2")).publicKey, second.publicKey));
    assert.equal(statSync(join(dir, "cosign.key")).mode & 0o777, 0o600);
  });

  test("a file that appears while encrypting is not overwritten, and no half pair is left", async () => {
    const dir = newDir();
    // The public key file shows up after the check (here: during key derivation).
    const deriveKey: DeriveKey = async (...args) => {
      writeFileSync(join(dir, "cosign.pub"), "someone else's");
      return scryptDeriveKey(...args);
    };
    await assertRejectsWithCode(() => writeKeyPair(dir, generateSigningKey(), "pw", { deriveKey }), "KEY_EXISTS");
    assert.deepEqual(readdirSync(dir), ["cosign.pub"], "the private key (or a temporary file) was left behind");
    assert.equal(readFileSync(join(dir, "cosign.pub"), "utf8"), "someone else's");
  });

  test("same path for both, or a missing directory, is refused", async () => {
    const dir = newDir();
    const path = join(dir, "k");
    await assertRejectsWithCode(() => writeKeyPair({ privatePath: path, publicPath: path }, generateSigningKey(), "pw"), "USAGE");
    await assertRejectsWithCode(() => writeKeyPair(join(dir, "nope"), generateSigningKey(), "pw"), "FILE_NOT_FOUND");
  });
});

describe("loadPrivateKey / loadPublicKey / publicKeyFromPrivate", () => {
  test("missing files: KEY_NOT_FOUND", async () => {
    const dir = newDir();
    await assertRejectsWithCode(() => loadPrivateKey(join(dir, "absent.key"), "pw"), "KEY_NOT_FOUND");
    await assertRejectsWithCode(() => loadPublicKey(join(dir, "absent.pub")), "KEY_NOT_FOUND");
    await assertRejectsWithCode(() => loadPublicKey(join(dir, "no-dir", "absent.pub")), "KEY_NOT_FOUND");
  });

  test("a directory or an oversized file: KEY_INVALID", async () => {
    const dir = newDir();
    await assertRejectsWithCode(() => loadPublicKey(dir), "KEY_INVALID");
    const big = join(dir, "big.pub");
    writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 0x41));
    await assertRejectsWithCode(() => loadPublicKey(big), "KEY_INVALID");
  });

  test("errors name the file", async () => {
    const dir = newDir();
    await writeKeyPair(dir, generateSigningKey(), "pw", { legacy: true });
    const error = await assertRejectsWithCode(() => loadPrivateKey(join(dir, "cosign.key"), "wrong"), "KEY_PASSWORD_WRONG");
    assert.ok(error.message.includes(join(dir, "cosign.key")));
    assert.equal(error.details["path"], join(dir, "cosign.key"));
  });

  test("a plain PEM key loads without asking for a password", async () => {
    const dir = newDir();
    const key = generateSigningKey("ecdsa-p521");
    writeFileSync(join(dir, "plain.pem"), privateKeyToPem(key));
    const loaded = await loadPrivateKey(join(dir, "plain.pem"), async () => assert.fail("asked for a password"));
    assert.ok(publicKeysEqual(loaded.publicKey, key.publicKey));
  });

  test("password sources as options (what the CLI passes)", async () => {
    const dir = newDir();
    const key = generateSigningKey();
    await writeKeyPair(dir, key, "from-env", { legacy: true });
    const loaded = await loadPrivateKey(join(dir, "cosign.key"), { env: { COSIGN_PASSWORD: "from-env" }, prompt: false });
    assert.ok(publicKeysEqual(loaded.publicKey, key.publicKey));
  });

  test("publicKeyFromPrivate gives the public half", async () => {
    const dir = newDir();
    const key = generateSigningKey("ed25519");
    await writeKeyPair(dir, key, "pw", { legacy: true });
    assert.equal(publicKeyToPem(await publicKeyFromPrivate(join(dir, "cosign.key"), "pw")), readFileSync(join(dir, "cosign.pub"), "utf8"));
  });
});

describe("importKeyPair", () => {
  test("the plain keys in the sigstore-rs vectors (PKCS#8 EC, PKCS#8 v2 Ed25519, PKCS#1 RSA)", { skip: !existsSync(VECTORS) && `no vectors at ${VECTORS}` }, async () => {
    const dir = newDir();
    for (const name of ["ecdsa_private.key", "ed25519_private.key", "rsa_private.key"]) {
      const source = join(VECTORS, "sigstore__sigstore-rs/tests/data/keys", name);
      const prefix = join(dir, `import-${name}`);
      const imported = await importKeyPair(source, "pw", prefix, { legacy: true });
      assert.deepEqual([imported.privatePath, imported.publicPath], [`${prefix}.key`, `${prefix}.pub`]);
      const reloaded = await loadPrivateKey(imported.privatePath, "pw");
      assert.ok(publicKeysEqual(reloaded.publicKey, imported.key.publicKey));
      assert.ok(publicKeysEqual(await loadPublicKey(imported.publicPath), reloaded.publicKey));
    }
  });

  test("default prefix is import-cosign; SEC1 input; existing output is KEY_EXISTS", async () => {
    const dir = newDir();
    const key = generateSigningKey("ecdsa-p384");
    const source = join(dir, "ec.pem");
    writeFileSync(source, key.privateKey.export({ type: "sec1", format: "pem" }));
    const previous = process.cwd();
    process.chdir(dir);
    try {
      const imported = await importKeyPair(source, "pw", undefined, { legacy: true });
      assert.equal(imported.privatePath, "import-cosign.key");
      assert.ok(existsSync(join(dir, "import-cosign.pub")));
      await assertRejectsWithCode(() => importKeyPair(source, "pw"), "KEY_EXISTS");
    } finally {
      process.chdir(previous);
    }
  });

  test("an encrypted key, a public key or a missing file is refused", async () => {
    const dir = newDir();
    await writeKeyPair(dir, generateSigningKey(), "pw", { legacy: true });
    mkdirSync(join(dir, "out"));
    await assertRejectsWithCode(() => importKeyPair(join(dir, "cosign.key"), "pw", join(dir, "out", "x")), "KEY_INVALID");
    await assertRejectsWithCode(() => importKeyPair(join(dir, "cosign.pub"), "pw", join(dir, "out", "x")), "KEY_INVALID");
    await assertRejectsWithCode(() => importKeyPair(join(dir, "absent.pem"), "pw", join(dir, "out", "x")), "KEY_NOT_FOUND");
    assert.deepEqual(readdirSync(join(dir, "out")), []);
  });
});
