import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { verifyNotaryTag } from "../../../../src/signatures/dct/notary-client.js";
import { verifyNotarySignature, parseNotaryKey } from "../../../../src/signatures/dct/keys.js";
import { parseMetadataEnvelope, parseRootMetadata } from "../../../../src/signatures/dct/metadata.js";
import { verifyTargetDigest } from "../../../../src/signatures/dct/verify-trust-data.js";
import { notaryCanonicalJson } from "../../../../src/signatures/dct/canonical-json.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { SyntheticRepo, ecdsaKey, ed25519Key, rootKey, rsaKey, signMetadata } from "./synthetic-repo.js";

const GUN = "registry.example/app";
const MANIFEST = Buffer.from('{"schemaVersion":2}');
const DIGEST = `sha256:${createHash("sha256").update(MANIFEST).digest("hex")}`;
const dir = () => mkdtempSync(join(tmpdir(), "signet-dct-synthetic-"));
const check = (repo: SyntheticRepo, trustDir = dir(), tag = "v1", extra: Record<string, Buffer> = {}) => verifyNotaryTag({ server: "http://notary.invalid", gun: repo.gun, tag, trustDir, fetch: repo.fetch(extra) });

describe("Notary signature methods and key types", () => {
  const message = Buffer.from("canonical bytes");
  for (const [name, key, der] of [["ecdsa raw r||s", ecdsaKey(), false], ["ecdsa DER", ecdsaKey(), true], ["ed25519", ed25519Key(), false], ["rsapss", rsaKey("rsapss"), false], ["rsapkcs1v15", rsaKey("rsapkcs1v15"), false], ["ecdsa-x509", rootKey(GUN), false]] as const) {
    test(`${name} verifies, and not over other bytes or with another method`, () => {
      const envelope = JSON.parse(signMetadata({ m: message.toString() }, [key], { der }).toString()) as { signatures: { sig: string }[] };
      const signature = Buffer.from(envelope.signatures[0]!.sig, "base64");
      const parsed = parseNotaryKey(key.json, "test");
      assert.equal(parsed.id, key.id);
      const signedBytes = notaryCanonicalJson({ m: message.toString() });
      assert.equal(verifyNotarySignature(parsed, key.method, signature, signedBytes), true);
      assert.equal(verifyNotarySignature(parsed, key.method, signature, Buffer.concat([signedBytes, Buffer.from(" ")])), false);
      for (const other of ["ecdsa", "eddsa", "rsapss", "rsapkcs1v15", "pycrypto-pkcs#1 pss"].filter((method) => method !== key.method)) {
        assert.equal(verifyNotarySignature(parsed, other, signature, signedBytes), false, other);
      }
    });
  }

  test("ecdsa: a DER signature is read as Go's asn1.Unmarshal reads it (trailing bytes ignored); raw r||s must be exactly twice the curve size", () => {
    const key = ecdsaKey();
    const parsed = parseNotaryKey(key.json, "t");
    const message = notaryCanonicalJson({ a: 1 });
    const der = Buffer.from((JSON.parse(signMetadata({ a: 1 }, [key], { der: true }).toString()) as { signatures: { sig: string }[] }).signatures[0]!.sig, "base64");
    assert.equal(verifyNotarySignature(parsed, "ecdsa", Buffer.concat([der, Buffer.from([0, 1])]), message), true);
    const raw = Buffer.from((JSON.parse(signMetadata({ a: 1 }, [key]).toString()) as { signatures: { sig: string }[] }).signatures[0]!.sig, "base64");
    assert.equal(raw.length, 64);
    assert.equal(verifyNotarySignature(parsed, "ecdsa", Buffer.concat([raw, Buffer.from([0])]), message), false);
    assert.equal(verifyNotarySignature(parsed, "ecdsa", raw.subarray(1), message), false);
  });

  test("RSA keys under 2048 bits verify nothing", () => {
    const key = rsaKey("rsapss", 1024);
    const envelope = JSON.parse(signMetadata({ a: 1 }, [key]).toString()) as { signatures: { sig: string }[] };
    assert.equal(verifyNotarySignature(parseNotaryKey(key.json, "t"), "rsapss", Buffer.from(envelope.signatures[0]!.sig, "base64"), notaryCanonicalJson({ a: 1 })), false);
  });
});

