// cosign's encrypted private key format: upstream vectors, the exact layout cosign writes, round trips for every
// algorithm in both forms, and mutations that must be refused (KDF parameters before any scrypt work).
import assert from "node:assert/strict";
import { randomBytes, scryptSync } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { describe, test } from "node:test";
import nacl from "tweetnacl";
import {
  COSIGN_ENCRYPTED_LABEL,
  KEY_ALGORITHMS,
  SIGSTORE_ENCRYPTED_LABEL,
  decryptPrivateKey,
  encryptPrivateKey,
  generateSigningKey,
  parsePrivateKeyPem,
  parsePublicKeyPem,
  publicKeysEqual,
  scryptDeriveKey,
  signWithKey,
  verifyWithKey,
  type DeriveKey,
  type SigningKey,
} from "../../../src/keys/index.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { VECTORS } from "../../helpers/peers.js";

/**
 * Passwords of the encrypted keys in the vectors (MANIFEST §9). The two image-rs keys have no password recorded
 * upstream; they turn out to be encrypted with the empty password, and cosign2.key matches cosign2.pub.
 */
const KNOWN_PASSWORDS: Readonly<Record<string, string>> = {
  "sigstore__sigstore-rs/tests/data/keys/ecdsa_encrypted_private.key": "123",
  "sigstore__sigstore-rs/tests/data/keys/ed25519_encrypted_private.key": "123",
  "sigstore__sigstore-rs/tests/data/keys/rsa_encrypted_private.key": "123",
  "sigstore__sigstore-rs/tests/data/keys/cosign_generated_encrypted_empty_private.key": "",
  "confidential-containers__guest-components/image-rs/test_data/signature/cosign/cosign.key": "",
  "confidential-containers__guest-components/image-rs/test_data/signature/cosign/cosign2.key": "",
};

function walk(dir: string, found: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stats = statSync(path);
    if (stats.isDirectory()) walk(path, found);
    else if (stats.size < 1024 * 1024) found.push(path);
  }
  return found;
}

const ENCRYPTED_BEGIN = /-----BEGIN ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----/;

function encryptedVectorKeys(): string[] {
  return walk(VECTORS).filter((path) => ENCRYPTED_BEGIN.test(readFileSync(path, "latin1")));
}

/** A DeriveKey that records its calls and then does the real work. */
function spyDeriveKey(): { deriveKey: DeriveKey; calls: number } {
  const spy = {
    calls: 0,
    deriveKey: ((password, salt, params) => {
      spy.calls += 1;
      return scryptDeriveKey(password, salt, params);
    }) as DeriveKey,
  };
  return spy;
}

/** The JSON body of an encrypted key, loosely typed so that tests can break it. */
interface EnvelopeJson {
  kdf: { name?: unknown; params?: { N?: unknown; r?: unknown; p?: unknown }; salt?: unknown };
  cipher?: { name?: unknown; nonce?: unknown };
  ciphertext?: unknown;
}

function pemBody(pem: string): EnvelopeJson {
  const base64 = pem.split("\n").filter((line) => line !== "" && !line.startsWith("-----")).join("");
  return JSON.parse(Buffer.from(base64, "base64").toString("utf8")) as EnvelopeJson;
}

function toPem(label: string, body: unknown): string {
  const base64 = Buffer.from(typeof body === "string" ? body : JSON.stringify(body)).toString("base64");
  return `-----BEGIN ${label}-----\n${base64.replace(/(.{64})/g, "$1\n")}\n-----END ${label}-----\n`;
}

/** The JSON with every base64 value replaced by its decoded length, to compare layouts. */
function layoutOf(pem: string): string {
  const base64 = pem.split("\n").filter((line) => line !== "" && !line.startsWith("-----")).join("");
  const json = Buffer.from(base64, "base64").toString("utf8");
  return json.replace(/"(salt|nonce|ciphertext)":"([A-Za-z0-9+/=]*)"/g, (_, name: string, value: string) => `"${name}":<${name === "ciphertext" ? "n" : Buffer.from(value, "base64").length}>`);
}

function assertSignsAndVerifies(key: SigningKey): void {
  const data = Buffer.from("signet key test");
  assert.ok(verifyWithKey(key.publicKey, data, signWithKey(key, data)));
}

