// The one verifier on Notation records: the checks it makes before notation's own (which the vectors test
// covers): a record read for another digest, a skip statement, and records and requirements of other trust models.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sha256Digest } from "../../../../src/internal/digest.js";
import { generateSigningKey, signWithKey } from "../../../../src/keys/index.js";
import { MediaType } from "../../../../src/oci/manifest/media-types.js";
import type { NotationRequirement } from "../../../../src/signatures/notation/notation-requirement.js";
import { parseTrustPolicy } from "../../../../src/signatures/notation/trust-policy.js";
import { createSimpleSigningPayload } from "../../../../src/signatures/payload/simple-signing.js";
import { verifySignatureRecord, type UntrustedSignatureRecord } from "../../../../src/signatures/verifier/index.js";

const imageDigest = sha256Digest(Buffer.from("image"));
const otherDigest = sha256Digest(Buffer.from("other image"));

function requirement(level: "strict" | "skip"): NotationRequirement {
  const statement = level === "skip" ? { trustStores: [], trustedIdentities: [] } : { trustStores: ["ca:acme"], trustedIdentities: ["*"] };
  return {
    kind: "notation",
    policy: parseTrustPolicy({ version: "1.0", trustPolicies: [{ name: "only", registryScopes: ["*"], signatureVerification: { level }, ...statement }] }),
    scope: "registry.example/app",
    trustStores: { certificates: () => undefined },
  };
}

const notationRecord = (subjectDigest: typeof imageDigest): UntrustedSignatureRecord => ({
  format: "notation",
  source: sha256Digest(Buffer.from("referrer")),
  envelopeMediaType: "application/jose+json",
  untrustedEnvelope: Buffer.from("{}"),
  subject: { mediaType: MediaType.OciManifest, digest: subjectDigest, size: 123 },
});

const claims = { imageDigest, repository: "registry.example/app" };

async function codeOf(record: UntrustedSignatureRecord, required: Parameters<typeof verifySignatureRecord>[1]): Promise<string | undefined> {
  const verdict = await verifySignatureRecord(record, required, claims);
  assert.equal(verdict.verdict, "rejected", JSON.stringify(verdict));
  return verdict.verdict === "rejected" ? verdict.rejection.code : undefined;
}

describe("the one verifier on Notation records", () => {
  test("a record read for another digest than the image's is refused before anything else", async () => {
    assert.equal(await codeOf(notationRecord(otherDigest), requirement("strict")), "SIG_DIGEST_MISMATCH");
  });

  test("a skip statement proves nothing: the record is rejected with NOTATION_POLICY_SKIP", async () => {
    assert.equal(await codeOf(notationRecord(imageDigest), requirement("skip")), "NOTATION_POLICY_SKIP");
  });

  test("a malformed envelope under a strict statement is rejected with notation's integrity code", async () => {
    assert.match((await codeOf(notationRecord(imageDigest), requirement("strict"))) ?? "", /^NOTATION_(ENVELOPE_INVALID|INTEGRITY)$/);
  });

  test("Notation records satisfy only Notation requirements, and the other formats never satisfy one", async () => {
    const key = generateSigningKey();
    assert.equal(await codeOf(notationRecord(imageDigest), { kind: "key", publicKeys: [key.publicKey] }), "SIG_INVALID");
    const payload = createSimpleSigningPayload({ dockerReference: "registry.example/app", manifestDigest: imageDigest });
    const layer = {
      layerDigest: sha256Digest(payload),
      mediaType: MediaType.CosignSimpleSigning,
      untrustedPayload: payload,
      untrustedSignatureBase64: signWithKey(key, payload).toString("base64"),
      untrustedAnnotations: {},
    };
    assert.equal(await codeOf({ format: "cosign-legacy", source: layer.layerDigest, layer }, requirement("strict")), "SIG_INVALID");
    const bundle: UntrustedSignatureRecord = { format: "sigstore-bundle", source: "b", manifestDigest: imageDigest, untrustedBundleBytes: Buffer.from("{}"), untrustedAnnotations: {} };
    assert.equal(await codeOf(bundle, requirement("strict")), "SIG_INVALID");
  });
});
