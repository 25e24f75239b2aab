// Plain PEM keys (private and public), certificates as public keys, and everything that is not a key.
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { describe, test } from "node:test";
import {
  KEY_ALGORITHMS,
  generateSigningKey,
  isEncryptedPrivateKeyPem,
  keyAlgorithmOf,
  parsePrivateKeyPem,
  parsePublicKeyPem,
  privateKeyToPem,
  publicKeyToPem,
  publicKeysEqual,
  signWithKey,
  verifyWithKey,
  type KeyAlgorithm,
} from "../../../src/keys/index.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { VECTORS } from "../../helpers/peers.js";

const skipVectors = !existsSync(VECTORS) && `no vectors at ${VECTORS}`;

function walk(dir: string, found: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stats = statSync(path);
    if (stats.isDirectory()) walk(path, found);
    else if (stats.size < 1024 * 1024) found.push(path);
  }
  return found;
}

/** Vector files that are one PEM file of this kind (they start with the BEGIN line). */
function vectorFilesStartingWith(pattern: RegExp): string[] {
  return walk(VECTORS).filter((path) => pattern.test(readFileSync(path, "latin1").trimStart()));
}

/** What signet should make of a key, decided by Node's own view of it (an independent oracle). */
function expectedAlgorithm(key: ReturnType<typeof createPublicKey>): KeyAlgorithm | undefined {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  if (key.asymmetricKeyType === "rsa") return (details.modulusLength ?? 0) >= 2048 ? "rsa" : undefined;
  const curves: Record<string, KeyAlgorithm> = { prime256v1: "ecdsa-p256", secp384r1: "ecdsa-p384", secp521r1: "ecdsa-p521" };
  return key.asymmetricKeyType === "ec" ? curves[details.namedCurve ?? ""] : undefined;
}

