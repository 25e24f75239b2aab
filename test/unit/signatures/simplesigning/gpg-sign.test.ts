// Signing atomic payloads with OpenPGP keys and verifying the result, across key types, subkeys, passphrases,
// expiry and revocation. Keys are made with OpenPGP.js here; interop with gpg and skopeo is in the integration test.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as openpgp from "openpgp";
import {
  loadGpgPrivateKey,
  parseGpgKeyring,
  parseGpgPrivateKey,
  signAtomicPayload,
  verifyGpgSignature,
} from "../../../../src/signatures/simplesigning/gpg.js";
import { createAtomicPayload, parseAtomicPayload } from "../../../../src/signatures/simplesigning/payload.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const PAYLOAD = createAtomicPayload({
  dockerReference: "registry.example/ns/app:1.0",
  manifestDigest: `sha256:${"c".repeat(64)}`,
  creator: "signet test",
  timestamp: 1700000000,
});

type KeyOptions = Parameters<typeof openpgp.generateKey>[0];

async function generate(options: Partial<KeyOptions> = {}): Promise<{ privateKey: string; publicKey: string }> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: "ecc",
    curve: "nistP256",
    userIDs: [{ name: "signet test", email: "test@example.test" }],
    format: "armored",
    ...options,
  } as KeyOptions & { format: "armored" });
  return { privateKey, publicKey };
}

async function reason(action: () => Promise<unknown>): Promise<unknown> {
  return (await assertRejectsWithCode(action, "SIG_INVALID")).details["reason"];
}

