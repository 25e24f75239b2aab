/**
 * sigstoreSigned with rekorPublicKey* and fulcio, end to end through the policy engine on containers/image's
 * dir-img-cosign-key-rekor-valid and dir-img-cosign-fulcio-rekor-valid (MANIFEST §2.2, policy_eval_sigstore_test.go):
 * accepted as upstream accepts them, and rejected for another email, issuer, CA or Rekor key, or without the SET.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { VECTORS } from "../../helpers/peers.js";
import { parseImageReference } from "../../../src/oci/reference/index.js";
import { compilePolicy, evaluatePolicy, parsePolicy, type PolicyDecision } from "../../../src/policy/index.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { dirImageFetchers, readDirImage, type DirImage } from "./dir-image-fetchers.js";

const FIXTURES = join(VECTORS, "containers__image", "signature", "fixtures");
const KEY_IMAGE = "192.168.64.2:5000/cosign-signed/key-1:latest";
const FULCIO_IMAGE = "192.168.64.2:5000/cosign-signed/fulcio-rekor-1:latest";
const FULCIO = { caPath: "fulcio_v1.crt.pem", oidcIssuer: "https://github.com/login/oauth", subjectEmail: "mitr@redhat.com" };

async function evaluate(image: DirImage, imageRef: string, requirement: Record<string, unknown>): Promise<PolicyDecision> {
  const fetchers = dirImageFetchers(image, FIXTURES, "image");
  const policy = await compilePolicy(parsePolicy(JSON.stringify({ default: [{ type: "sigstoreSigned", signedIdentity: { type: "matchRepository" }, ...requirement }] })), { readKey: fetchers.readKey });
  return evaluatePolicy({ transport: "docker", reference: parseImageReference(imageRef) }, policy, { fetchers });
}

/** The fixture with its one signature's annotations edited. */
function edited(dir: string, edit: (annotations: Record<string, string>) => void): DirImage {
  const image = readDirImage(join(FIXTURES, dir));
  const prefix = "\x00sigstore-json\n";
  const signatures = image.signatures.map(({ name, bytes }) => {
    const value = JSON.parse(bytes.subarray(prefix.length).toString()) as { annotations: Record<string, string> };
    edit(value.annotations);
    return { name, bytes: Buffer.concat([Buffer.from(prefix, "latin1"), Buffer.from(JSON.stringify(value))]) };
  });
  return { ...image, signatures };
}

function assertAllowed(decision: PolicyDecision): void {
  assert.equal(decision.allowed, true, `${decision.reason}\n${JSON.stringify(decision.requirements, null, 2)}`);
}

function deniedWith(decision: PolicyDecision): string {
  assert.equal(decision.allowed, false, decision.reason);
  return decision.requirements[0]!.code ?? "";
}

describe("sigstoreSigned with a key and a Rekor key", () => {
  const image = readDirImage(join(FIXTURES, "dir-img-cosign-key-rekor-valid"));

  test("accepted: the signature verifies with cosign2.pub and its SET with rekor.pub", async () => {
    const decision = await evaluate(image, KEY_IMAGE, { keyPath: "cosign2.pub", rekorPublicKeyPath: "rekor.pub" });
    assertAllowed(decision);
    assert.match(decision.requirements[0]!.signatures.find((s) => s.allowed)!.reason, /logged in Rekor/);
    assertAllowed(await evaluate(image, KEY_IMAGE, { keyPaths: ["cosign.pub", "cosign2.pub"], rekorPublicKeyPaths: ["cosign.pub", "rekor.pub"] }));
  });

  test("rejected without the SET annotation, or when the Rekor key is another key", async () => {
    const stripped = edited("dir-img-cosign-key-rekor-valid", (a) => delete a["dev.sigstore.cosign/bundle"]);
    assert.equal(deniedWith(await evaluate(stripped, KEY_IMAGE, { keyPath: "cosign2.pub", rekorPublicKeyPath: "rekor.pub" })), "TLOG_ENTRY_MISSING");
    assert.ok(["TLOG_PROOF_INVALID", "TLOG_ENTRY_MISSING"].includes(deniedWith(await evaluate(image, KEY_IMAGE, { keyPath: "cosign2.pub", rekorPublicKeyPath: "cosign.pub" }))));
  });

  test("the signature copied onto another image: SIG_DIGEST_MISMATCH", async () => {
    const other = readFileSync(join(FIXTURES, "image.manifest.json"));
    assert.equal(deniedWith(await evaluate({ ...image, manifest: other }, KEY_IMAGE, { keyPath: "cosign2.pub", rekorPublicKeyPath: "rekor.pub" })), "SIG_DIGEST_MISMATCH");
  });

  test("a Rekor key that is not ECDSA fails the requirement closed, as containers/image refuses it", async () => {
    assert.equal(deniedWith(await evaluate(image, KEY_IMAGE, { keyPath: "cosign2.pub", rekorPublicKeyPath: "some-rsa-key.pub" })), "KEY_INVALID");
  });

  test("a corrupted SET is rejected", async () => {
    const corrupted = edited("dir-img-cosign-key-rekor-valid", (a) => {
      const bundle = JSON.parse(a["dev.sigstore.cosign/bundle"]!) as { SignedEntryTimestamp: string };
      bundle.SignedEntryTimestamp = Buffer.from("not a signature").toString("base64");
      a["dev.sigstore.cosign/bundle"] = JSON.stringify(bundle);
    });
    assert.equal(deniedWith(await evaluate(corrupted, KEY_IMAGE, { keyPath: "cosign2.pub", rekorPublicKeyPath: "rekor.pub" })), "TLOG_PROOF_INVALID");
  });
});

