// GPG simple-signing vectors from containers/image, image-rs and skopeo (MANIFEST §2.1, §3, §14), verified
// with signet's OpenPGP code and compared with the outcomes upstream (gpgme) gives.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { parseGpgKeyring, verifyGpgSignature, type GpgKeyring, type GpgRejectionReason } from "../../../../src/signatures/simplesigning/gpg.js";
import { parseAtomicPayload } from "../../../../src/signatures/simplesigning/payload.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { VECTORS } from "../../../helpers/peers.js";

const FIXTURES = join(VECTORS, "containers__image", "signature", "fixtures");
const IMAGE_RS = join(VECTORS, "confidential-containers__guest-components", "image-rs", "test_data");
const SKOPEO = join(VECTORS, "containers__skopeo");
const skip = !existsSync(FIXTURES) && `no vectors at ${VECTORS}`;

const MAIN_KEY = "08CD26E446E2E95249B7A405E932F44B23E8DD43";
const SUBKEY_PRIMARY = "B9F4CDB9FD8C475BFA340AC38D54A947EE396F36";
const SUBKEY = "57D1D95BBC53BA0EAFF0718CD75B3109B3BAAEAF";
const MANIFEST_DIGEST = "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55";

type Expected =
  | { accept: { signer: string; signingKey: string; payload: { dockerReference: string; creator?: string; timestamp?: number } | "not-a-payload" } }
  | { reject: GpgRejectionReason };

/** Every *.signature* file of the fixtures, against pubring.gpg (which holds all four test keys). */
const EXPECTATIONS: Record<string, Expected> = {
  "image.signature": { accept: { signer: MAIN_KEY, signingKey: MAIN_KEY, payload: { dockerReference: "testing/manifest", creator: "atomic ", timestamp: 1458239713 } } },
  "no-optional-fields.signature": { accept: { signer: MAIN_KEY, signingKey: MAIN_KEY, payload: { dockerReference: "testing/manifest" } } },
  "invalid-reference.signature": { accept: { signer: MAIN_KEY, signingKey: MAIN_KEY, payload: "not-a-payload" } },
  "invalid-blob.signature": { accept: { signer: MAIN_KEY, signingKey: MAIN_KEY, payload: "not-a-payload" } },
  "invalid-blob.signature-v3": { accept: { signer: MAIN_KEY, signingKey: MAIN_KEY, payload: "not-a-payload" } },
  "subkey.signature": { accept: { signer: SUBKEY_PRIMARY, signingKey: SUBKEY, payload: { dockerReference: "testing/manifest:latest" } } },
  "subkey.signature-v3": { accept: { signer: SUBKEY_PRIMARY, signingKey: SUBKEY, payload: { dockerReference: "testing/manifest:latest" } } },
  "subkey-revoked.signature": { reject: "subkey-revoked" },
  "subkey-revoked.signature-v3": { reject: "subkey-revoked" },
  "expired.signature": { reject: "signature-expired" },
  "corrupt.signature": { reject: "bad-signature" },
  "corrupt.signature-v3": { reject: "bad-signature" },
  "unknown-key.signature": { reject: "unknown-key" },
  "unknown-key.signature-v3": { reject: "unknown-key" },
  "unsigned-literal.signature": { reject: "not-signed" },
  "unsigned-encrypted.signature": { reject: "not-signed" },
  // A cosign signature that happens to sit among the GPG fixtures: not OpenPGP at all.
  "unknown-cosign-key.signature": { reject: "malformed" },
};

async function keyring(path: string): Promise<GpgKeyring> {
  return parseGpgKeyring(readFileSync(path));
}

async function rejectionReason(ring: GpgKeyring, bytes: Uint8Array, now?: Date): Promise<unknown> {
  const error = await assertRejectsWithCode(() => verifyGpgSignature(ring, bytes, now ? { now } : {}), "SIG_INVALID");
  return error.details["reason"];
}

/** The packets inside GnuPG's compressed packet (old format, indeterminate length, ZIP). */
function uncompressed(message: Buffer): Buffer {
  assert.equal(message[0], 0xa3, "an old-format compressed packet of indeterminate length");
  assert.equal(message[1], 1, "ZIP compression");
  return inflateRawSync(message.subarray(2));
}

