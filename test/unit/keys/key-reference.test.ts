import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { describeKeyReference, parseKeyReference } from "../../../src/keys/key-reference.js";
import { loadPrivateKey, loadPublicKey, loadSigner } from "../../../src/keys/key-files.js";
import { parsePkcs11Uri, redactPkcs11Uri } from "../../../src/keys/pkcs11-uri.js";
import { publicKeyToPem } from "../../../src/keys/public-key.js";
import { privateKeyToPem } from "../../../src/keys/private-key.js";
import { generateSigningKey } from "../../../src/keys/signing-key.js";
import { verifyWithKey } from "../../../src/keys/sign-verify.js";
import { encryptPrivateKey } from "../../../src/keys/cosign-encrypted.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";

describe("parseKeyReference: every form", () => {
  test("a path, relative or absolute, and a file:// URL are files", () => {
    assert.deepEqual(parseKeyReference("cosign.pub"), { kind: "file", text: "cosign.pub", path: "cosign.pub" });
    assert.deepEqual(parseKeyReference("/etc/keys/a b.pub"), { kind: "file", text: "/etc/keys/a b.pub", path: "/etc/keys/a b.pub" });
    assert.equal((parseKeyReference("file:///etc/keys/a%20b.pub") as { path: string }).path, "/etc/keys/a b.pub");
    // A colon without // is still a path (cosign reads it so).
    assert.equal(parseKeyReference("keys/v1:key.pub").kind, "file");
  });

  test("env://VAR", () => {
    assert.deepEqual(parseKeyReference("env://COSIGN_KEY"), { kind: "env", text: "env://COSIGN_KEY", variable: "COSIGN_KEY" });
  });

  test("k8s://namespace/secret and k8s://namespace/secret/key", () => {
    assert.deepEqual(parseKeyReference("k8s://signing/cosign"), { kind: "k8s", text: "k8s://signing/cosign", namespace: "signing", name: "cosign", key: undefined });
    assert.deepEqual(parseKeyReference("k8s://signing/cosign/release.pub"), { kind: "k8s", text: "k8s://signing/cosign/release.pub", namespace: "signing", name: "cosign", key: "release.pub" });
  });

  test("KMS URIs of the four providers, and kbs:///", () => {
    for (const [text, scheme] of [
      ["awskms:///alias/signing", "awskms"],
      ["gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k", "gcpkms"],
      ["azurekms://vault.vault.azure.net/key", "azurekms"],
      ["hashivault://transit-key", "hashivault"],
    ] as const) {
      assert.deepEqual(parseKeyReference(text), { kind: "kms", text, scheme });
    }
    assert.deepEqual(parseKeyReference("kbs:///default/key/1"), { kind: "kbs", text: "kbs:///default/key/1" });
  });

  test("pkcs11: with path and query attributes", () => {
    const reference = parseKeyReference("pkcs11:token=signet;object=release?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234");
    assert.equal(reference.kind, "pkcs11");
    const uri = (reference as { uri: ReturnType<typeof parsePkcs11Uri> }).uri;
    assert.equal(uri.token, "signet");
    assert.equal(uri.object, "release");
    assert.equal(uri.modulePath, "/usr/lib/softhsm/libsofthsm2.so");
    assert.equal(uri.pinValue, "1234");
  });
});