describe("cosign encrypted keys from the upstream vectors", () => {
  const vectorsPresent = existsSync(VECTORS);

  test("every known-password vector is found by the walk", { skip: !vectorsPresent && `no vectors at ${VECTORS}` }, () => {
    const found = encryptedVectorKeys().map((path) => relative(VECTORS, path));
    for (const known of Object.keys(KNOWN_PASSWORDS)) assert.ok(found.includes(known), `${known} not found among ${found.join(", ")}`);
  });

  test("each decrypts with its password, signs, and matches the .pub next to it", { skip: !vectorsPresent && `no vectors at ${VECTORS}` }, async () => {
    let matchedPub = 0;
    for (const path of encryptedVectorKeys()) {
      const password = KNOWN_PASSWORDS[relative(VECTORS, path)];
      if (password === undefined) continue;
      const key = await parsePrivateKeyPem(readFileSync(path), Buffer.from(password));
      // sigstore-rs names its keys after their algorithm (ecdsa_…, ed25519_…, rsa_…).
      const named = /^(ecdsa|ed25519|rsa)_/.exec(basename(path))?.[1];
      const expected = named === undefined ? undefined : { ecdsa: "ecdsa-p256", ed25519: "ed25519", rsa: "rsa" }[named];
      if (expected) assert.equal(key.algorithm, expected, path);
      else assert.ok(KEY_ALGORITHMS.includes(key.algorithm));
      assertSignsAndVerifies(key);
      const pubPath = join(dirname(path), `${basename(path, ".key")}.pub`);
      if (existsSync(pubPath)) {
        assert.ok(publicKeysEqual(key.publicKey, parsePublicKeyPem(readFileSync(pubPath))), `${path} does not match ${pubPath}`);
        matchedPub += 1;
      }
    }
    assert.ok(matchedPub >= 1, "no vector key had a .pub to compare with");
  });

  test("a wrong password is KEY_PASSWORD_WRONG for every encrypted key in the vectors", { skip: !vectorsPresent && `no vectors at ${VECTORS}` }, async () => {
    const paths = encryptedVectorKeys();
    assert.ok(paths.length >= Object.keys(KNOWN_PASSWORDS).length);
    for (const path of paths) {
      await assertRejectsWithCode(() => parsePrivateKeyPem(readFileSync(path), Buffer.from("not the password")), "KEY_PASSWORD_WRONG");
    }
  });

  test("signet writes the same layout as the cosign-generated vector", { skip: !vectorsPresent && `no vectors at ${VECTORS}` }, async () => {
    const cosignMade = readFileSync(join(VECTORS, "sigstore__sigstore-rs/tests/data/keys/cosign_generated_encrypted_empty_private.key"), "utf8");
    const key = await parsePrivateKeyPem(cosignMade, "");
    const signetMade = await encryptPrivateKey(key, Buffer.alloc(0));
    assert.equal(layoutOf(signetMade), layoutOf(cosignMade));
    assert.equal(signetMade.split("\n")[0], cosignMade.split("\n")[0]);
    // Same PEM line layout (64 columns), so the files have the same length for a P-256 key.
    assert.equal(signetMade.length, cosignMade.length);
  });
});

describe("encryptPrivateKey output", () => {
  test("default: ENCRYPTED SIGSTORE PRIVATE KEY, scrypt N=2^16 r=8 p=1, 32-byte salt, 24-byte nonce, Go's field order", async () => {
    const key = generateSigningKey();
    const pem = await encryptPrivateKey(key, Buffer.from("pw"));
    const lines = pem.split("\n");
    assert.equal(lines[0], `-----BEGIN ${SIGSTORE_ENCRYPTED_LABEL}-----`);
    assert.equal(lines.at(-2), `-----END ${SIGSTORE_ENCRYPTED_LABEL}-----`);
    assert.equal(lines.at(-1), "");
    for (const line of lines.slice(1, -3)) assert.equal(line.length, 64);
    const json = Buffer.from(lines.slice(1, -2).join(""), "base64").toString("utf8");
    assert.match(
      json,
      /^\{"kdf":\{"name":"scrypt","params":\{"N":65536,"r":8,"p":1\},"salt":"[A-Za-z0-9+/]{43}="\},"cipher":\{"name":"nacl\/secretbox","nonce":"[A-Za-z0-9+/]{32}"\},"ciphertext":"[A-Za-z0-9+/]+={0,2}"\}$/,
    );
  });

  test("legacy: ENCRYPTED COSIGN PRIVATE KEY with N=2^15", async () => {
    const pem = await encryptPrivateKey(generateSigningKey(), Buffer.from("pw"), { legacy: true });
    assert.ok(pem.startsWith(`-----BEGIN ${COSIGN_ENCRYPTED_LABEL}-----\n`));
    assert.deepEqual(pemBody(pem).kdf.params, { N: 32768, r: 8, p: 1 });
  });

  test("two encryptions of one key use fresh salt and nonce", async () => {
    const key = generateSigningKey();
    const [a, b] = [pemBody(await encryptPrivateKey(key, "pw", { legacy: true })), pemBody(await encryptPrivateKey(key, "pw", { legacy: true }))];
    assert.notEqual(a.kdf.salt, b.kdf.salt);
    assert.notEqual(a.cipher?.nonce, b.cipher?.nonce);
  });
});

