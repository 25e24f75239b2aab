// Stored signatures are told apart as containers/image's FromBlob does (internal/signature/signature.go), and
// signedBy refuses an image whose store holds something that is not a signature, as skopeo does (see
// policy-skopeo-agreement.test.ts, where Debian's skopeo refuses the same files).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as openpgp from "openpgp";
import { parseDigest } from "../../../../src/internal/digest.js";
import { parseImageLocation } from "../../../../src/oci/reference/index.js";
import { compilePolicy, evaluatePolicy, parsePolicy, type PolicyDecision, type PolicyFetchers } from "../../../../src/policy/index.js";
import { signAtomicPayload } from "../../../../src/signatures/simplesigning/gpg.js";
import { createAtomicPayload } from "../../../../src/signatures/simplesigning/payload.js";
import { parseSignatureBlob } from "../../../../src/signatures/simplesigning/signature-blob.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const DIGEST = parseDigest(`sha256:${"3".repeat(64)}`);
const IMAGE = `registry.example.test/app@${DIGEST}`;

const tagged = (format: string, data: Uint8Array): Buffer => Buffer.concat([Buffer.from([0]), Buffer.from(`${format}\n`, "latin1"), data]);

describe("parseSignatureBlob", () => {
  test("binary OpenPGP messages (gpg's compressed, OpenPGP.js's one-pass) are simple-signing signatures, as they are", async () => {
    for (const first of [0xa3, 0xc8, 0x90, 0xc4, 0x88, 0xc2]) {
      const blob = Buffer.from([first, 1, 2, 3]);
      const parsed = parseSignatureBlob(blob);
      assert.equal(parsed.format, "simple-signing");
      assert.deepEqual(parsed.format === "simple-signing" && parsed.untrustedSignature, blob);
    }
  });

  test('the tagged form "\\0simple-signing\\n…" gives the data after the tag; "\\0sigstore-json\\n…" is recognized', () => {
    const data = Buffer.from([0xc4, 9, 9]);
    const simple = parseSignatureBlob(tagged("simple-signing", data));
    assert.deepEqual(simple.format === "simple-signing" && simple.untrustedSignature, data);
    assert.equal(parseSignatureBlob(tagged("sigstore-json", Buffer.from("{}"))).format, "sigstore-json");
  });

  const refused: [string, Uint8Array][] = [
    ["empty", Buffer.alloc(0)],
    ["text", Buffer.from("not a signature")],
    ["an armored message", Buffer.from("-----BEGIN PGP MESSAGE-----\n\nxA0DAAoW\n-----END PGP MESSAGE-----\n")],
    ["JSON", Buffer.from('{"critical":{}}')],
    ["a tag without newline", Buffer.from("\0simple-signing")],
    ["a tag with a control byte", Buffer.from("\0simple\x01signing\nx")],
    ["an unknown tag", tagged("x509-cms", Buffer.from("x"))],
  ];
  for (const [name, blob] of refused) {
    test(`refuses ${name} with SIG_INVALID (unrecognized-format)`, async () => {
      const error = await assertRejectsWithCode(() => parseSignatureBlob(blob), "SIG_INVALID");
      assert.equal(error.details["reason"], "unrecognized-format");
      assert.match(error.message, /^not a signature: /);
    });
  }
});

describe("signedBy and what the lookaside store holds", () => {
  async function decide(blobs: Uint8Array[], keyring: Uint8Array): Promise<PolicyDecision> {
    const fetchers: PolicyFetchers = {
      resolveManifestDigest: () => Promise.resolve(DIGEST),
      gpgSignatures: () => Promise.resolve({ signatures: blobs.map((b, i) => ({ source: `signature-${i + 1}`, untrustedBytes: Buffer.from(b) })), searched: ["memory"] }),
      cosignSignatures: () => Promise.resolve({ signatures: [], searched: [] }),
      readKey: () => Promise.resolve(Buffer.from(keyring)),
    };
    const text = JSON.stringify({ default: [{ type: "signedBy", keyType: "GPGKeys", keyPath: "/keyring.gpg" }] });
    const policy = await compilePolicy(parsePolicy(text, { source: "policy.json" }), { readKey: fetchers.readKey });
    return evaluatePolicy(parseImageLocation(IMAGE), policy, { fetchers });
  }

  test("a valid signature, alone, plain or tagged, is accepted; a sigstore-json blob beside it is skipped", async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "k" }], format: "binary" });
    const valid = await signAtomicPayload(privateKey, undefined, createAtomicPayload({ dockerReference: "registry.example.test/app:1", manifestDigest: DIGEST }));
    for (const blobs of [[valid], [tagged("simple-signing", valid)], [tagged("sigstore-json", Buffer.from("{}")), valid]]) {
      const decision = await decide(blobs, publicKey);
      assert.equal(decision.allowed, true, decision.reason);
      assert.equal(decision.requirements[0]!.signatures.length, 1, "only simple-signing signatures are tried");
    }
    const onlySigstore = await decide([tagged("sigstore-json", Buffer.from("{}"))], publicKey);
    assert.equal(onlySigstore.requirements[0]!.code, "SIG_MISSING");
  });

  test("a file that is no signature denies the image, though a valid signature precedes it (containers/image fails the read)", async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "k" }], format: "binary" });
    const valid = await signAtomicPayload(privateKey, undefined, createAtomicPayload({ dockerReference: "registry.example.test/app:1", manifestDigest: DIGEST }));
    const armored = await openpgp.sign({ message: await openpgp.createMessage({ binary: createAtomicPayload({ dockerReference: "registry.example.test/app:1", manifestDigest: DIGEST }) }), signingKeys: await openpgp.readPrivateKey({ binaryKey: privateKey }) });
    for (const blobs of [[valid, Buffer.from("garbage")], [Buffer.from(armored)]]) {
      const decision = await decide(blobs, publicKey);
      assert.equal(decision.allowed, false);
      assert.equal(decision.outcome, "denied");
      const requirement = decision.requirements[0]!;
      assert.equal(requirement.code, "SIG_INVALID");
      assert.match(requirement.reason, /^signature-\d is not a signature: .*; containers\/image refuses an image whose signature store holds such a file/);
      assert.equal(requirement.signatures.length, 1);
      assert.equal(requirement.signatures[0]!.allowed, false);
    }
  });
});
