// cosign's sign --key --certificate --certificate-chain: the certificate must certify the signing key and the chain
// must issue it; what is kept is one PEM certificate (from PEM or DER) and the chain as given.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import { SignetError } from "../../../../src/errors/index.js";
import { signingCertificateFor } from "../../../../src/signatures/cosign/signing-certificate.js";
import { createCertificate, toPem } from "../../../../src/trust/certificate-writer.js";

const DAY = 86_400_000;
const keys = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
const period = { notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 30 * DAY) };
const root = keys();
const rootName = { commonName: "Test Root" };
const rootPem = toPem(createCertificate({ subject: rootName, subjectPublicKey: root.publicKey, kind: "ca", ...period }, { name: rootName, ...root }));
const other = keys();
const otherName = { commonName: "Other Root" };
const otherRootPem = toPem(createCertificate({ subject: otherName, subjectPublicKey: other.publicKey, kind: "ca", ...period }, { name: otherName, ...other }));
const signer = keys();
const leafDer = createCertificate({ subject: { commonName: "signer" }, subjectPublicKey: signer.publicKey, kind: "code-signing", ...period }, { name: rootName, ...root });
const leafPem = toPem(leafDer);

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(SignetError.is(error), String(error));
    return error.code;
  }
  return "passed";
}

describe("signingCertificateFor", () => {
  test("a certificate for the key, with the chain that issued it, is kept as PEM with the chain as given", () => {
    assert.deepEqual(signingCertificateFor(signer.publicKey, { certificate: Buffer.from(leafPem), certificateName: "leaf.pem", chainPem: rootPem }), { certificatePem: leafPem, chainPem: rootPem });
    assert.deepEqual(signingCertificateFor(signer.publicKey, { certificate: leafDer, certificateName: "leaf.der" }), { certificatePem: leafPem });
  });

  test("a certificate for another key is refused", () => {
    assert.equal(codeOf(() => signingCertificateFor(keys().publicKey, { certificate: Buffer.from(leafPem), certificateName: "leaf.pem" })), "SIGNING_CERTIFICATE_INVALID");
  });

  test("a chain that did not issue the certificate, a non-certificate and garbage are refused", () => {
    assert.equal(codeOf(() => signingCertificateFor(signer.publicKey, { certificate: Buffer.from(leafPem), certificateName: "leaf.pem", chainPem: otherRootPem })), "SIGNING_CERTIFICATE_INVALID");
    assert.equal(codeOf(() => signingCertificateFor(signer.publicKey, { certificate: Buffer.from(leafPem), certificateName: "leaf.pem", chainPem: "not pem" })), "SIGNING_CERTIFICATE_INVALID");
    const keyPem = Buffer.from(signer.publicKey.export({ type: "spki", format: "pem" }) as string);
    assert.equal(codeOf(() => signingCertificateFor(signer.publicKey, { certificate: keyPem, certificateName: "cosign.pub" })), "SIGNING_CERTIFICATE_INVALID");
    assert.equal(codeOf(() => signingCertificateFor(signer.publicKey, { certificate: Buffer.from("garbage"), certificateName: "x" })), "SIGNING_CERTIFICATE_INVALID");
  });

  test("an expired certificate is refused (checked at the current time)", () => {
    const expired = toPem(createCertificate({ subject: { commonName: "signer" }, subjectPublicKey: signer.publicKey, kind: "code-signing", notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) }, { name: rootName, ...root }));
    assert.equal(codeOf(() => signingCertificateFor(signer.publicKey, { certificate: Buffer.from(expired), certificateName: "old.pem", chainPem: rootPem })), "SIGNING_CERTIFICATE_INVALID");
  });
});