describe("round trips", { concurrency: true }, () => {
  for (const algorithm of KEY_ALGORITHMS) {
    for (const legacy of [false, true]) {
      test(`${algorithm}, ${legacy ? "legacy" : "new"} form`, async () => {
        const key = generateSigningKey(algorithm, { rsaModulusBits: 2048 });
        const password = Buffer.from("correct horse ✓");
        const pem = await encryptPrivateKey(key, password, { legacy });
        const back = await decryptPrivateKey(pem, password);
        assert.equal(back.algorithm, algorithm);
        assert.ok(publicKeysEqual(back.publicKey, key.publicKey));
        assertSignsAndVerifies(back);
        const data = Buffer.from("made by the original key");
        assert.ok(verifyWithKey(back.publicKey, data, signWithKey(key, data)));
      });
    }
  }

  test("the empty password is a password", async () => {
    const key = generateSigningKey("ed25519");
    const pem = await encryptPrivateKey(key, "", { legacy: true });
    assert.ok(publicKeysEqual((await decryptPrivateKey(pem, Buffer.alloc(0))).publicKey, key.publicKey));
    await assertRejectsWithCode(() => decryptPrivateKey(pem, " "), "KEY_PASSWORD_WRONG");
  });

  test("N=2^17 (the OWASP level go-securesystemslib accepts) decrypts", async () => {
    const key = generateSigningKey();
    const salt = randomBytes(32);
    const nonce = randomBytes(24);
    const secret = scryptSync("pw", salt, 32, { N: 2 ** 17, r: 8, p: 1, maxmem: 512 * 1024 * 1024 });
    const ciphertext = nacl.secretbox(key.privateKey.export({ type: "pkcs8", format: "der" }), nonce, secret);
    const body = {
      kdf: { name: "scrypt", params: { N: 2 ** 17, r: 8, p: 1 }, salt: salt.toString("base64") },
      cipher: { name: "nacl/secretbox", nonce: nonce.toString("base64") },
      ciphertext: Buffer.from(ciphertext).toString("base64"),
    };
    const back = await decryptPrivateKey(toPem(SIGSTORE_ENCRYPTED_LABEL, body), "pw");
    assert.ok(publicKeysEqual(back.publicKey, key.publicKey));
  });
});