describe("parseKeyReference: bad input names the scheme, with a code", () => {
  test("unknown and unsupported schemes are KEY_REF_UNSUPPORTED, never file-not-found", async () => {
    for (const [text, scheme] of [
      ["gitlab://project/KEY", "gitlab"],
      ["https://example.com/cosign.pub", "https"],
      ["vault2://x", "vault2"],
    ] as const) {
      const error = await assertRejectsWithCode(() => parseKeyReference(text), "KEY_REF_UNSUPPORTED");
      assert.match(error.message, new RegExp(`${scheme}://`));
      assert.equal(error.details["scheme"], scheme);
    }
  });

  test("malformed references of known schemes are KEY_REF_INVALID; of KMS schemes, the KMS parser's KMS_REFERENCE_INVALID", async () => {
    for (const text of ["", "env://", "env://1BAD", "env://A-B", "k8s://ns", "k8s://NS/s", "k8s://ns/s/k/extra", "k8s://ns/../s", "pkcs11:object=k", "pkcs11:token=t"]) {
      await assertRejectsWithCode(() => parseKeyReference(text), "KEY_REF_INVALID");
    }
    for (const text of ["awskms://", "gcpkms://projects/p", "azurekms://", "hashivault://"]) {
      const error = await assertRejectsWithCode(() => parseKeyReference(text), "KMS_REFERENCE_INVALID");
      assert.match(error.message, /expected /);
    }
  });
});

describe("parsePkcs11Uri (RFC 7512)", () => {
  test("percent-encoding, id bytes, slot-id, pin-source, case-insensitive names", () => {
    const uri = parsePkcs11Uri("pkcs11:token=My%20Token;object=k%3Bey;id=%01%02%ff;slot-id=7;TYPE=private?pin-source=file:/run/pin&module-path=/opt/lib%20x/p11.so");
    assert.equal(uri.token, "My Token");
    assert.equal(uri.object, "k;ey");
    assert.deepEqual(uri.id, Buffer.from([1, 2, 255]));
    assert.equal(uri.slotId, 7);
    assert.equal(uri.type, "private");
    assert.equal(uri.pinSource, "file:/run/pin");
    assert.equal(uri.modulePath, "/opt/lib x/p11.so");
    // An example of RFC 7512 (section 3.3), with its empty serial=.
    const example = parsePkcs11Uri("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin");
    assert.equal(example.token, "The Software PKCS#11 Softtoken");
    assert.equal(example.manufacturer, "Snake Oil, Inc.");
    assert.equal(example.serial, "");
    assert.deepEqual(example.id, Buffer.from("69953e5cf4bdec91", "hex"));
  });

  test("bad input is KEY_REF_INVALID, saying what is wrong", async () => {
    const cases: [string, RegExp][] = [
      ["pkcs11:token=t;object=k;object=j", /object is given twice/],
      ["pkcs11:token=t;object=k;colour=red", /unknown path attribute "colour"/],
      ["pkcs11:token=t;object=k;pin-value=1", /pin-value belongs in the query/],
      ["pkcs11:token=t;object=k?token=x", /token belongs in the path/],
      ["pkcs11:token=t;object=k%2", /percent-encoded/],
      ["pkcs11:token=t;object=k%zz", /percent-encoded/],
      ["pkcs11:token=t;object=a b", /percent-encoded/],
      ["pkcs11:token=t;object=k;type=secret", /type must be one of/],
      ["pkcs11:token=t;object=k;slot-id=x", /slot-id must be a decimal number/],
      ["pkcs11:token=t;object=k?pin-value=1&pin-source=/f", /not both/],
      ["pkcs11:token=t;object=%ff%fe", /not UTF-8/],
      ["pkcs11:token=t;object", /not NAME=VALUE/],
      ["pkcs11:token=t;object=k?module-path=", /module-path is empty/],
    ];
    for (const [text, message] of cases) {
      const error = await assertRejectsWithCode(() => parsePkcs11Uri(text), "KEY_REF_INVALID");
      assert.match(error.message, message, text);
    }
  });

  test("the PIN never appears in messages", async () => {
    assert.equal(redactPkcs11Uri("pkcs11:token=t;object=k?pin-value=s3cret&module-path=/m.so"), "pkcs11:token=t;object=k?pin-value=REDACTED&module-path=/m.so");
    assert.equal(describeKeyReference("pkcs11:token=t;object=k?pin-value=s3cret"), "pkcs11:token=t;object=k?pin-value=REDACTED");
    const error = await assertRejectsWithCode(() => parsePkcs11Uri("pkcs11:token=t;object=k;bad=1?pin-value=s3cret"), "KEY_REF_INVALID");
    assert.doesNotMatch(error.message, /s3cret/);
  });
});