describe("plain private keys", () => {
  for (const algorithm of KEY_ALGORITHMS) {
    const forms: ("pkcs8" | "sec1" | "pkcs1")[] = algorithm === "rsa" ? ["pkcs8", "pkcs1"] : algorithm === "ed25519" || algorithm === "rsa-pss" || algorithm === "sm2" ? ["pkcs8"] : ["pkcs8", "sec1"];
    for (const type of forms) {
      test(`${algorithm} as ${type}`, async () => {
        const key = generateSigningKey(algorithm, { rsaModulusBits: 2048 });
        const pem = key.privateKey.export({ type, format: "pem" }).toString();
        const parsed = await parsePrivateKeyPem(pem);
        assert.equal(parsed.algorithm, algorithm);
        assert.ok(publicKeysEqual(parsed.publicKey, key.publicKey));
        assert.equal(isEncryptedPrivateKeyPem(pem), false);
      });
    }
  }

  test("a password provider is not asked for a plain key", async () => {
    let asked = 0;
    const pem = privateKeyToPem(generateSigningKey());
    await parsePrivateKeyPem(pem, async () => {
      asked += 1;
      return Buffer.from("x");
    });
    assert.equal(asked, 0);
  });

  test("privateKeyToPem writes PKCS#8 `PRIVATE KEY`", async () => {
    const key = generateSigningKey("ed25519");
    const pem = privateKeyToPem(key);
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    assert.ok(publicKeysEqual((await parsePrivateKeyPem(pem)).publicKey, key.publicKey));
  });

  test("text before the PEM block, CRLF line ends and an EC PARAMETERS block first are accepted", async () => {
    const key = generateSigningKey("ecdsa-p384");
    const pem = key.privateKey.export({ type: "sec1", format: "pem" }).toString();
    const parameters = "-----BEGIN EC PARAMETERS-----\nBgUrgQQAIg==\n-----END EC PARAMETERS-----\n";
    const text = `Bag Attributes\n    friendlyName: test\n${parameters}${pem}`.replace(/\n/g, "\r\n");
    assert.ok(publicKeysEqual((await parsePrivateKeyPem(text)).publicKey, key.publicKey));
  });

  test("a PKCS#8 v2 Ed25519 key with a public key that is not its own: KEY_INVALID", async () => {
    const key = generateSigningKey("ed25519");
    const other = generateSigningKey("ed25519");
    const v1 = key.privateKey.export({ type: "pkcs8", format: "der" });
    const otherPublic = other.publicKey.export({ type: "spki", format: "der" }).subarray(-32);
    // RFC 5958 OneAsymmetricKey v2: version 1, then [1] IMPLICIT BIT STRING with the public key.
    const body = Buffer.concat([Buffer.from([0x02, 0x01, 0x01]), v1.subarray(5, 48), Buffer.from([0x81, 0x21, 0x00]), otherPublic]);
    const v2 = Buffer.concat([Buffer.from([0x30, body.length]), body]);
    const pem = `-----BEGIN PRIVATE KEY-----\n${v2.toString("base64")}\n-----END PRIVATE KEY-----\n`;
    await assertRejectsWithCode(() => parsePrivateKeyPem(pem), "KEY_INVALID");
    const ownPublic = key.publicKey.export({ type: "spki", format: "der" }).subarray(-32);
    const good = Buffer.concat([Buffer.from([0x30, body.length]), body.subarray(0, body.length - 32), ownPublic]);
    const parsed = await parsePrivateKeyPem(`-----BEGIN PRIVATE KEY-----\n${good.toString("base64")}\n-----END PRIVATE KEY-----\n`);
    assert.ok(publicKeysEqual(parsed.publicKey, key.publicKey));
  });

  test("every plain private key in the vectors loads (RSA under 2048 bits: KEY_UNSUPPORTED)", { skip: skipVectors }, async () => {
    const paths = vectorFilesStartingWith(/^-----BEGIN (?:EC |RSA )?PRIVATE KEY-----/);
    assert.ok(paths.length >= 3, `only ${paths.length} plain private keys found`);
    const undersized = new Set(["sigstore__sigstore-java/sigstore-java/src/test/resources/dev/sigstore/samples/certificatetransparency/cert-key.pem"]);
    for (const path of paths) {
      if (undersized.has(relative(VECTORS, path))) {
        await assertRejectsWithCode(() => parsePrivateKeyPem(readFileSync(path)), "KEY_UNSUPPORTED");
        continue;
      }
      const key = await parsePrivateKeyPem(readFileSync(path));
      const message = Buffer.from("vector");
      assert.ok(verifyWithKey(key.publicKey, message, signWithKey(key, message)), path);
    }
  });

  test("sigstore-rs' PKCS#8 v2 Ed25519 key (public key included, which OpenSSL 3.0 does not read) loads", { skip: skipVectors }, async () => {
    const key = await parsePrivateKeyPem(readFileSync(join(VECTORS, "sigstore__sigstore-rs/tests/data/keys/ed25519_private.key")));
    assert.equal(key.algorithm, "ed25519");
    // The file carries its public key (base64 "XtgNyVbH…" in the vector); the derived one must be it.
    const carried = Buffer.from("MFECAQEwBQYDK2VwBCIEILZ7IMwQHwlrU+a5l0WnujhvsmQXrWsStjtbAj8n/EiJgSEAXtg9yVbH8JADtC6sn4NBh1CSDWeCv0ABIj4TtoJj9ak=", "base64").subarray(-32);
    assert.deepEqual(key.publicKey.export({ type: "spki", format: "der" }).subarray(-32), carried);
  });
});

