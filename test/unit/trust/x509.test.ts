import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { verifyCertificateChainAt } from "../../../src/trust/certificate-chain.js";
import { parseTrustedRoot, trustMaterialFromKeys } from "../../../src/trust/index.js";
import { SctError, verifyEmbeddedScts } from "../../../src/trust/sct.js";
import { verifyRfc3161Timestamp } from "../../../src/trust/timestamp-authority.js";
import { Certificate, CertificateError } from "../../../src/trust/x509.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { VECTORS } from "../../helpers/peers.js";
import { der, ext, mintCertificate, newKey } from "./test-pki.js";

const FIXTURES = join(VECTORS, "containers__image", "signature", "fixtures");
const JAVA = join(VECTORS, "sigstore__sigstore-java", "sigstore-java", "src", "test", "resources", "dev", "sigstore", "samples");
const PYTHON = join(VECTORS, "sigstore__sigstore-python");

function pemCertificates(path: string): Certificate[] {
  return [...readFileSync(path, "utf8").matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => Certificate.parse(Buffer.from(m[1]!.replace(/\s+/g, ""), "base64")));
}

/** containers/image: the Fulcio leaf of mitr@redhat.com, valid 2022-12-12 18:48:18-18:58:18Z, logged at 1670870899. */
const SIGNED_AT = new Date(1670870899 * 1000);
const leaf = pemCertificates(join(FIXTURES, "fulcio-cert"))[0]!;
const chain = pemCertificates(join(FIXTURES, "fulcio-chain"));

describe("X.509 certificates read from their DER", () => {
  test("the Fulcio leaf: validity, code signing, the issuer's key ids", () => {
    assert.equal(leaf.notBefore.toISOString(), "2022-12-12T18:48:18.000Z");
    assert.equal(leaf.notAfter.toISOString(), "2022-12-12T18:58:18.000Z");
    assert.deepEqual(leaf.extendedKeyUsage, ["1.3.6.1.5.5.7.3.3"]);
    assert.equal(leaf.isCA, false);
    assert.equal(chain[0]!.isCA, true);
    assert.deepEqual(leaf.authorityKeyId, chain[0]!.subjectKeyId);
    assert.equal(leaf.isIssuedBy(chain[0]!), true);
    assert.equal(leaf.isIssuedBy(chain[1]!), false);
    assert.equal(chain[0]!.isIssuedBy(chain[1]!), true);
    assert.equal(chain[1]!.isSelfIssued, true);
  });

  test("CA classification of sigstore-python's bogus certificates", () => {
    const ca = (name: string): boolean => pemCertificates(join(PYTHON, "test", "assets", "x509", `${name}.pem`))[0]!.isCA;
    assert.equal(ca("bogus-root"), true);
    assert.equal(ca("bogus-intermediate"), true);
    assert.equal(ca("bogus-leaf"), false);
    assert.equal(ca("bogus-root-invalid-ku"), false, "basicConstraints CA but keyUsage without keyCertSign");
  });

  test("malformed DER, trailing data and repeated extensions are refused", () => {
    const key = newKey();
    const good = mintCertificate({ subject: "s", subjectKey: key.publicKey, issuer: "s", issuerKey: key.privateKey, notBefore: new Date(0), notAfter: new Date(1e12), extensions: [ext.basicConstraints(true)] });
    assert.equal(Certificate.parse(good).isSignedBy(key.publicKey), true);
    assert.throws(() => Certificate.parse(good.subarray(0, good.length - 1)), CertificateError);
    assert.throws(() => Certificate.parse(Buffer.concat([good, Buffer.of(0)])), CertificateError);
    assert.throws(() => Certificate.parse(Buffer.from("not a certificate")), CertificateError);
    const repeated = mintCertificate({ subject: "s", subjectKey: key.publicKey, issuer: "s", issuerKey: key.privateKey, notBefore: new Date(0), notAfter: new Date(1e12), extensions: [ext.basicConstraints(true), ext.basicConstraints(false)] });
    assert.throws(() => Certificate.parse(repeated), /appears twice/);
  });

  test("the signature covers the exact TBS bytes", () => {
    const tampered = Buffer.from(leaf.der);
    const at = leaf.der.indexOf(Buffer.from("mitr@redhat.com"));
    tampered[at] = tampered[at]! ^ 1;
    assert.equal(Certificate.parse(tampered).isIssuedBy(chain[0]!), false);
  });

  test("a SHA-1 signature is not accepted (sigstore-java's CT test CA signs with sha1WithRSA)", () => {
    const [embedded] = pemCertificates(join(JAVA, "certificatetransparency", "cert-ct-embedded.pem"));
    const [ca] = pemCertificates(join(JAVA, "certificatetransparency", "ca-cert.pem"));
    assert.equal(embedded!.isIssuedBy(ca!), false);
  });
});