describe("Notary metadata is read strictly", () => {
  test("a key listed under an ID that is not its content's, a case variant of a field, a fraction, another role's type: DCT_METADATA_INVALID", async () => {
    const repo = SyntheticRepo.complete(GUN, { v1: MANIFEST });
    const root = JSON.parse(repo.root.toString()) as { signed: { keys: Record<string, unknown> } };
    const [id, key] = Object.entries(root.signed.keys)[0]!;
    root.signed.keys[`${id.slice(0, -1)}${id.endsWith("0") ? "1" : "0"}`] = key;
    assert.throws(() => parseRootMetadata(Buffer.from(JSON.stringify(root))), { code: "DCT_METADATA_INVALID" });
    await assertRejectsWithCode(() => check(Object.assign(repo, { root: Buffer.from(JSON.stringify(root)) })), "DCT_METADATA_INVALID");
    assert.throws(() => parseMetadataEnvelope(Buffer.from('{"Signed":{},"signatures":[]}'), "timestamp"), { code: "DCT_METADATA_INVALID" });
    assert.throws(() => parseMetadataEnvelope(Buffer.from('{"signed":{"_type":"Timestamp","version":1.5,"expires":"2030-01-01T00:00:00Z"},"signatures":[]}'), "timestamp"), { code: "DCT_METADATA_INVALID" });
    assert.throws(() => parseMetadataEnvelope(Buffer.from('{"signed":{"_type":"Snapshot","version":1,"expires":"2030-01-01T00:00:00Z"},"signatures":[]}'), "timestamp"), { code: "DCT_METADATA_INVALID" });
  });
});