describe("sigstoreSigned with fulcio", () => {
  const image = readDirImage(join(FIXTURES, "dir-img-cosign-fulcio-rekor-valid"));

  test("accepted: the certificate chains to fulcio_v1 at the SET's time, names the email and the issuer", async () => {
    const decision = await evaluate(image, FULCIO_IMAGE, { fulcio: FULCIO, rekorPublicKeyPath: "rekor.pub" });
    assertAllowed(decision);
    assert.match(decision.requirements[0]!.signatures.find((s) => s.allowed)!.signer ?? "", /mitr@redhat\.com/);
  });

  test("rejected for another email or another issuer (CERT_IDENTITY_MISMATCH)", async () => {
    assert.equal(deniedWith(await evaluate(image, FULCIO_IMAGE, { fulcio: { ...FULCIO, subjectEmail: "this-does-not-match@example.com" }, rekorPublicKeyPath: "rekor.pub" })), "CERT_IDENTITY_MISMATCH");
    assert.equal(deniedWith(await evaluate(image, FULCIO_IMAGE, { fulcio: { ...FULCIO, oidcIssuer: "https://accounts.google.com" }, rekorPublicKeyPath: "rekor.pub" })), "CERT_IDENTITY_MISMATCH");
  });

  test("rejected for another Rekor key, another CA, without the SET, or without Rekor keys at all", async () => {
    assert.ok(["TLOG_PROOF_INVALID", "TLOG_ENTRY_MISSING"].includes(deniedWith(await evaluate(image, FULCIO_IMAGE, { fulcio: FULCIO, rekorPublicKeyPath: "cosign.pub" }))));
    assert.equal(deniedWith(await evaluate(image, FULCIO_IMAGE, { fulcio: { ...FULCIO, caPath: "pki_root_crts.pem" }, rekorPublicKeyPath: "rekor.pub" })), "CERT_CHAIN_INVALID");
    const stripped = edited("dir-img-cosign-fulcio-rekor-valid", (a) => delete a["dev.sigstore.cosign/bundle"]);
    assert.equal(deniedWith(await evaluate(stripped, FULCIO_IMAGE, { fulcio: FULCIO, rekorPublicKeyPath: "rekor.pub" })), "TLOG_ENTRY_MISSING");
    // Fulcio without Rekor keys is refused when the policy is read, as containers/image does.
    await assertRejectsWithCode(() => evaluate(image, FULCIO_IMAGE, { fulcio: FULCIO }), "POLICY_CONFIG_INVALID");
  });

  test("without the chain annotation the intermediate is unknown, unless the policy trusts it directly", async () => {
    const noChain = edited("dir-img-cosign-fulcio-rekor-valid", (a) => delete a["dev.sigstore.cosign/chain"]);
    assert.equal(deniedWith(await evaluate(noChain, FULCIO_IMAGE, { fulcio: FULCIO, rekorPublicKeyPath: "rekor.pub" })), "CERT_CHAIN_INVALID");
    assertAllowed(await evaluate(noChain, FULCIO_IMAGE, { fulcio: { ...FULCIO, caPath: "fulcio-chain" }, rekorPublicKeyPath: "rekor.pub" }));
  });

  test("a key-signed image does not satisfy a fulcio requirement", async () => {
    const keySigned = readDirImage(join(FIXTURES, "dir-img-cosign-key-rekor-valid"));
    assert.equal(deniedWith(await evaluate(keySigned, KEY_IMAGE, { fulcio: FULCIO, rekorPublicKeyPath: "rekor.pub" })), "SIG_INVALID");
  });

  test("the signature copied onto another image: SIG_DIGEST_MISMATCH (the payload's digest is bound, security case A.1)", async () => {
    const other = readFileSync(join(FIXTURES, "image.manifest.json"));
    const decision = await evaluate({ ...image, manifest: other }, FULCIO_IMAGE, { fulcio: FULCIO, rekorPublicKeyPath: "rekor.pub" });
    assert.equal(deniedWith(decision), "SIG_DIGEST_MISMATCH");
    assert.match(decision.requirements[0]!.signatures[0]!.reason, /signed by .*mitr@redhat\.com.*|the signature is for sha256:/);
  });

  test("the signed identity rule still applies (matchExact against an untagged signature)", async () => {
    const decision = await evaluate(image, FULCIO_IMAGE, { fulcio: FULCIO, rekorPublicKeyPath: "rekor.pub", signedIdentity: { type: "exactReference", dockerReference: "this/does-not:match" } });
    assert.equal(deniedWith(decision), "SIG_IDENTITY_MISMATCH");
  });
});
