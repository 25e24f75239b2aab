// Threshold and required signers over the one verifier (pure): distinct keys, never a signature twice, a maximum
// matching of signers to identities (never a greedy one), required signers first; and the policy.json parser of
// signetThreshold rules.
import assert from "node:assert/strict";
import type { KeyObject } from "node:crypto";
import { describe, test } from "node:test";
import { sha256Digest, type Digest } from "../../../../src/internal/digest.js";
import { generateSigningKey, signWithKey, type SigningKey } from "../../../../src/keys/index.js";
import { MediaType } from "../../../../src/oci/manifest/media-types.js";
import { parsePolicy } from "../../../../src/policy/config/index.js";
import { CosignAnnotation } from "../../../../src/signatures/cosign/signature-manifest.js";
import { createSimpleSigningPayload } from "../../../../src/signatures/payload/simple-signing.js";
import { checkSignersRule, explainSigners, verifySigners, type SignersRule, type UntrustedSignatureRecord } from "../../../../src/signatures/verifier/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";

const IMAGE: Digest = sha256Digest(Buffer.from("the image"));
const [A, B, C] = [generateSigningKey("ecdsa-p256"), generateSigningKey("ecdsa-p256"), generateSigningKey("ecdsa-p256")] as [SigningKey, SigningKey, SigningKey];

/** A `.sig` layer signed by `key` for IMAGE (`n` varies the payload, so the same key can sign twice). */
function signedBy(key: SigningKey, n = 0): UntrustedSignatureRecord {
  const payload = createSimpleSigningPayload({ dockerReference: "example.com/app", manifestDigest: IMAGE, ...(n === 0 ? {} : { annotations: { n: String(n) } }) });
  const layerDigest = sha256Digest(payload);
  return {
    format: "cosign-legacy",
    source: `${layerDigest}#${n}`,
    layer: { layerDigest, mediaType: MediaType.CosignSimpleSigning, untrustedPayload: payload, untrustedSignatureBase64: undefined, untrustedAnnotations: { [CosignAnnotation.signature]: signWithKey(key, payload).toString("base64") } },
  };
}

const keys = (...list: SigningKey[]): { kind: "key"; publicKeys: KeyObject[] } => ({ kind: "key", publicKeys: list.map((k) => k.publicKey) });
const claims = { imageDigest: IMAGE, repository: "example.com/app" };
const run = (records: UntrustedSignatureRecord[], rule: SignersRule) => verifySigners(records, rule, claims);

describe("verifySigners", () => {
  const threeSigners: SignersRule = { threshold: 2, required: [], signers: [{ name: "a", requirement: keys(A) }, { name: "b", requirement: keys(B) }, { name: "c", requirement: keys(C) }] };

  test("2 of 3: two distinct keys are enough, one is not", async () => {
    const two = await run([signedBy(A), signedBy(C)], threeSigners);
    assert.equal(two.satisfied, true);
    assert.deepEqual(two.found.map((f) => f.name), ["a", "c"]);
    const one = await run([signedBy(B)], threeSigners);
    assert.equal(one.satisfied, false);
    assert.equal(explainSigners(IMAGE, one, ["here"]).code, "SIG_THRESHOLD_NOT_MET");
  });

  test("the same key signing twice, and the same signature attached twice, count once", async () => {
    const record = signedBy(A);
    const result = await run([record, record, signedBy(A, 2)], threeSigners);
    assert.equal(result.satisfied, false);
    assert.deepEqual(result.found.map((f) => f.name), ["a"]);
  });

  test("two signers naming the same key are one signer, and the second says why it did not count", async () => {
    const rule: SignersRule = { threshold: 2, required: [], signers: [{ name: "a", requirement: keys(A) }, { name: "a-again", requirement: keys(A) }] };
    const result = await run([signedBy(A), signedBy(A, 2)], rule);
    assert.equal(result.satisfied, false);
    const missing = result.missing.find((m) => m.name === "a-again")!;
    assert.match(missing.reason, /already counts as "a"/);
    const error = explainSigners(IMAGE, result, []);
    assert.equal(error.code, "SIG_THRESHOLD_NOT_MET");
    assert.match(error.message, /^1 of the 2 distinct signers required/);
  });

  test("signers are matched to identities as a maximum matching, not greedily", async () => {
    // "either" accepts A or B and comes first; a greedy count would give it A and leave "only-a" without a key.
    const rule: SignersRule = { threshold: 2, required: [], signers: [{ name: "either", requirement: keys(A, B) }, { name: "only-a", requirement: keys(A) }] };
    const result = await run([signedBy(A), signedBy(B)], rule);
    assert.equal(result.satisfied, true, JSON.stringify(result.missing));
    assert.deepEqual(Object.fromEntries(result.found.map((f) => [f.name, f.signature.source])), { either: signedBy(B).source, "only-a": signedBy(A).source });
  });

  test("a required signer gets its identity before the others", async () => {
    const rule: SignersRule = { threshold: 1, required: ["release"], signers: [{ name: "any", requirement: keys(A) }, { name: "release", requirement: keys(A) }] };
    const result = await run([signedBy(A)], rule);
    assert.equal(result.satisfied, true, JSON.stringify(result.missing));
    assert.deepEqual(result.found.map((f) => f.name), ["release"]);
  });

  test("a required signer missing denies with its code even when the threshold is met", async () => {
    const result = await run([signedBy(A), signedBy(B)], { ...threeSigners, required: ["c"] });
    assert.equal(result.satisfied, false);
    const error = explainSigners(IMAGE, result, []);
    assert.equal(error.code, "SIG_REQUIRED_SIGNER_MISSING");
    assert.match(error.message, /found: a \(key sha256:[0-9a-f]{64}\), b \(key sha256:[0-9a-f]{64}\); missing: c \[required\]: signature does not verify/);
  });

  test("a signature of another digest does not count, and the missing signer says why", async () => {
    const other = createSimpleSigningPayload({ dockerReference: "example.com/app", manifestDigest: sha256Digest(Buffer.from("other")) });
    const base = signedBy(A) as Extract<UntrustedSignatureRecord, { format: "cosign-legacy" }>;
    const copied: UntrustedSignatureRecord = { ...base, layer: { ...base.layer, untrustedPayload: other, untrustedAnnotations: { [CosignAnnotation.signature]: signWithKey(A, other).toString("base64") } } };
    const result = await run([copied, signedBy(B)], threeSigners);
    assert.equal(result.satisfied, false);
    assert.equal(result.missing.find((m) => m.name === "a")!.code, "SIG_DIGEST_MISMATCH");
  });

  test("a rule's shape is checked", () => {
    const problems: [SignersRule, RegExp][] = [
      [{ ...threeSigners, threshold: 0 }, /threshold 0/],
      [{ ...threeSigners, threshold: 4 }, /threshold 4/],
      [{ ...threeSigners, required: ["d"] }, /"d" is not one of the signers/],
      [{ threshold: 1, required: [], signers: [] }, /no signers/],
      [{ threshold: 1, required: [], signers: [{ name: "a", requirement: keys(A) }, { name: "a", requirement: keys(B) }] }, /two signers are named "a"/],
    ];
    for (const [rule, message] of problems) {
      assert.throws(() => checkSignersRule(rule, "rule"), (error: Error & { code?: string }) => error.code === "POLICY_CONFIG_INVALID" && message.test(error.message));
    }
  });
});