describe("containers/image GPG fixtures", { skip }, () => {
  let pubring: GpgKeyring;
  before(async () => {
    pubring = await keyring(join(FIXTURES, "pubring.gpg"));
  });

  test("pubring.gpg holds the four test keys", () => {
    assert.deepEqual([...pubring.fingerprints].sort(), [
      "08CD26E446E2E95249B7A405E932F44B23E8DD43",
      "6D88C5A1993648A17B2BB0DC6B8499AF63388D63",
      "B9F4CDB9FD8C475BFA340AC38D54A947EE396F36",
      "F2B501009F78B0B340221A12A3CD242DA6028093",
    ]);
  });

  test("every *.signature file has an expectation (a new fixture must get one)", () => {
    const files = readdirSync(FIXTURES).filter((name) => /\.signature(-v3)?$/.test(name));
    assert.ok(files.length >= 17, `found only ${files.length} signature files`);
    assert.deepEqual(files.filter((name) => !(name in EXPECTATIONS)), [], "signature fixtures without an expectation");
    assert.deepEqual(Object.keys(EXPECTATIONS).filter((name) => !files.includes(name)), [], "expectations for missing fixtures");
  });

  for (const [name, expected] of Object.entries(EXPECTATIONS)) {
    test(`${name}: ${"accept" in expected ? "verifies" : `refused (${expected.reject})`}`, async () => {
      const bytes = readFileSync(join(FIXTURES, name));
      if ("reject" in expected) {
        assert.equal(await rejectionReason(pubring, bytes), expected.reject);
        return;
      }
      const verified = await verifyGpgSignature(pubring, bytes);
      assert.equal(verified.signerFingerprint, expected.accept.signer);
      assert.equal(verified.signingKeyFingerprint, expected.accept.signingKey);
      const payload = expected.accept.payload;
      if (payload === "not-a-payload") {
        await assertRejectsWithCode(() => parseAtomicPayload(verified.payload), "SIG_PAYLOAD_INVALID");
        return;
      }
      assert.deepEqual(parseAtomicPayload(verified.payload), { ...payload, manifestDigest: MANIFEST_DIGEST });
    });
  }

  test("invalid-blob carries exactly its literal text", async () => {
    const verified = await verifyGpgSignature(pubring, readFileSync(join(FIXTURES, "invalid-blob.signature")));
    assert.equal(verified.payload.toString("utf8"), "This is not JSON\n");
  });

  test("public-key.gpg and public-key-1.gpg verify the main key's signature; public-key-2.gpg does not know it", async () => {
    const signature = readFileSync(join(FIXTURES, "image.signature"));
    for (const file of ["public-key.gpg", "public-key-1.gpg"]) {
      assert.equal((await verifyGpgSignature(await keyring(join(FIXTURES, file)), signature)).signerFingerprint, MAIN_KEY);
    }
    assert.equal(await rejectionReason(await keyring(join(FIXTURES, "public-key-2.gpg")), signature), "unknown-key");
  });

  test("a subkey signature is accepted with public-key-with-subkey.gpg and reported by the primary key", async () => {
    const ring = await keyring(join(FIXTURES, "public-key-with-subkey.gpg"));
    assert.deepEqual(ring.fingerprints, [SUBKEY_PRIMARY]);
    for (const name of ["subkey.signature", "subkey.signature-v3", "dir-img-valid-subkey/signature-1"]) {
      const verified = await verifyGpgSignature(ring, readFileSync(join(FIXTURES, name)));
      assert.equal(verified.signerFingerprint, SUBKEY_PRIMARY, name);
      assert.equal(verified.signingKeyFingerprint, SUBKEY, name);
    }
  });

  test("a revoked subkey is refused with public-key-with-revoked-subkey.gpg, whatever the date", async () => {
    const ring = await keyring(join(FIXTURES, "public-key-with-revoked-subkey.gpg"));
    for (const name of ["subkey-revoked.signature", "subkey-revoked.signature-v3"]) {
      assert.equal(await rejectionReason(ring, readFileSync(join(FIXTURES, name))), "subkey-revoked", name);
      assert.equal(await rejectionReason(ring, readFileSync(join(FIXTURES, name)), new Date("2025-07-24T00:00:00Z")), "subkey-revoked", name);
    }
    // Its subkey cannot stand in for the other key's subkey either.
    assert.equal(await rejectionReason(ring, readFileSync(join(FIXTURES, "subkey.signature"))), "unknown-key");
  });

  test("a subkey signature is refused when only the main key is trusted", async () => {
    const ring = await keyring(join(FIXTURES, "public-key.gpg"));
    assert.equal(await rejectionReason(ring, readFileSync(join(FIXTURES, "subkey.signature"))), "unknown-key");
  });

  test("expired.signature is valid before its expiry and refused after it (the time is an option)", async () => {
    const bytes = readFileSync(join(FIXTURES, "expired.signature"));
    const created = 1750712458; // from the packet
    const verified = await verifyGpgSignature(pubring, bytes, { now: new Date((created + 3600) * 1000) });
    assert.equal(verified.payload.toString("utf8"), "This signature is expired.\n");
    assert.equal(await rejectionReason(pubring, bytes, new Date((created + 13 * 3600) * 1000)), "signature-expired");
  });

  test("dir-img-* signatures: the valid ones sign the manifest next to them, the modified manifest does not match", async () => {
    const manifestDigest = (dir: string) => `sha256:${createHash("sha256").update(readFileSync(join(FIXTURES, dir, "manifest.json"))).digest("hex")}`;
    for (const dir of ["dir-img-valid", "dir-img-valid-2"]) {
      for (const name of readdirSync(join(FIXTURES, dir)).filter((n) => n.startsWith("signature-"))) {
        const payload = parseAtomicPayload((await verifyGpgSignature(pubring, readFileSync(join(FIXTURES, dir, name)))).payload);
        assert.equal(payload.manifestDigest, manifestDigest(dir), `${dir}/${name}`);
        assert.equal(payload.dockerReference, "testing/manifest:latest");
      }
    }
    const modified = parseAtomicPayload((await verifyGpgSignature(pubring, readFileSync(join(FIXTURES, "dir-img-modified-manifest", "signature-1")))).payload);
    assert.notEqual(modified.manifestDigest, manifestDigest("dir-img-modified-manifest"));
    // dir-img-mixed: the first signature verifies but is no payload, the second is a good one.
    const mixed1 = await verifyGpgSignature(pubring, readFileSync(join(FIXTURES, "dir-img-mixed", "signature-1")));
    await assertRejectsWithCode(() => parseAtomicPayload(mixed1.payload), "SIG_PAYLOAD_INVALID");
    const mixed2 = await verifyGpgSignature(pubring, readFileSync(join(FIXTURES, "dir-img-mixed", "signature-2")));
    assert.equal(parseAtomicPayload(mixed2.payload).manifestDigest, manifestDigest("dir-img-mixed"));
  });

  test("an uncompressed copy of a signed message verifies too", async () => {
    for (const name of ["image.signature", "subkey.signature-v3"]) {
      const verified = await verifyGpgSignature(pubring, uncompressed(readFileSync(join(FIXTURES, name))));
      assert.ok(verified.payload.length > 0, name);
    }
  });

  test("a forged issuer key ID (short-key-ID collision) names a trusted key but does not verify with it", async () => {
    const unknownKeyId = Buffer.from("5F9470E3BC6C3B55", "hex");
    const trustedKeyId = Buffer.from("E932F44B23E8DD43", "hex");
    for (const name of ["unknown-key.signature", "unknown-key.signature-v3"]) {
      const inner = uncompressed(readFileSync(join(FIXTURES, name)));
      let replaced = 0;
      for (let i = inner.indexOf(unknownKeyId); i !== -1; i = inner.indexOf(unknownKeyId, i + 1)) {
        trustedKeyId.copy(inner, i);
        replaced++;
      }
      assert.ok(replaced >= 2, `${name}: the one-pass packet and the signature both name the key`);
      assert.equal(await rejectionReason(pubring, inner), "bad-signature", name);
    }
  });

  test("a changed payload does not verify", async () => {
    const inner = uncompressed(readFileSync(join(FIXTURES, "image.signature")));
    const at = inner.indexOf(Buffer.from("testing/manifest"));
    inner[at] = "T".charCodeAt(0);
    assert.equal(await rejectionReason(pubring, inner), "bad-signature");
  });

  test("every truncation of a signature is refused as SIG_INVALID, never accepted or crashing", async () => {
    for (const name of ["image.signature", "subkey.signature-v3"]) {
      const whole = readFileSync(join(FIXTURES, name));
      const inner = uncompressed(whole);
      for (const bytes of [whole, inner]) {
        for (let length = 0; length < bytes.length; length++) {
          await assertRejectsWithCode(() => verifyGpgSignature(pubring, bytes.subarray(0, length)), "SIG_INVALID");
        }
      }
    }
  });
  // The cost of a verification is measured by `npm run bench:policy` (one GPG verify per key type), not here:
  // a time limit in a test fails on a busy machine.
});

