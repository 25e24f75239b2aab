/**
 * containers/image's dir-img-* fixtures (MANIFEST §2.1, §2.2) evaluated through signet's policy engine with a
 * fake fetcher serving each fixture: every expectation of upstream's policy_eval_signedby_test.go and
 * policy_eval_sigstore_test.go that signet supports, and fail-closed "not supported yet" for the rest.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { VECTORS } from "../../helpers/peers.js";
import { parseImageReference } from "../../../src/oci/reference/index.js";
import { compilePolicy, evaluatePolicy, parsePolicy, type PolicyDecision } from "../../../src/policy/index.js";
import { dirImageFetchers, readDirImage, type DirImage } from "./dir-image-fetchers.js";

const FIXTURES = join(VECTORS, "containers__image", "signature", "fixtures");
const GPG_IMAGE = "testing/manifest:latest";
const COSIGN_IMAGE = "192.168.64.2:5000/cosign-signed-single-sample:latest";

async function evaluate(image: DirImage | string, imageRef: string, requirement: Record<string, unknown>): Promise<PolicyDecision & { fetches: { digest: number; gpg: number; cosign: number } }> {
  const dirImage = typeof image === "string" ? readDirImage(join(FIXTURES, image)) : image;
  const fetchers = dirImageFetchers(dirImage, FIXTURES, typeof image === "string" ? image : "image");
  const policy = await compilePolicy(parsePolicy(JSON.stringify({ default: [requirement] })), { readKey: fetchers.readKey });
  const decision = await evaluatePolicy({ transport: "docker", reference: parseImageReference(imageRef) }, policy, { fetchers });
  assert.ok(fetchers.counts.digest <= 1 && fetchers.counts.gpg <= 1 && fetchers.counts.cosign <= 1, "each fetch at most once");
  return { ...decision, fetches: fetchers.counts };
}

function assertAllowed(decision: PolicyDecision): void {
  assert.equal(decision.allowed, true, `${decision.reason}\n${JSON.stringify(decision.requirements, null, 2)}`);
  assert.equal(decision.outcome, "allowed");
  assert.equal(decision.code, undefined);
}

function assertDenied(decision: PolicyDecision, requirementCode: string, reason?: RegExp): void {
  assert.equal(decision.allowed, false, decision.reason);
  assert.equal(decision.outcome, "denied", decision.reason);
  assert.equal(decision.code, "POLICY_DENIED");
  assert.equal(decision.requirements[0]!.code, requirementCode, decision.requirements[0]!.reason);
  assert.ok(decision.hint !== undefined && decision.hint.length > 0, "a denial comes with a hint");
  if (reason) assert.match(decision.reason, reason);
}

const signedBy = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: "signedBy",
  keyType: "GPGKeys",
  keyPath: "public-key.gpg",
  signedIdentity: { type: "matchExact" },
  ...extra,
});

describe("signedBy on the dir-img fixtures (policy_eval_signedby_test.go)", () => {
  test("dir-img-valid: allowed for testing/manifest:latest, with the signer's fingerprint", async () => {
    const decision = await evaluate("dir-img-valid", GPG_IMAGE, signedBy());
    assertAllowed(decision);
    assert.equal(decision.digest, "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55");
    const signature = decision.requirements[0]!.signatures[0]!;
    assert.equal(signature.allowed, true);
    assert.equal(signature.signer, "08CD26E446E2E95249B7A405E932F44B23E8DD43");
    assert.equal(signature.signedReference, "testing/manifest:latest");
  });

  test("dir-img-valid: rejected for testing/manifest:notlatest (identity mismatch)", async () => {
    assertDenied(await evaluate("dir-img-valid", "testing/manifest:notlatest", signedBy()), "SIG_IDENTITY_MISMATCH", /matchExact requires exactly "docker.io\/testing\/manifest:notlatest"/);
  });

  test("dir-img-valid: the default signedIdentity (matchRepoDigestOrExact) accepts the exact tag", async () => {
    const requirement = signedBy();
    delete requirement["signedIdentity"];
    assertAllowed(await evaluate("dir-img-valid", GPG_IMAGE, requirement));
  });

  test("dir-img-valid: keyPaths and keyData work like keyPath", async () => {
    assertAllowed(await evaluate("dir-img-valid", GPG_IMAGE, signedBy({ keyPath: undefined, keyPaths: ["public-key-2.gpg", "public-key.gpg"] })));
    const keyData = readFileSync(join(FIXTURES, "public-key.gpg")).toString("base64");
    assertAllowed(await evaluate("dir-img-valid", GPG_IMAGE, signedBy({ keyPath: undefined, keyData })));
    assertAllowed(await evaluate("dir-img-valid", GPG_IMAGE, signedBy({ keyPath: "pubring.gpg" })));
  });

  test("dir-img-valid with another key: rejected, saying the signing key is not in keyPath", async () => {
    const decision = await evaluate("dir-img-valid", GPG_IMAGE, signedBy({ keyPath: "public-key-2.gpg" }));
    assertDenied(decision, "SIG_INVALID", /not in the keyring/);
    assert.match(decision.hint!, /signed, but by a key that is not in keyPath "public-key-2.gpg"/);
  });

  test("dir-img-valid-2: allowed for :latest (the first accepted signature is enough), rejected for :notlatest", async () => {
    const decision = await evaluate("dir-img-valid-2", GPG_IMAGE, signedBy());
    assertAllowed(decision);
    assert.equal(decision.requirements[0]!.signatures.length, 1, "the second signature is not needed");
    assert.match(decision.requirements[0]!.reason, /signature 1 of 2 accepted.*1 more not checked/);
    const denied = await evaluate("dir-img-valid-2", "testing/manifest:notlatest", signedBy());
    assertDenied(denied, "SIG_IDENTITY_MISMATCH", /none of the 2 GPG signatures was accepted/);
    assert.equal(denied.requirements[0]!.signatures.length, 2);
  });

  test("dir-img-mixed: an invalid signature and a valid one: allowed", async () => {
    const decision = await evaluate("dir-img-mixed", GPG_IMAGE, signedBy());
    assertAllowed(decision);
    const [first, second] = decision.requirements[0]!.signatures;
    assert.equal(first!.allowed, false);
    assert.equal(first!.code, "SIG_PAYLOAD_INVALID");
    assert.equal(second!.allowed, true);
  });

  test("dir-img-unsigned: rejected, no signature exists", async () => {
    assertDenied(await evaluate("dir-img-unsigned", GPG_IMAGE, signedBy()), "SIG_MISSING", /a GPG signature was required, but the image has none/);
  });

  test("dir-img-modified-manifest: rejected, the signed digest is not the manifest's", async () => {
    const decision = await evaluate("dir-img-modified-manifest", GPG_IMAGE, signedBy());
    assertDenied(decision, "SIG_DIGEST_MISMATCH", /signature is for sha256:20bf21ed/);
  });

  test("dir-img-no-manifest: not allowed, and not a verdict: the manifest cannot be read", async () => {
    const decision = await evaluate("dir-img-no-manifest", GPG_IMAGE, signedBy());
    assert.equal(decision.allowed, false);
    assert.equal(decision.outcome, "error");
    assert.equal(decision.code, "FILE_NOT_FOUND");
    assert.match(decision.reason, /could not be evaluated: could not read the manifest digest/);
  });

  test("dir-img-manifest-digest-error: not allowed, the digest cannot be computed", async () => {
    const decision = await evaluate("dir-img-manifest-digest-error", GPG_IMAGE, signedBy());
    assert.equal(decision.allowed, false);
    assert.equal(decision.requirements[0]!.code, "MANIFEST_UNSUPPORTED");
  });

  test("dir-img-valid-subkey: allowed with public-key-with-subkey.gpg, reported by the primary key", async () => {
    const decision = await evaluate("dir-img-valid-subkey", GPG_IMAGE, signedBy({ keyPath: "public-key-with-subkey.gpg" }));
    assertAllowed(decision);
    assert.match(decision.requirements[0]!.signatures[0]!.signer!, /^B9F4CDB9FD8C475BFA340AC38D54A947EE396F36 \(subkey 57D1D95BBC53BA0EAFF0718CD75B3109B3BAAEAF\)$/);
  });

  test("single-signature images built from the OpenPGP fixtures: every bad signature is rejected with its reason", async () => {
    const manifest = readFileSync(join(FIXTURES, "image.manifest.json"));
    const cases: Array<[string, string, string, RegExp]> = [
      ["image.signature", "public-key.gpg", "SIG_IDENTITY_MISMATCH", /the signature names "testing\/manifest"/],
      ["invalid-reference.signature", "public-key.gpg", "SIG_PAYLOAD_INVALID", /invalid docker reference/],
      ["invalid-blob.signature", "public-key.gpg", "SIG_PAYLOAD_INVALID", /not valid JSON/],
      ["invalid-blob.signature-v3", "public-key.gpg", "SIG_PAYLOAD_INVALID", /not valid JSON/],
      ["subkey-revoked.signature", "public-key-with-revoked-subkey.gpg", "SIG_INVALID", /revoked/],
      ["expired.signature", "public-key.gpg", "SIG_INVALID", /expired/],
      ["corrupt.signature", "public-key.gpg", "SIG_INVALID", /invalid GPG signature/],
      ["unknown-key.signature", "public-key.gpg", "SIG_INVALID", /not in the keyring/],
      ["unsigned-literal.signature", "public-key.gpg", "SIG_INVALID", /not signed|not a signed/],
      ["unsigned-encrypted.signature", "public-key.gpg", "SIG_INVALID", /encrypted|not a signed/],
    ];
    for (const [signature, key, code, reason] of cases) {
      const image: DirImage = { manifest, signatures: [{ name: signature, bytes: readFileSync(join(FIXTURES, signature)) }] };
      const decision = await evaluate(image, GPG_IMAGE, signedBy({ keyPath: key }));
      assert.equal(decision.allowed, false, signature);
      assert.equal(decision.requirements[0]!.code, code, `${signature}: ${decision.requirements[0]!.reason}`);
      assert.match(decision.requirements[0]!.signatures[0]!.reason, reason, signature);
    }
  });
});

const sigstoreSigned = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: "sigstoreSigned",
  keyPath: "cosign.pub",
  signedIdentity: { type: "matchRepository" },
  ...extra,
});

describe("sigstoreSigned with keys on the dir-img-cosign fixtures (policy_eval_sigstore_test.go)", () => {
  test("dir-img-cosign-valid: accepted with cosign.pub, with [cosign.pub, cosign2.pub] in either order, and via keyData/keyDatas", async () => {
    assertAllowed(await evaluate("dir-img-cosign-valid", COSIGN_IMAGE, sigstoreSigned()));
    assertAllowed(await evaluate("dir-img-cosign-valid", COSIGN_IMAGE, sigstoreSigned({ keyPath: undefined, keyPaths: ["cosign.pub", "cosign2.pub"] })));
    assertAllowed(await evaluate("dir-img-cosign-valid", COSIGN_IMAGE, sigstoreSigned({ keyPath: undefined, keyPaths: ["cosign2.pub", "cosign.pub"] })));
    const data = (name: string): string => readFileSync(join(FIXTURES, name)).toString("base64");
    assertAllowed(await evaluate("dir-img-cosign-valid", COSIGN_IMAGE, sigstoreSigned({ keyPath: undefined, keyData: data("cosign.pub") })));
    assertAllowed(await evaluate("dir-img-cosign-valid", COSIGN_IMAGE, sigstoreSigned({ keyPath: undefined, keyDatas: [data("cosign2.pub"), data("cosign.pub")] })));
  });

  test("dir-img-cosign-valid: rejected with cosign2.pub only, with matchExact, with exactReference this/does-not:match", async () => {
    const otherKey = await evaluate("dir-img-cosign-valid", COSIGN_IMAGE, sigstoreSigned({ keyPath: "cosign2.pub" }));
    assertDenied(otherKey, "SIG_INVALID", /does not verify with the key in keyPath "cosign2.pub"/);
    assert.match(otherKey.hint!, /signed, but by a key that is not in keyPath "cosign2.pub"/);
    const exact = await evaluate("dir-img-cosign-valid", COSIGN_IMAGE, sigstoreSigned({ signedIdentity: { type: "matchExact" } }));
    assertDenied(exact, "SIG_IDENTITY_MISMATCH");
    assert.match(exact.hint!, /names only the repository/);
    assertDenied(
      await evaluate("dir-img-cosign-valid", COSIGN_IMAGE, sigstoreSigned({ signedIdentity: { type: "exactReference", dockerReference: "this/does-not:match" } })),
      "SIG_IDENTITY_MISMATCH",
    );
  });

  test("dir-img-cosign-valid-2: allowed; rejected for exactReference this/does-not:match", async () => {
    assertAllowed(await evaluate("dir-img-cosign-valid-2", COSIGN_IMAGE, sigstoreSigned()));
    assertDenied(
      await evaluate("dir-img-cosign-valid-2", COSIGN_IMAGE, sigstoreSigned({ signedIdentity: { type: "exactReference", dockerReference: "this/does-not:match" } })),
      "SIG_IDENTITY_MISMATCH",
    );
  });

  test("dir-img-cosign-mixed: an unknown-key signature and a valid one: allowed", async () => {
    const decision = await evaluate("dir-img-cosign-mixed", COSIGN_IMAGE, sigstoreSigned());
    assertAllowed(decision);
    assert.equal(decision.requirements[0]!.signatures[0]!.code, "SIG_INVALID");
  });

  test("dir-img-cosign-modified-manifest: rejected, digest mismatch", async () => {
    assertDenied(await evaluate("dir-img-cosign-modified-manifest", COSIGN_IMAGE, sigstoreSigned()), "SIG_DIGEST_MISMATCH");
  });

  test("dir-img-cosign-no-manifest and -manifest-digest-error: not allowed", async () => {
    const noManifest = await evaluate("dir-img-cosign-no-manifest", COSIGN_IMAGE, sigstoreSigned());
    assert.equal(noManifest.allowed, false);
    assert.equal(noManifest.outcome, "error");
    const digestError = await evaluate("dir-img-cosign-manifest-digest-error", COSIGN_IMAGE, sigstoreSigned());
    assert.equal(digestError.allowed, false);
  });

  test("dir-img-cosign-other-attachment: rejected, the attachment is not a signature", async () => {
    const decision = await evaluate("dir-img-cosign-other-attachment", COSIGN_IMAGE, sigstoreSigned());
    assertDenied(decision, "SIG_MISSING", /1 attachment\(s\) that are not signatures were ignored/);
    assert.match(decision.requirements[0]!.signatures[0]!.reason, /media type is "text\/plain"/);
  });

  test("dir-img-cosign-valid-with-tag (skopeo-made): matchExact accepts :tag, rejects :othertag", async () => {
    const exact = sigstoreSigned({ signedIdentity: { type: "matchExact" } });
    assertAllowed(await evaluate("dir-img-cosign-valid-with-tag", "192.168.64.2:5000/skopeo-signed:tag", exact));
    assertDenied(await evaluate("dir-img-cosign-valid-with-tag", "192.168.64.2:5000/skopeo-signed:othertag", exact), "SIG_IDENTITY_MISMATCH");
  });

  test("dir-img-cosign-key-rekor-valid: accepted with cosign2.pub alone, and with its Rekor key (see sigstore-signed-rekor-fulcio.test.ts)", async () => {
    const image = "192.168.64.2:5000/cosign-signed/key-1:latest";
    assertAllowed(await evaluate("dir-img-cosign-key-rekor-valid", image, sigstoreSigned({ keyPath: "cosign2.pub" })));
    assertAllowed(await evaluate("dir-img-cosign-key-rekor-valid", image, sigstoreSigned({ keyPath: "cosign2.pub", rekorPublicKeyPath: "rekor.pub" })));
  });

  test("dir-img-cosign-pki-valid: pki fails closed with 'not supported yet'", async () => {
    const pki = await evaluate("dir-img-cosign-pki-valid", "localhost:5000/test:latest", {
      type: "sigstoreSigned",
      pki: { caRootsPath: "pki_root_crts.pem", caIntermediatesPath: "pki_intermediate_crts.pem", subjectEmail: "qiwan@redhat.com", subjectHostname: "myhost.example.com" },
      signedIdentity: { type: "matchRepository" },
    });
    assertDenied(pki, "POLICY_UNSUPPORTED", /pki is not supported yet/);
    assert.equal(pki.fetches.digest, 0, "nothing is fetched for a requirement that cannot be evaluated");
  });

  test("unknown-cosign-key.signature: rejected", async () => {
    const image: DirImage = {
      manifest: readFileSync(join(FIXTURES, "dir-img-cosign-valid", "manifest.json")),
      signatures: [{ name: "signature-1", bytes: readFileSync(join(FIXTURES, "unknown-cosign-key.signature")) }],
    };
    assertDenied(await evaluate(image, COSIGN_IMAGE, sigstoreSigned()), "SIG_INVALID");
  });

  test("a GPG requirement ignores cosign attachments, and a sigstore requirement ignores GPG signatures", async () => {
    assertDenied(await evaluate("dir-img-cosign-valid", COSIGN_IMAGE, signedBy()), "SIG_MISSING");
    assertDenied(await evaluate("dir-img-valid", GPG_IMAGE, sigstoreSigned()), "SIG_MISSING");
  });
});