describe("signAtomicPayload + verifyGpgSignature", () => {
  const keyTypes: [string, Partial<KeyOptions>][] = [
    ["ECDSA P-256", { type: "ecc", curve: "nistP256" }],
    ["ECDSA P-384", { type: "ecc", curve: "nistP384" }],
    ["ECDSA P-521", { type: "ecc", curve: "nistP521" }],
    ["EdDSA (legacy Ed25519, as gpg makes)", { type: "ecc", curve: "curve25519Legacy" }],
    ["Ed25519 (RFC 9580 algorithm 27)", { type: "curve25519" }],
    ["RSA 2048", { type: "rsa", rsaBits: 2048 }],
  ];
  for (const [name, options] of keyTypes) {
    test(`${name}: a binary signed message that verifies, reported by the primary key`, async () => {
      const { privateKey, publicKey } = await generate(options);
      const signature = await signAtomicPayload(privateKey, undefined, PAYLOAD);
      assert.ok(Buffer.isBuffer(signature));
      assert.ok((signature[0]! & 0x80) !== 0 && signature.toString("latin1", 0, 5) !== "-----", "binary, not armored");
      const ring = await parseGpgKeyring(Buffer.from(publicKey));
      const verified = await verifyGpgSignature(ring, signature);
      assert.deepEqual(verified.payload, PAYLOAD);
      assert.equal(verified.signerFingerprint, ring.fingerprints[0]);
      assert.deepEqual(parseAtomicPayload(verified.payload).dockerReference, "registry.example/ns/app:1.0");
    });
  }

  test("a key with a signing subkey signs with the subkey; the primary key is reported", async () => {
    const { privateKey, publicKey } = await generate({ subkeys: [{ sign: true }] } as Partial<KeyOptions>);
    const ring = await parseGpgKeyring(Buffer.from(publicKey));
    const verified = await verifyGpgSignature(ring, await signAtomicPayload(privateKey, undefined, PAYLOAD));
    assert.equal(verified.signerFingerprint, ring.fingerprints[0]);
    assert.notEqual(verified.signingKeyFingerprint, verified.signerFingerprint);
    assert.equal(verified.signingKeyFingerprint, ring.keys[0]!.subkeys[0]!.getFingerprint().toUpperCase());
  });

  test("a binary keyring (as gpg --export writes) with several keys verifies each key's signatures", async () => {
    const a = await generate();
    const b = await generate({ type: "ecc", curve: "curve25519Legacy" });
    const binary = Buffer.concat([(await openpgp.readKey({ armoredKey: a.publicKey })).write(), (await openpgp.readKey({ armoredKey: b.publicKey })).write()]);
    const ring = await parseGpgKeyring(binary);
    assert.equal(ring.fingerprints.length, 2);
    for (const [index, key] of [a, b].entries()) {
      assert.equal((await verifyGpgSignature(ring, await signAtomicPayload(key.privateKey, undefined, PAYLOAD))).signerFingerprint, ring.fingerprints[index]);
    }
    // Concatenated armor blocks work too.
    const armored = await parseGpgKeyring(Buffer.from(`${a.publicKey}\n${b.publicKey}`));
    assert.deepEqual(armored.fingerprints, ring.fingerprints);
  });

  test("a signature by another key is refused as unknown-key", async () => {
    const signer = await generate();
    const other = await generate();
    const ring = await parseGpgKeyring(Buffer.from(other.publicKey));
    assert.equal(await reason(async () => verifyGpgSignature(ring, await signAtomicPayload(signer.privateKey, undefined, PAYLOAD))), "unknown-key");
  });

  test("an expired key: accepted while valid, refused once it has expired", async () => {
    const { privateKey, publicKey } = await generate({ keyExpirationTime: 3600 } as Partial<KeyOptions>);
    const signature = await signAtomicPayload(privateKey, undefined, PAYLOAD);
    const ring = await parseGpgKeyring(Buffer.from(publicKey));
    await verifyGpgSignature(ring, signature, { now: new Date(Date.now() + 60_000) });
    assert.equal(await reason(() => verifyGpgSignature(ring, signature, { now: new Date(Date.now() + 2 * 3600_000) })), "key-expired");
  });

  test("a revoked key is refused, also for signatures made before the revocation", async () => {
    const { privateKey } = await generate();
    const signature = await signAtomicPayload(privateKey, undefined, PAYLOAD);
    const { publicKey: revoked } = await openpgp.revokeKey({ key: await openpgp.readPrivateKey({ armoredKey: privateKey }), format: "armored" });
    const ring = await parseGpgKeyring(Buffer.from(revoked));
    assert.equal(await reason(() => verifyGpgSignature(ring, signature)), "key-revoked");
  });

  test("two signatures in one message are refused (containers/image requires exactly one)", async () => {
    const a = await generate();
    const b = await generate();
    const message = await openpgp.createMessage({ binary: PAYLOAD });
    const signingKeys = [await openpgp.readPrivateKey({ armoredKey: a.privateKey }), await openpgp.readPrivateKey({ armoredKey: b.privateKey })];
    const signature = await openpgp.sign({ message, signingKeys, format: "binary" });
    const ring = await parseGpgKeyring(Buffer.from(`${a.publicKey}\n${b.publicKey}`));
    assert.equal(await reason(() => verifyGpgSignature(ring, signature)), "malformed");
  });

  test("an unknown critical notation in the signature is refused, as gpg refuses it", async () => {
    const { privateKey, publicKey } = await generate();
    const message = await openpgp.createMessage({ binary: PAYLOAD });
    const signature = await openpgp.sign({
      message,
      signingKeys: await openpgp.readPrivateKey({ armoredKey: privateKey }),
      signatureNotations: [{ name: "must-understand@example.test", value: new Uint8Array([1]), humanReadable: false, critical: true }],
      format: "binary",
    });
    const ring = await parseGpgKeyring(Buffer.from(publicKey));
    assert.equal(await reason(() => verifyGpgSignature(ring, signature)), "malformed");
  });

  test("an ASCII-armored signed message is accepted, as gpgme accepts it", async () => {
    const { privateKey, publicKey } = await generate();
    const message = await openpgp.createMessage({ binary: PAYLOAD });
    const armored = await openpgp.sign({ message, signingKeys: await openpgp.readPrivateKey({ armoredKey: privateKey }) });
    const verified = await verifyGpgSignature(await parseGpgKeyring(Buffer.from(publicKey)), Buffer.from(armored));
    assert.deepEqual(verified.payload, PAYLOAD);
  });

  test("a canonical-text signature (gpg --textmode) verifies", async () => {
    const { privateKey, publicKey } = await generate();
    const message = await openpgp.createMessage({ text: "line one\nline two\n" });
    const signature = await openpgp.sign({ message, signingKeys: await openpgp.readPrivateKey({ armoredKey: privateKey }), format: "binary" });
    const verified = await verifyGpgSignature(await parseGpgKeyring(Buffer.from(publicKey)), signature);
    assert.match(verified.payload.toString("utf8"), /^line one\r?\nline two\r?\n$/);
  });

  test("a detached signature is not a signed message", async () => {
    const { privateKey, publicKey } = await generate();
    const message = await openpgp.createMessage({ binary: PAYLOAD });
    const detached = await openpgp.sign({ message, signingKeys: await openpgp.readPrivateKey({ armoredKey: privateKey }), detached: true, format: "binary" });
    assert.equal(await reason(async () => verifyGpgSignature(await parseGpgKeyring(Buffer.from(publicKey)), detached)), "malformed");
  });
});