describe("image-rs (confidential-containers) GPG vectors", { skip: !existsSync(IMAGE_RS) && `no vectors at ${IMAGE_RS}` }, () => {
  let extracted: string;
  before(() => {
    extracted = mkdtempSync(join(tmpdir(), "signet-image-rs-"));
    execFileSync("tar", ["-xf", join(IMAGE_RS, "simple-signing-scheme", "signatures.tar"), "-C", extracted]);
  });
  after(() => rmSync(extracted, { recursive: true, force: true }));

  test("pubring.gpg + signatures/signature-1: a real atomic signature (SHA-1, as gpg accepts) with the payload upstream expects", async () => {
    const ring = await keyring(join(IMAGE_RS, "signature", "pubring.gpg"));
    assert.equal(ring.fingerprints.length, 3);
    for (const name of ["signature-1", "signature-2"]) {
      const verified = await verifyGpgSignature(ring, readFileSync(join(IMAGE_RS, "signature", "signatures", name)));
      assert.equal(verified.signerFingerprint, "2183156095E072685518F8A97EFD4C926F9311E2");
      assert.equal(
        verified.payload.toString("utf8"),
        '{"critical":{"identity":{"docker-reference":"quay.io/ali_os_security/alpine:latest"},"image":{"docker-manifest-digest":"sha256:69704ef328d05a9f806b6b8502915e6a0a4faa4d72018dc42343f511490daf8a"},"type":"atomic container signature"},"optional":{"creator":"atomic 2.0.0","timestamp":1634533638}}',
      );
      assert.deepEqual(parseAtomicPayload(verified.payload), {
        dockerReference: "quay.io/ali_os_security/alpine:latest",
        manifestDigest: "sha256:69704ef328d05a9f806b6b8502915e6a0a4faa4d72018dc42343f511490daf8a",
        creator: "atomic 2.0.0",
        timestamp: 1634533638,
      });
    }
  });

  test("simple-signing-scheme: the signature by the key that expired in 2022 is refused now (gpgme: EXPKEYSIG), accepted while the key was valid", async () => {
    const ring = await keyring(join(IMAGE_RS, "simple-signing-scheme", "pubkey.gpg"));
    assert.deepEqual(ring.fingerprints, ["67B24AACC459679E0283D7EE58F6ED07EEA6B429"]);
    const signature = readFileSync(
      join(extracted, "kata-containers", "confidential-containers@sha256=febcf61cd6e1ac9628f6ac14fa40836d16f3c6ddef3b303ff0321606e55ddd0b", "signature-1"),
    );
    assert.equal(await rejectionReason(ring, signature), "key-expired");
    const verified = await verifyGpgSignature(ring, signature, { now: new Date("2022-01-01T00:00:00Z") });
    const payload = parseAtomicPayload(verified.payload);
    assert.equal(payload.dockerReference, "quay.io/kata-containers/confidential-containers:signed");
    assert.equal(payload.manifestDigest, "sha256:febcf61cd6e1ac9628f6ac14fa40836d16f3c6ddef3b303ff0321606e55ddd0b");
  });

  test("simple-signing-scheme: the signature by a key not in pubkey.gpg is refused", async () => {
    const ring = await keyring(join(IMAGE_RS, "simple-signing-scheme", "pubkey.gpg"));
    const signature = readFileSync(
      join(extracted, "kata-containers", "confidential-containers@sha256=7250923ba3543110040462388756ef099331822c6172a050b12c7a38361ea46f", "signature-1"),
    );
    assert.equal(await rejectionReason(ring, signature), "unknown-key");
    assert.equal(await rejectionReason(ring, signature, new Date("2022-01-01T00:00:00Z")), "unknown-key");
  });

  test('keyData "nonsense" (policy.json) is not a keyring', async () => {
    await assertRejectsWithCode(() => parseGpgKeyring(Buffer.from("bm9uc2Vuc2U=", "base64")), "KEY_INVALID");
  });
});