describe("policy.json signetThreshold parsing", () => {
  const ci = { name: "ci", type: "sigstoreSigned", keyPath: "/k/ci.pub" };
  const release = { name: "release", type: "signedBy", keyType: "GPGKeys", keyPath: "/k/release.gpg" };
  const policy = (rule: Record<string, unknown>) => JSON.stringify({ default: [{ type: "signetThreshold", threshold: 1, signers: [ci, release], ...rule }] });

  test("a rule parses with its signers in order and the rule's signedIdentity", async () => {
    const parsed = await parsePolicy(policy({ threshold: 2, required: ["release"], signedIdentity: { type: "matchRepository" } }));
    const requirement = parsed.defaultRequirements.requirements[0]!;
    assert.equal(requirement.type, "signetThreshold");
    if (requirement.type !== "signetThreshold") return;
    assert.equal(requirement.threshold, 2);
    assert.deepEqual(requirement.required, ["release"]);
    assert.deepEqual(requirement.signers.map((s) => [s.name, s.requirement.type]), [["ci", "sigstoreSigned"], ["release", "signedBy"]]);
    assert.equal(requirement.signedIdentity.type, "matchRepository");
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["threshold 0", { threshold: 0 }, /threshold.*from 1 to the 2 signers/],
    ["threshold above the signers", { threshold: 3 }, /from 1 to the 2 signers/],
    ["threshold not a whole number", { threshold: 1.5 }, /whole number/],
    ["a required signer that is not listed", { required: ["qa"] }, /required signer "qa" is not one of the signers/],
    ["a required signer twice", { required: ["ci", "ci"] }, /listed twice/],
    ["no signers", { signers: [] }, /non-empty list/],
    ["two signers with one name", { signers: [ci, { ...release, name: "ci" }] }, /two signers are named "ci"/],
    ["a signer with its own signedIdentity", { signers: [{ ...ci, signedIdentity: { type: "matchRepository" } }] }, /no signedIdentity of its own/],
    ["a signer of an unknown type", { signers: [{ name: "x", type: "reject" }] }, /must be one of sigstoreSigned, signedBy/],
    ["a signer without a name", { signers: [{ type: "sigstoreSigned", keyPath: "/k" }] }, /name/],
    ["a typo in a signer", { signers: [{ ...ci, keyPth: "/k" }] }, /unknown field "keyPth"/],
    ["an unknown field in the rule", { treshold: 1 }, /unknown field "treshold"/],
  ];
  for (const [name, rule, message] of bad) {
    test(`rejected: ${name}`, async () => {
      const error = await assertRejectsWithCode(() => parsePolicy(policy(rule)), "POLICY_CONFIG_INVALID");
      assert.match(error.message, message);
    });
  }
});