describe("public keys", () => {
  /** A conformance case whose key has a point off the curve on purpose. */
  const corrupt = "sigstore__sigstore-conformance/test/assets/bundle-verify/managed-key-wrong-key_fail/key.pub";

  for (const algorithm of KEY_ALGORITHMS) {
    test(`${algorithm}: publicKeyToPem and back`, () => {
      const key = generateSigningKey(algorithm, { rsaModulusBits: 2048 });
      const pem = publicKeyToPem(key.publicKey);
      assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n(?:[A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END PUBLIC KEY-----\n$/);
      assert.ok(publicKeysEqual(parsePublicKeyPem(pem), key.publicKey));
      assert.equal(publicKeyToPem(key.privateKey), pem);
    });
  }

  test("RSA PUBLIC KEY (PKCS#1) is read", () => {
    const key = generateSigningKey("rsa", { rsaModulusBits: 2048 });
    const pem = key.publicKey.export({ type: "pkcs1", format: "pem" }).toString();
    assert.ok(pem.startsWith("-----BEGIN RSA PUBLIC KEY-----"));
    assert.ok(publicKeysEqual(parsePublicKeyPem(pem), key.publicKey));
  });

  test("every PUBLIC KEY file in the vectors parses, except the deliberately corrupt conformance key", { skip: skipVectors }, async () => {
    const paths = vectorFilesStartingWith(/^-----BEGIN (?:RSA )?PUBLIC KEY-----/);
    assert.ok(paths.length >= 10, `only ${paths.length} public keys found`);
    assert.ok(paths.some((path) => relative(VECTORS, path) === corrupt), "the corrupt conformance key is missing");
    for (const path of paths) {
      if (relative(VECTORS, path) === corrupt) {
        await assertRejectsWithCode(() => parsePublicKeyPem(readFileSync(path)), "KEY_INVALID");
        continue;
      }
      const key = parsePublicKeyPem(readFileSync(path));
      assert.equal(keyAlgorithmOf(key), expectedAlgorithm(createPublicKey(readFileSync(path))), path);
    }
  });

  test("publicKeyToPem gives back the vectors' .pub files byte for byte (in cosign's 64-column layout)", { skip: skipVectors }, () => {
    const pubs = walk(VECTORS).filter(
      (path) => path.endsWith(".pub") && relative(VECTORS, path) !== corrupt && readFileSync(path, "latin1").startsWith("-----BEGIN PUBLIC KEY-----"),
    );
    assert.ok(pubs.length >= 5);
    let identical = 0;
    for (const path of pubs) {
      const text = readFileSync(path, "utf8");
      const body = text.split("\n").filter((line) => line !== "" && !line.startsWith("-----")).join("");
      const canonical = `-----BEGIN PUBLIC KEY-----\n${body.match(/.{1,64}/g)!.join("\n")}\n-----END PUBLIC KEY-----\n`;
      const written = publicKeyToPem(parsePublicKeyPem(text));
      assert.equal(written, canonical, path);
      if (written === text) identical += 1;
    }
    // Most are exactly the file (a few upstream copies lost their final newline or use one long line).
    assert.ok(identical >= pubs.length / 2, `${identical} of ${pubs.length} identical`);
  });

  test("a certificate gives its subject public key; every certificate file in the vectors", { skip: skipVectors }, async () => {
    const paths = vectorFilesStartingWith(/^-----BEGIN CERTIFICATE-----/);
    assert.ok(paths.length >= 10, `only ${paths.length} certificates found`);
    for (const path of paths) {
      const certificateKey = new X509Certificate(readFileSync(path)).publicKey;
      if (expectedAlgorithm(certificateKey) === undefined) {
        await assertRejectsWithCode(() => parsePublicKeyPem(readFileSync(path)), "KEY_UNSUPPORTED");
      } else {
        assert.ok(publicKeysEqual(parsePublicKeyPem(readFileSync(path)), certificateKey), path);
      }
    }
  });

  test("a private key given as a public key: KEY_INVALID, pointing at `signet public-key`", async () => {
    const pem = privateKeyToPem(generateSigningKey());
    const error = await assertRejectsWithCode(() => parsePublicKeyPem(pem), "KEY_INVALID");
    assert.match(error.message, /private key/);
    assert.match(error.message, /signet public-key/);
  });

  test("an unsupported public key (secp256k1): KEY_UNSUPPORTED", async () => {
    const pem = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey.export({ type: "spki", format: "pem" }).toString();
    await assertRejectsWithCode(() => parsePublicKeyPem(pem), "KEY_UNSUPPORTED");
  });
});

describe("content that is not a usable key", () => {
  const opensshPrivate = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n";
  const opensshPublic = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host\n";
  const pgpArmored = "-----BEGIN PGP PUBLIC KEY BLOCK-----\nVersion: GnuPG v2\n\nmQENBFq2...notreally\n=ab12\n-----END PGP PUBLIC KEY BLOCK-----\n";
  const cases: [string, string | Buffer, RegExp][] = [
    ["empty file", "", /empty/],
    ["whitespace only", "  \n\n", /empty/],
    ["OpenSSH private key", opensshPrivate, /OpenSSH private key/],
    ["OpenSSH public key", opensshPublic, /OpenSSH public key/],
    ["armored GPG key", pgpArmored, /OpenPGP \(GPG\) public key/],
    ["binary DER", Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01, 0x00, 0xff]), /DER/],
    ["binary OpenPGP key (new packet format)", Buffer.from([0xc6, 0x33, 0x04, 0x5e, 0x10, 0xff, 0xfe]), /OpenPGP/],
    ["JSON", '{"mediaType":"application/vnd.dev.sigstore.bundle+json"}', /JSON/],
    ["cosign key JSON without armor", '{"kdf":{"name":"scrypt"},"cipher":{},"ciphertext":"AA=="}', /without its PEM armor/],
    ["base64 of a PEM file", Buffer.from("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").toString("base64"), /base64-encoded PEM/],
    ["plain text", "hello world\n", /no PEM block/],
    ["certificate signing request", "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", /certificate signing request/],
    ["mismatched END label", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", /ends with/],
    ["truncated (no END)", "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n", /truncated/],
  ];
  for (const [name, content, message] of cases) {
    test(`${name}: KEY_INVALID saying what it is, as private and as public key`, async () => {
      const asPrivate = await assertRejectsWithCode(() => parsePrivateKeyPem(content, "pw"), "KEY_INVALID");
      assert.match(asPrivate.message, message);
      const asPublic = await assertRejectsWithCode(() => parsePublicKeyPem(content), "KEY_INVALID");
      assert.match(asPublic.message, message);
    });
  }

  test("the vectors' binary GPG keyring and armored-looking files are named as OpenPGP", { skip: skipVectors }, async () => {
    const gpg = walk(VECTORS).filter((path) => basename(path).endsWith(".gpg"));
    assert.ok(gpg.length >= 3);
    for (const path of gpg) {
      const error = await assertRejectsWithCode(() => parsePublicKeyPem(readFileSync(path)), "KEY_INVALID");
      assert.match(error.message, /OpenPGP|PGP/, path);
    }
  });

  test("a certificate given as a private key: KEY_INVALID naming the certificate", async () => {
    const certificate = `-----BEGIN CERTIFICATE-----\n${Buffer.from("not parsed").toString("base64")}\n-----END CERTIFICATE-----\n`;
    const error = await assertRejectsWithCode(() => parsePrivateKeyPem(certificate), "KEY_INVALID");
    assert.match(error.message, /certificate/);
  });

  test("a public key given as a private key: KEY_INVALID", async () => {
    const error = await assertRejectsWithCode(() => parsePrivateKeyPem(publicKeyToPem(generateSigningKey().publicKey)), "KEY_INVALID");
    assert.match(error.message, /public key/);
  });

  test("password-protected OpenSSL keys: KEY_UNSUPPORTED with a way out", async () => {
    const key = generateSigningKey();
    const pkcs8 = key.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }).toString();
    const legacy = key.privateKey.export({ type: "sec1", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }).toString();
    for (const pem of [pkcs8, legacy]) {
      const error = await assertRejectsWithCode(() => parsePrivateKeyPem(pem, "pw"), "KEY_UNSUPPORTED");
      assert.match(error.hint, /openssl pkey/);
    }
  });

  test("corrupt base64 in a PEM body: KEY_INVALID", async () => {
    await assertRejectsWithCode(() => parsePrivateKeyPem("-----BEGIN PRIVATE KEY-----\nMIG*not-base64\n-----END PRIVATE KEY-----\n"), "KEY_INVALID");
    await assertRejectsWithCode(() => parsePublicKeyPem("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQ\n-----END PUBLIC KEY-----\n"), "KEY_INVALID");
  });

  test("valid base64 that is no key: KEY_INVALID", async () => {
    await assertRejectsWithCode(() => parsePrivateKeyPem("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"), "KEY_INVALID");
    await assertRejectsWithCode(() => parsePrivateKeyPem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "KEY_INVALID");
  });

  test("input larger than any key file: KEY_INVALID", async () => {
    const huge = "A".repeat(1024 * 1024 + 1);
    await assertRejectsWithCode(() => parsePrivateKeyPem(huge), "KEY_INVALID");
    await assertRejectsWithCode(() => parsePublicKeyPem(huge), "KEY_INVALID");
  });
});