describe("skopeo's OpenPGP keys", { skip: !existsSync(SKOPEO) && `no vectors at ${SKOPEO}` }, () => {
  test("Sequoia-generated certificates (signing subkeys, certify-only primaries) parse", async () => {
    const expected: Record<string, string> = {
      "no-passphrase.pub": "50DDE898DF4E48755C8C2B7AF6F908B6FA48A229",
      "with-passphrase.pub": "1F5825285B785E1DB13BF36D2D11A19ABA41C6AE",
    };
    for (const [name, fingerprint] of Object.entries(expected)) {
      const ring = await keyring(join(SKOPEO, "integration", "fixtures", name));
      assert.deepEqual(ring.fingerprints, [fingerprint]);
      assert.equal(ring.keys[0]!.subkeys.length, 3, name);
    }
  });

  test("skopeo's pubring.gpg holds the containers/image main test key and verifies its signature", async () => {
    const ring = await keyring(join(SKOPEO, "cmd", "skopeo", "fixtures", "pubring.gpg"));
    assert.deepEqual(ring.fingerprints, [MAIN_KEY]);
    assert.equal((await verifyGpgSignature(ring, readFileSync(join(FIXTURES, "image.signature")))).signerFingerprint, MAIN_KEY);
  });
});

describe("parseGpgKeyring input checks", () => {
  for (const [name, bytes] of [
    ["empty input", Buffer.alloc(0)],
    ["text", Buffer.from("nonsense")],
    ["an armor header without a key block", Buffer.from("-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n")],
    ["a PEM public key", Buffer.from("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n")],
  ] as const) {
    test(`refuses ${name} with KEY_INVALID`, async () => {
      await assertRejectsWithCode(() => parseGpgKeyring(bytes), "KEY_INVALID");
    });
  }
});