describe("Notary trust data: thresholds, rollback, rotation, delegations", () => {
  test("a complete repository verifies; the registry digest is compared with the signed one", async () => {
    const result = await check(SyntheticRepo.complete(GUN, { v1: MANIFEST }));
    assert.equal(result.target.digest, DIGEST);
    assert.doesNotThrow(() => verifyTargetDigest(result.target, DIGEST, "img"));
    assert.throws(() => verifyTargetDigest(result.target, `sha256:${"1".repeat(64)}`, "img"), { code: "DCT_DIGEST_MISMATCH" });
  });

  test("a threshold of 2: two distinct keys pass; one key's signature twice counts once (DCT_SIGNATURE_INVALID)", async () => {
    const keys = [ecdsaKey(), rsaKey("rsapss"), ed25519Key()];
    const repo = new SyntheticRepo(GUN, { targets: { keys, threshold: 2 } });
    repo.makeRoot(1);
    repo.makeTargets(1, { v1: MANIFEST }, { signers: [keys[0]!, keys[2]!] });
    repo.makeSnapshot(1);
    repo.makeTimestamp(1);
    assert.equal((await check(repo)).target.signers.length, 2);
    repo.makeTargets(2, { v1: MANIFEST }, { signers: [keys[1]!, keys[1]!] });
    repo.makeSnapshot(2);
    repo.makeTimestamp(2);
    const error = await assertRejectsWithCode(() => check(repo), "DCT_SIGNATURE_INVALID");
    assert.equal(error.details["validSignatures"], 1);
  });

  test("a snapshot older than the one seen, under a newer timestamp, is DCT_ROLLBACK for the snapshot", async () => {
    const repo = SyntheticRepo.complete(GUN, { v1: MANIFEST });
    const trustDir = dir();
    repo.makeSnapshot(5);
    repo.makeTimestamp(5);
    await check(repo, trustDir);
    repo.makeSnapshot(3);
    repo.makeTimestamp(6);
    const error = await assertRejectsWithCode(() => check(repo, trustDir), "DCT_ROLLBACK");
    assert.deepEqual([error.details["role"], error.details["version"], error.details["seenVersion"]], ["snapshot", 3, 5]);
  });

  test("targets older than seen: DCT_ROLLBACK; an expired targets: DCT_EXPIRED", async () => {
    const repo = SyntheticRepo.complete(GUN, { v1: MANIFEST });
    const trustDir = dir();
    repo.makeTargets(4, { v1: MANIFEST });
    repo.makeSnapshot(2);
    repo.makeTimestamp(2);
    await check(repo, trustDir);
    repo.makeTargets(3, { v1: MANIFEST });
    repo.makeSnapshot(3);
    repo.makeTimestamp(3);
    assert.equal((await assertRejectsWithCode(() => check(repo, trustDir), "DCT_ROLLBACK")).details["role"], "targets");
    repo.makeTargets(5, { v1: MANIFEST }, { expires: new Date(Date.now() - 1000).toISOString() });
    repo.makeSnapshot(4);
    repo.makeTimestamp(4);
    assert.equal((await assertRejectsWithCode(() => check(repo, trustDir), "DCT_EXPIRED")).details["role"], "targets");
  });

  test("root rotation: signed by the pinned key is followed (through N.root.json); signed by the new key only is DCT_ROOT_ROTATION_INVALID", async () => {
    const repo = SyntheticRepo.complete(GUN, { v1: MANIFEST });
    const trustDir = dir();
    await check(repo, trustDir);
    const oldKey = repo.roles.root.keys[0]!;
    const newKey = rootKey(GUN);
    repo.roles.root = { keys: [newKey] };
    const v2 = repo.makeRoot(2, [oldKey, newKey]);
    const newTimestamp = ed25519Key();
    repo.roles.timestamp = { keys: [newTimestamp] };
    repo.makeRoot(3, [newKey]);
    repo.makeSnapshot(2);
    repo.makeTimestamp(2);
    const rotated = await check(repo, trustDir, "v1", { "2.root.json": v2 });
    assert.deepEqual([rotated.root, rotated.rootVersion], ["rotated", 3]);

    const other = SyntheticRepo.complete(GUN, { v1: MANIFEST });
    const pinned = dir();
    await check(other, pinned);
    other.roles.root = { keys: [rootKey(GUN)] };
    other.makeRoot(2);
    other.makeSnapshot(2);
    other.makeTimestamp(2);
    await assertRejectsWithCode(() => check(other, pinned), "DCT_ROOT_ROTATION_INVALID");
  });

  test("an expired pinned root: replaced by the server's newer root it signed, else DCT_EXPIRED for the root", async () => {
    const repo = new SyntheticRepo(GUN);
    repo.makeRoot(1, undefined, new Date(Date.now() + 1000).toISOString());
    repo.makeTargets(1, { v1: MANIFEST });
    repo.makeSnapshot(1);
    repo.makeTimestamp(1);
    const trustDir = dir();
    await check(repo, trustDir);
    const later = (extra: Record<string, Buffer> = {}) => verifyNotaryTag({ server: "http://notary.invalid", gun: GUN, tag: "v1", trustDir, fetch: repo.fetch(extra), now: new Date(Date.now() + 60_000) });
    assert.equal((await assertRejectsWithCode(() => later(), "DCT_EXPIRED")).details["role"], "root");
    repo.makeRoot(2);
    repo.makeSnapshot(2);
    repo.makeTimestamp(2);
    const renewed = await later();
    assert.deepEqual([renewed.root, renewed.rootVersion], ["rotated", 2]);
  });

  test("a first root whose certificate names another GUN, or has expired, is DCT_ROOT_INVALID", async () => {
    await assertRejectsWithCode(() => check(SyntheticRepo.complete(GUN, { v1: MANIFEST }, { root: { keys: [rootKey("registry.example/other")] } })), "DCT_ROOT_INVALID");
    const expired = rootKey(GUN, { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    await assertRejectsWithCode(() => check(SyntheticRepo.complete(GUN, { v1: MANIFEST }, { root: { keys: [expired] } })), "DCT_ROOT_INVALID");
    // A root key that is not a certificate is never a root key.
    await assertRejectsWithCode(() => check(SyntheticRepo.complete(GUN, { v1: MANIFEST }, { root: { keys: [ecdsaKey()] } })), "DCT_ROOT_INVALID");
  });

  test("targets/releases first; its paths limit what it may sign; an invalid releases falls back to targets as Docker does", async () => {
    const releaser = ecdsaKey();
    const other = Buffer.from('{"schemaVersion":2,"other":1}');
    const repo = new SyntheticRepo(GUN);
    repo.makeRoot(1);
    repo.makeReleases(1, { v1: other, "rel-1": other }, [releaser]);
    repo.makeTargets(1, { v1: MANIFEST }, { releases: { keys: [releaser], paths: [""] } });
    repo.makeSnapshot(1);
    repo.makeTimestamp(1);
    assert.equal((await check(repo)).target.role, "targets/releases");
    repo.makeTargets(2, { v1: MANIFEST }, { releases: { keys: [releaser], paths: ["rel-"] } });
    repo.makeSnapshot(2);
    repo.makeTimestamp(2);
    const limited = await check(repo);
    assert.deepEqual([limited.target.role, limited.target.digest], ["targets", DIGEST]);
    assert.equal((await check(repo, dir(), "rel-1")).target.role, "targets/releases");
    repo.makeReleases(2, { v1: other }, [ecdsaKey()]);
    repo.makeTargets(3, { v1: MANIFEST }, { releases: { keys: [releaser], paths: [""] } });
    repo.makeSnapshot(3);
    repo.makeTimestamp(3);
    const fallback = await check(repo);
    assert.equal(fallback.target.role, "targets");
    assert.match(fallback.releasesSkipped ?? "", /threshold/);
    await assertRejectsWithCode(() => check(repo, dir(), "only-in-releases"), "DCT_SIGNATURE_INVALID");
  });
});