describe("certificate chains at the signing time", () => {
  const fulcioRoot = trustMaterialFromKeys({ fulcioCaPem: readFileSync(join(FIXTURES, "fulcio_v1.crt.pem")) });

  test("the Fulcio leaf chains to fulcio_v1 at its log time, through the chain's intermediate", () => {
    const verified = verifyCertificateChainAt(leaf, SIGNED_AT, fulcioRoot.certificateAuthorities, { intermediates: chain });
    assert.equal(verified.path.length, 3);
    assert.equal(verified.path[1], chain[0]);
  });

  test("not now (it expired), not without the intermediate, not with a garbage chain", async () => {
    await assertRejectsWithCode(() => verifyCertificateChainAt(leaf, new Date(), fulcioRoot.certificateAuthorities, { intermediates: chain }), "CERT_CHAIN_INVALID");
    await assertRejectsWithCode(() => verifyCertificateChainAt(leaf, SIGNED_AT, fulcioRoot.certificateAuthorities), "CERT_CHAIN_INVALID");
    const unrelated = pemCertificates(join(FIXTURES, "pki_intermediate_crts.pem"));
    await assertRejectsWithCode(() => verifyCertificateChainAt(leaf, SIGNED_AT, fulcioRoot.certificateAuthorities, { intermediates: unrelated }), "CERT_CHAIN_INVALID");
  });

  test("the intermediate trusted directly (containers/image accepts that), and the public-good root", () => {
    const direct = trustMaterialFromKeys({ fulcioCaPem: readFileSync(join(FIXTURES, "fulcio-chain"), "utf8").split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n" });
    assert.equal(verifyCertificateChainAt(leaf, SIGNED_AT, direct.certificateAuthorities).path.length, 2);
    const prod = parseTrustedRoot(readFileSync(join(PYTHON, "sigstore", "_store", "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev", "trusted_root.json")), "PROD");
    assert.equal(verifyCertificateChainAt(leaf, SIGNED_AT, prod.certificateAuthorities).authority.name, "https://fulcio.sigstore.dev");
  });

  test("an intermediate whose path length forbids another CA below it", async () => {
    const root = newKey();
    const middle = newKey();
    const lower = newKey();
    const signer = newKey();
    const time = new Date("2024-01-01T00:00:00Z");
    const span = { notBefore: new Date("2020-01-01T00:00:00Z"), notAfter: new Date("2030-01-01T00:00:00Z") };
    const rootDer = mintCertificate({ subject: "r", subjectKey: root.publicKey, issuer: "r", issuerKey: root.privateKey, ...span, extensions: [ext.basicConstraints(true), ext.keyUsage([5])] });
    const middleDer = mintCertificate({ subject: "m", subjectKey: middle.publicKey, issuer: "r", issuerKey: root.privateKey, ...span, extensions: [ext.basicConstraints(true, 0), ext.keyUsage([5])] });
    const lowerDer = mintCertificate({ subject: "l", subjectKey: lower.publicKey, issuer: "m", issuerKey: middle.privateKey, ...span, extensions: [ext.basicConstraints(true), ext.keyUsage([5])] });
    const leafDer = mintCertificate({ subject: "", subjectName: der.sequence(), subjectKey: signer.publicKey, issuer: "l", issuerKey: lower.privateKey, ...span });
    const authorities = [{ name: "test", certChain: [Certificate.parse(middleDer), Certificate.parse(rootDer)], validFor: { start: new Date(0), end: new Date(8.64e15) } }];
    await assertRejectsWithCode(() => verifyCertificateChainAt(Certificate.parse(leafDer), time, authorities, { intermediates: [Certificate.parse(lowerDer)] }), "CERT_CHAIN_INVALID");
    // A leaf the intermediate signs directly is fine.
    const directLeaf = mintCertificate({ subject: "", subjectName: der.sequence(), subjectKey: signer.publicKey, issuer: "m", issuerKey: middle.privateKey, ...span });
    assert.equal(verifyCertificateChainAt(Certificate.parse(directLeaf), time, authorities).path.length, 3);
    // A non-CA certificate cannot issue.
    const notCa = mintCertificate({ subject: "n", subjectKey: lower.publicKey, issuer: "m", issuerKey: middle.privateKey, ...span, extensions: [ext.basicConstraints(false)] });
    const underNotCa = mintCertificate({ subject: "", subjectName: der.sequence(), subjectKey: signer.publicKey, issuer: "n", issuerKey: lower.privateKey, ...span });
    await assertRejectsWithCode(() => verifyCertificateChainAt(Certificate.parse(underNotCa), time, authorities, { intermediates: [Certificate.parse(notCa)] }), "CERT_CHAIN_INVALID");
  });
});

describe("embedded SCTs", () => {
  test("sigstore-java's CT vector: the SCT verifies with its log's key over the precertificate", () => {
    const [embedded] = pemCertificates(join(JAVA, "certificatetransparency", "cert-ct-embedded.pem"));
    const [ca] = pemCertificates(join(JAVA, "certificatetransparency", "ca-cert.pem"));
    const logs = trustMaterialFromKeys({ ctLogPublicKeyPem: readFileSync(join(JAVA, "certificatetransparency", "ct-server-key-public.pem")) }).ctlogs;
    assert.equal(verifyEmbeddedScts(embedded!, ca!, logs).length, 1);
    // Another log's key, or another issuer key hash, does not verify.
    const other = trustMaterialFromKeys({ ctLogPublicKeyPem: readFileSync(join(FIXTURES, "cosign.pub")) }).ctlogs;
    assert.throws(() => verifyEmbeddedScts(embedded!, ca!, other), SctError);
    assert.throws(() => verifyEmbeddedScts(embedded!, chain[0]!, logs), SctError);
  });

  test("the Fulcio leaf's SCT verifies with the public-good CT log valid at its time", () => {
    const prod = parseTrustedRoot(readFileSync(join(PYTHON, "sigstore", "_store", "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev", "trusted_root.json")), "PROD");
    assert.equal(verifyEmbeddedScts(leaf, chain[0]!, prod.ctlogs).length, 1);
  });
});

describe("RFC 3161 timestamps", () => {
  const staging = parseTrustedRoot(readFileSync(join(PYTHON, "sigstore", "_store", "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev", "trusted_root.json")), "STAGING");
  const token = readFileSync(join(PYTHON, "test", "assets", "tsa", "issue1482-timestamp-with-no-cert"));
  const message = readFileSync(join(PYTHON, "test", "assets", "tsa", "issue1482-message"));

  test("a token without embedded certificates verifies with the staging TSA (sigstore-python issue 1482)", () => {
    const verified = verifyRfc3161Timestamp(token, message, staging.timestampAuthorities);
    assert.equal(verified.authority.name, "https://timestamp.sigstage.dev/api/v1/timestamp");
    assert.equal(verified.time.toISOString(), "2025-07-25T19:53:04.000Z");
  });

  test("another message, another TSA, a malformed token: refused", async () => {
    await assertRejectsWithCode(() => verifyRfc3161Timestamp(token, Buffer.concat([message, Buffer.of(0)]), staging.timestampAuthorities), "TIMESTAMP_INVALID");
    const prod = parseTrustedRoot(readFileSync(join(PYTHON, "sigstore", "_store", "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev", "trusted_root.json")), "PROD");
    await assertRejectsWithCode(() => verifyRfc3161Timestamp(token, message, prod.timestampAuthorities), "TIMESTAMP_INVALID");
    await assertRejectsWithCode(() => verifyRfc3161Timestamp(readFileSync(join(JAVA, "timestamp-response", "invalid", "sigstore_tsa_response_invalid.tsr")), message, staging.timestampAuthorities), "TIMESTAMP_INVALID");
  });
});
