// swr-cosign `.asc` objects: the strict reader of their JSON, where they live, and the one verifier on them
// (a detached GPG signature over the payload, the payload's digest, the PublicKeyID hint).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as openpgp from "openpgp";
import { sha256Digest } from "../../../../src/internal/digest.js";
import { parseImageReference } from "../../../../src/oci/reference/index.js";
import { createSimpleSigningPayload } from "../../../../src/signatures/payload/simple-signing.js";
import { parseGpgKeyring, parseGpgPrivateKey, signDetachedArmored } from "../../../../src/signatures/simplesigning/gpg.js";
import { createAtomicPayload } from "../../../../src/signatures/simplesigning/payload.js";
import { createSwrAscObject, parseSwrAscObject, swrAscObjectUrl } from "../../../../src/signatures/simplesigning/swr-asc.js";
import { verifySignatureRecord } from "../../../../src/signatures/verifier/index.js";

const DIGEST = sha256Digest(Buffer.from("image"));
const OTHER = sha256Digest(Buffer.from("other image"));

describe("swr-cosign .asc objects", () => {
  test("live at <base>/<repository>/<sha256 hex>.asc", () => {
    const reference = parseImageReference("swr.example.test/team/app:1");
    assert.equal(swrAscObjectUrl("https://bucket.example.test/sigs/", reference, DIGEST).href, `https://bucket.example.test/sigs/team/app/${DIGEST.slice(7)}.asc`);
    assert.equal(swrAscObjectUrl("file:///srv/sigs", reference, DIGEST).href, `file:///srv/sigs/team/app/${DIGEST.slice(7)}.asc`);
    assert.throws(() => swrAscObjectUrl("ftp://x", reference, DIGEST), { code: "POLICY_CONFIG_INVALID" });
  });

  const good = { PublicKeyID: "0123456789ABCDEF", Signature: Buffer.from("-----BEGIN PGP SIGNATURE-----").toString("base64"), SerializedPayload: Buffer.from("{}").toString("base64") };
  test("are read strictly", () => {
    assert.equal(parseSwrAscObject(Buffer.from(JSON.stringify(good) + "\n")).untrustedPublicKeyId, "0123456789ABCDEF");
    const bad: [string, string][] = [
      ["an unknown field", JSON.stringify({ ...good, Extra: 1 })],
      ["a case variant of a field", JSON.stringify({ PublicKeyID: good.PublicKeyID, signature: good.Signature, SerializedPayload: good.SerializedPayload })],
      ["a missing field", JSON.stringify({ PublicKeyID: "", Signature: good.Signature })],
      ["a duplicate key", `{"PublicKeyID":"","Signature":"${good.Signature}","Signature":"${good.Signature}","SerializedPayload":"${good.SerializedPayload}"}`],
      ["base64 with junk", JSON.stringify({ ...good, Signature: `${good.Signature}!` })],
      ["a PublicKeyID that is no key ID", JSON.stringify({ ...good, PublicKeyID: "alice" })],
      ["trailing data", `${JSON.stringify(good)} {}`],
      ["an array", "[]"],
    ];
    for (const [what, text] of bad) assert.throws(() => parseSwrAscObject(Buffer.from(text)), { code: "SIG_INVALID" }, what);
  });

  test("verify with the keyring, against the digest, and refuse a changed payload or a PublicKeyID of another key", async () => {
    const generated = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "k" }], format: "binary" });
    const other = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "o" }], format: "binary" });
    const key = await parseGpgPrivateKey(generated.privateKey, undefined);
    const otherKey = await parseGpgPrivateKey(other.privateKey, undefined);
    const requirement = { kind: "gpg" as const, keyring: await parseGpgKeyring(generated.publicKey) };
    const verify = (object: Buffer, digest = DIGEST) => verifySignatureRecord({ format: "swr-asc", source: "x.asc", untrustedObject: object }, requirement, { imageDigest: digest, repository: "swr.example.test/team/app" });
    const object = async (payload: Buffer, signer = key, publicKeyId = key.fingerprint.slice(-16), signedPayload = payload) =>
      createSwrAscObject({ publicKeyId, armoredSignature: await signDetachedArmored(signer, signedPayload), payload });

    const cosignPayload = createSimpleSigningPayload({ dockerReference: "swr.example.test/team/app", manifestDigest: DIGEST });
    const accepted = await verify(await object(cosignPayload));
    assert.equal(accepted.verdict, "verified");
    if (accepted.verdict === "verified") assert.equal(accepted.signature.signer.kind === "gpg" && accepted.signature.signer.fingerprint, key.fingerprint);
    // An atomic container signature payload is read by its own parser.
    assert.equal((await verify(await object(createAtomicPayload({ dockerReference: "swr.example.test/team/app:1", manifestDigest: DIGEST })))).verdict, "verified");
    // No PublicKeyID is no hint to check.
    assert.equal((await verify(await object(cosignPayload, key, ""))).verdict, "verified");

    const code = async (result: ReturnType<typeof verify>) => {
      const verdict = await result;
      return verdict.verdict === "rejected" ? verdict.rejection.code : verdict.verdict;
    };
    assert.equal(await code(verify(await object(cosignPayload), OTHER)), "SIG_DIGEST_MISMATCH");
    const changed = createSimpleSigningPayload({ dockerReference: "swr.example.test/team/app", manifestDigest: DIGEST, annotations: { changed: "yes" } });
    assert.equal(await code(verify(await object(changed, key, key.fingerprint.slice(-16), cosignPayload))), "SIG_INVALID");
    assert.equal(await code(verify(await object(cosignPayload, otherKey))), "SIG_INVALID");
    assert.equal(await code(verify(await object(cosignPayload, key, otherKey.fingerprint.slice(-16)))), "SIG_INVALID");
    // A cosign key requirement never accepts a GPG object.
    assert.equal(await code(verifySignatureRecord({ format: "swr-asc", source: "x.asc", untrustedObject: await object(cosignPayload) }, { kind: "key", publicKeys: [] }, { imageDigest: DIGEST, repository: "r" })), "SIG_INVALID");
  });
});