describe("refused encrypted keys", () => {
  let template: EnvelopeJson | undefined;
  const validBody = async (): Promise<EnvelopeJson> => {
    template ??= pemBody(await encryptPrivateKey(generateSigningKey(), "pw", { legacy: true }));
    return structuredClone(template);
  };

  const kdfCases: [string, (body: EnvelopeJson) => void][] = [
    ["N = 2^20", (b) => (b.kdf.params!.N = 2 ** 20)],
    ["N = 2^10", (b) => (b.kdf.params!.N = 2 ** 10)],
    ["N = 2^18", (b) => (b.kdf.params!.N = 2 ** 18)],
    ["N = 2^16 + 1", (b) => (b.kdf.params!.N = 2 ** 16 + 1)],
    ["N as a string", (b) => (b.kdf.params!.N = "32768")],
    ["r = 16", (b) => (b.kdf.params!.r = 16)],
    ["p = 2", (b) => (b.kdf.params!.p = 2)],
    ["params missing", (b) => delete b.kdf.params],
    ["kdf pbkdf2", (b) => (b.kdf.name = "pbkdf2")],
    ["kdf name missing", (b) => delete b.kdf.name],
    ["cipher aes-256-gcm", (b) => (b.cipher!.name = "aes-256-gcm")],
  ];
  for (const [name, mutate] of kdfCases) {
    test(`${name}: KEY_KDF_UNSUPPORTED before any scrypt work`, async () => {
      const body = await validBody();
      mutate(body);
      const spy = spyDeriveKey();
      const provider = { calls: 0 };
      await assertRejectsWithCode(
        () =>
          parsePrivateKeyPem(
            toPem(SIGSTORE_ENCRYPTED_LABEL, body),
            async () => {
              provider.calls += 1;
              return Buffer.from("pw");
            },
            { deriveKey: spy.deriveKey },
          ),
        "KEY_KDF_UNSUPPORTED",
      );
      assert.equal(spy.calls, 0, "scrypt ran for a refused key");
      assert.equal(provider.calls, 0, "the password was asked for a refused key");
    });
  }

  const invalidCases: [string, (body: EnvelopeJson) => void][] = [
    ["16-byte salt", (b) => (b.kdf.salt = randomBytes(16).toString("base64"))],
    ["12-byte nonce", (b) => (b.cipher!.nonce = randomBytes(12).toString("base64"))],
    ["salt not base64", (b) => (b.kdf.salt = "not base64!")],
    ["unpadded base64 nonce", (b) => (b.cipher!.nonce = String(b.cipher!.nonce).replace(/=+$/, "").slice(0, 31))],
    ["empty ciphertext", (b) => (b.ciphertext = "")],
    ["ciphertext shorter than the MAC", (b) => (b.ciphertext = randomBytes(16).toString("base64"))],
    ["no cipher section", (b) => delete b.cipher],
    ["ciphertext a number", (b) => (b.ciphertext = 12)],
  ];
  for (const [name, mutate] of invalidCases) {
    test(`${name}: KEY_INVALID before any scrypt work`, async () => {
      const body = await validBody();
      mutate(body);
      const spy = spyDeriveKey();
      await assertRejectsWithCode(() => parsePrivateKeyPem(toPem(COSIGN_ENCRYPTED_LABEL, body), "pw", { deriveKey: spy.deriveKey }), "KEY_INVALID");
      assert.equal(spy.calls, 0);
    });
  }

  test("the body is not JSON: KEY_INVALID", async () => {
    await assertRejectsWithCode(() => parsePrivateKeyPem(toPem(SIGSTORE_ENCRYPTED_LABEL, "{not json"), "pw"), "KEY_INVALID");
  });

  test("a flipped ciphertext byte is caught by the MAC: KEY_PASSWORD_WRONG", async () => {
    const body = await validBody();
    const ciphertext = Buffer.from(String(body.ciphertext), "base64");
    ciphertext[20] = ciphertext[20]! ^ 1;
    body.ciphertext = ciphertext.toString("base64");
    await assertRejectsWithCode(() => parsePrivateKeyPem(toPem(COSIGN_ENCRYPTED_LABEL, body), "pw"), "KEY_PASSWORD_WRONG");
  });

  test("a valid box around something that is not a key: KEY_INVALID", async () => {
    const salt = randomBytes(32);
    const nonce = randomBytes(24);
    const secret = scryptSync("pw", salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const body = {
      kdf: { name: "scrypt", params: { N: 2 ** 15, r: 8, p: 1 }, salt: salt.toString("base64") },
      cipher: { name: "nacl/secretbox", nonce: nonce.toString("base64") },
      ciphertext: Buffer.from(nacl.secretbox(Buffer.from("hello, not a key"), nonce, secret)).toString("base64"),
    };
    await assertRejectsWithCode(() => parsePrivateKeyPem(toPem(COSIGN_ENCRYPTED_LABEL, body), "pw"), "KEY_INVALID");
  });

  test("truncated PEM (no END line): KEY_INVALID", async () => {
    const pem = await encryptPrivateKey(generateSigningKey(), "pw", { legacy: true });
    const lines = pem.split("\n");
    const error = await assertRejectsWithCode(() => parsePrivateKeyPem(lines.slice(0, 4).join("\n"), "pw"), "KEY_INVALID");
    assert.match(error.message, /truncated/);
  });

  test("PEM with body lines missing: KEY_INVALID", async () => {
    const pem = await encryptPrivateKey(generateSigningKey(), "pw", { legacy: true });
    const lines = pem.split("\n");
    const cut = [lines[0], ...lines.slice(3)].join("\n");
    await assertRejectsWithCode(() => parsePrivateKeyPem(cut, "pw"), "KEY_INVALID");
  });

  test("an encrypted key with no password given: KEY_PASSWORD_MISSING", async () => {
    const pem = await encryptPrivateKey(generateSigningKey(), "pw", { legacy: true });
    await assertRejectsWithCode(() => parsePrivateKeyPem(pem), "KEY_PASSWORD_MISSING");
  });

  test("decryptPrivateKey of a plain key: KEY_INVALID", async () => {
    const key = generateSigningKey();
    await assertRejectsWithCode(() => decryptPrivateKey(key.privateKey.export({ type: "pkcs8", format: "pem" }).toString(), "pw"), "KEY_INVALID");
  });
});