describe("GPG private keys", () => {
  let dir: string;
  let encrypted: { privateKey: string; publicKey: string };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "signet-gpg-key-"));
    encrypted = await generate({ passphrase: "correct horse" } as Partial<KeyOptions>);
    writeFileSync(join(dir, "key.asc"), encrypted.privateKey);
    const binary = (await openpgp.readPrivateKey({ armoredKey: encrypted.privateKey })).write();
    writeFileSync(join(dir, "key.gpg"), binary);
    writeFileSync(join(dir, "pass"), "correct horse\n");
    writeFileSync(join(dir, "wrong-pass"), "incorrect horse");
    writeFileSync(join(dir, "garbage.gpg"), "this is not a key");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("loadGpgPrivateKey reads armored and binary keys with the passphrase file's first line; the key signs many payloads", async () => {
    const ring = await parseGpgKeyring(Buffer.from(encrypted.publicKey));
    for (const file of ["key.asc", "key.gpg"]) {
      const key = await loadGpgPrivateKey(join(dir, file), join(dir, "pass"));
      assert.equal(key.fingerprint, ring.fingerprints[0]);
      for (let i = 0; i < 2; i++) {
        assert.equal((await verifyGpgSignature(ring, await signAtomicPayload(key, undefined, PAYLOAD))).signerFingerprint, key.fingerprint);
      }
    }
  });

  test("signAtomicPayload takes the key bytes and the passphrase directly", async () => {
    const ring = await parseGpgKeyring(Buffer.from(encrypted.publicKey));
    const signature = await signAtomicPayload(Buffer.from(encrypted.privateKey), "correct horse", PAYLOAD);
    assert.equal((await verifyGpgSignature(ring, signature)).signerFingerprint, ring.fingerprints[0]);
  });

  test("passphrase missing, wrong, key file missing or not a key: each has its code", async () => {
    await assertRejectsWithCode(() => loadGpgPrivateKey(join(dir, "key.asc")), "KEY_PASSWORD_MISSING");
    await assertRejectsWithCode(() => loadGpgPrivateKey(join(dir, "key.asc"), join(dir, "wrong-pass")), "KEY_PASSWORD_WRONG");
    await assertRejectsWithCode(() => signAtomicPayload(encrypted.privateKey, "nope", PAYLOAD), "KEY_PASSWORD_WRONG");
    await assertRejectsWithCode(() => loadGpgPrivateKey(join(dir, "missing.gpg")), "KEY_NOT_FOUND");
    await assertRejectsWithCode(() => loadGpgPrivateKey(join(dir, "key.asc"), join(dir, "missing-pass")), "FILE_NOT_FOUND");
    await assertRejectsWithCode(() => loadGpgPrivateKey(join(dir, "garbage.gpg")), "KEY_INVALID");
    await assertRejectsWithCode(() => parseGpgPrivateKey(encrypted.publicKey, undefined), "KEY_INVALID");
  });
});