describe("loading keys by reference", () => {
  const dir = mkdtempSync(join(tmpdir(), "signet-keyref-"));
  const key = generateSigningKey("ecdsa-p256");

  test("env://VAR round trip: an encrypted private key signs, its public key verifies", async () => {
    const encrypted = await encryptPrivateKey(key, "pw");
    const env = { SIGNET_TEST_PRIVATE: encrypted, SIGNET_TEST_PUBLIC: publicKeyToPem(key.publicKey), COSIGN_PASSWORD: "pw" };
    const signer = await loadSigner("env://SIGNET_TEST_PRIVATE", { env, password: "pw" });
    const signature = await signer.sign(Buffer.from("payload"));
    const publicKey = await loadPublicKey("env://SIGNET_TEST_PUBLIC", { env });
    assert.ok(verifyWithKey(publicKey, Buffer.from("payload"), signature));
    const plain = await loadPrivateKey("env://PLAIN", undefined, { env: { PLAIN: privateKeyToPem(key) } });
    assert.ok(plain.publicKey.equals(key.publicKey));
  });

  test("an unset variable is KEY_REF_UNREADABLE naming it", async () => {
    const error = await assertRejectsWithCode(() => loadPublicKey("env://SIGNET_NOT_SET", { env: {} }), "KEY_REF_UNREADABLE");
    assert.match(error.message, /SIGNET_NOT_SET/);
  });

  test("a KMS URI goes to its provider: its failures name the scheme and keep the provider's code, never a missing file", async () => {
    // No VAULT_ADDR, no AWS region: each provider says what it needs, without any network.
    const vault = await assertRejectsWithCode(() => loadPublicKey("hashivault://release", { env: {} }), "USAGE");
    assert.match(vault.message, /hashivault:\/\/release: VAULT_ADDR is not set/);
    const aws = await assertRejectsWithCode(() => loadSigner("awskms:///alias/release", { env: {} }), "USAGE");
    assert.match(aws.message, /awskms:\/\/\/alias\/release: no AWS region/);
    for (const error of [vault, aws]) assert.doesNotMatch(error.message, /does not exist|generate-key-pair/);
    // A KMS key never leaves the KMS: it cannot be loaded as an in-memory private key.
    await assertRejectsWithCode(() => loadPrivateKey("hashivault://k"), "KEY_REF_UNSUPPORTED");
    await assertRejectsWithCode(() => loadPublicKey("awskms://"), "KMS_REFERENCE_INVALID");
  });

  test("kbs:/// is for policies, not --key", async () => {
    await assertRejectsWithCode(() => loadPublicKey("kbs:///default/key/1"), "KEY_REF_UNSUPPORTED");
  });

  test("a pkcs11: key cannot be exported into memory: loadPrivateKey refuses, loadSigner signs through it", async () => {
    await assertRejectsWithCode(() => loadPrivateKey("pkcs11:token=t;object=k?module-path=/nonexistent.so"), "KEY_REF_UNSUPPORTED");
    await assertRejectsWithCode(() => loadSigner("pkcs11:token=t;object=k?module-path=/nonexistent.so&pin-value=1"), "KEY_REF_UNREADABLE");
    await assertRejectsWithCode(() => loadSigner("pkcs11:token=t;object=k", { env: {} }), "KEY_REF_INVALID");
  });

  test("a file path still reads a file (and a missing one is KEY_NOT_FOUND)", async () => {
    const path = join(dir, "rsa.pub");
    writeFileSync(path, generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }));
    assert.equal((await loadPublicKey(path)).asymmetricKeyType, "rsa");
    assert.equal((await loadPublicKey(`file://${path}`)).asymmetricKeyType, "rsa");
    await assertRejectsWithCode(() => loadPublicKey(join(dir, "absent.pub")), "KEY_NOT_FOUND");
  });
});
