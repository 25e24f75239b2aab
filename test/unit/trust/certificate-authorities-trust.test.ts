// A private PKI as trust material (cosign's --ca-roots/--ca-intermediates/--certificate-chain), and the identity
// requirement fields it comes with (requireSct, certificatePem, a certificate checked at the current time when the
// log is waived), through the one signer verifier.
import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { describe, test } from "node:test";
import { verifyLegacySigner, type SignerRequirement } from "../../../src/signatures/cosign/keyless.js";
import { CosignAnnotation } from "../../../src/signatures/cosign/signature-manifest.js";
import { trustMaterialFromCertificateAuthorities } from "../../../src/trust/keys-trust-material.js";
import type { TrustMaterial } from "../../../src/trust/trust-material.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { createTestCa, mintLeaf, newKey, toPem } from "./test-pki.js";

const NO_LOGS = { tlogs: [], ctlogs: [], timestampAuthorities: [] };
const now = new Date();
const ca = createTestCa(now);
const otherCa = createTestCa(now);
const rootPem = toPem("CERTIFICATE", ca.root.der);
const intermediatePem = toPem("CERTIFICATE", ca.intermediate.der);
const signerKey = newKey();
const leafPem = toPem("CERTIFICATE", mintLeaf(ca, signerKey.publicKey, { signedAt: now, issuer: "https://issuer.example.com" }));
const expiredLeafPem = toPem("CERTIFICATE", mintLeaf(ca, signerKey.publicKey, { signedAt: new Date(now.getTime() - 3_600_000), issuer: "https://issuer.example.com" }));
const payload = Buffer.from('{"critical":{}}');
const signatureBase64 = sign("sha256", payload, signerKey.privateKey).toString("base64");
const identity = { kind: "identity" as const, subject: "signer@example.com", issuer: "https://issuer.example.com" };

function requirement(trust: TrustMaterial, extra: Partial<Extract<SignerRequirement, { kind: "identity" }>> = {}): SignerRequirement {
  return { kind: "identity", identity, trust, requireTlog: false, requireSct: false, untimedCertificateAtCurrentTime: true, ...extra };
}

function material(annotations: Record<string, string>) {
  return { signedBytes: payload, signatureBase64, untrustedAnnotations: annotations };
}

describe("trustMaterialFromCertificateAuthorities", () => {
  test("roots are anchors; an intermediate counts on its path to a root, one leading to no given root is left out", () => {
    const trust = trustMaterialFromCertificateAuthorities({ rootsPem: rootPem, intermediatesPem: intermediatePem + toPem("CERTIFICATE", otherCa.intermediate.der), logs: NO_LOGS, description: "test" });
    assert.deepEqual(
      trust.certificateAuthorities.map((authority) => authority.certChain.length),
      [1, 2],
    );
    assert.ok(trust.certificateAuthorities[1]!.certChain[1]!.der.equals(ca.root.der));
  });

  test("a chain's last certificate is the root, the others intermediates", () => {
    const trust = trustMaterialFromCertificateAuthorities({ chainPem: intermediatePem + rootPem, logs: NO_LOGS, description: "test" });
    assert.equal(trust.certificateAuthorities.length, 2);
    assert.ok(trust.certificateAuthorities[0]!.certChain[0]!.der.equals(ca.root.der));
  });

  test("a file without certificates is TRUST_ROOT_INVALID", async () => {
    await assertRejectsWithCode(() => trustMaterialFromCertificateAuthorities({ rootsPem: "not PEM", logs: NO_LOGS, description: "test" }), "TRUST_ROOT_INVALID");
  });
});

describe("the identity requirement with a private CA", () => {
  const trust = trustMaterialFromCertificateAuthorities({ chainPem: intermediatePem + rootPem, logs: NO_LOGS, description: "test" });
  const carried = { [CosignAnnotation.certificate]: leafPem, [CosignAnnotation.signature]: signatureBase64 };

  test("a carried certificate verifies at the current time when the log is waived", () => {
    const proof = verifyLegacySigner(requirement(trust), material(carried));
    assert.equal(proof.subject, "signer@example.com");
    assert.equal(proof.tlog, "ignored");
  });

  test("without the current-time reading, a certificate needs a verified time (TIMESTAMP_INVALID)", async () => {
    await assertRejectsWithCode(() => verifyLegacySigner(requirement(trust, { untimedCertificateAtCurrentTime: false }), material(carried)), "TIMESTAMP_INVALID");
  });

  test("the current time is never used when the log is required (TLOG_ENTRY_MISSING)", async () => {
    await assertRejectsWithCode(() => verifyLegacySigner(requirement(trust, { requireTlog: true }), material(carried)), "TLOG_ENTRY_MISSING");
  });

  test("an expired certificate is CERT_CHAIN_INVALID at the current time", async () => {
    await assertRejectsWithCode(() => verifyLegacySigner(requirement(trust), material({ [CosignAnnotation.certificate]: expiredLeafPem })), "CERT_CHAIN_INVALID");
  });

  test("another CA's roots: CERT_CHAIN_INVALID", async () => {
    const other = trustMaterialFromCertificateAuthorities({ rootsPem: toPem("CERTIFICATE", otherCa.root.der), logs: NO_LOGS, description: "other" });
    await assertRejectsWithCode(() => verifyLegacySigner(requirement(other), material(carried)), "CERT_CHAIN_INVALID");
  });

  test("an SCT required with no CT log known fails closed (SCT_INVALID)", async () => {
    await assertRejectsWithCode(() => verifyLegacySigner(requirement(trust, { requireSct: true }), material(carried)), "SCT_INVALID");
  });

  test("--certificate: a key-signed layer verifies with the given certificate's key; another identity is refused", async () => {
    const proof = verifyLegacySigner(requirement(trust, { certificatePem: leafPem }), material({}));
    assert.equal(proof.kind, "keyless");
    const otherIdentity = { ...identity, subject: "someone@example.com" };
    await assertRejectsWithCode(() => verifyLegacySigner(requirement(trust, { certificatePem: leafPem, identity: otherIdentity }), material({})), "CERT_IDENTITY_MISMATCH");
  });

  test("--certificate replaces the certificate a layer carries: a signature by another key fails (SIG_INVALID)", async () => {
    const otherKey = newKey();
    const otherLeaf = toPem("CERTIFICATE", mintLeaf(ca, otherKey.publicKey, { signedAt: now, issuer: "https://issuer.example.com" }));
    await assertRejectsWithCode(() => verifyLegacySigner(requirement(trust, { certificatePem: otherLeaf }), material(carried)), "SIG_INVALID");
  });
});
