/**
 * notation-core-go's vectors (MANIFEST §13) other than the envelope conformance ones, and notation-go's raw
 * timestamp tokens: certificate files, timestamping chains, CRL distribution points and delta CRLs, and
 * timestamp tokens, each as upstream's tests state. Every file in these folders has an expectation here.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { VECTORS } from "../../../helpers/peers.js";
import { parseCertificateFile } from "../../../../src/signatures/notation/trust-store-files.js";
import { NotationTimestampError, validateTimestampingChain, verifyNotationTimestamp } from "../../../../src/signatures/notation/timestamp.js";
import { CrlError, distributionPointUris, parseCrl } from "../../../../src/trust/crl.js";
import { OID } from "../../../../src/internal/oids.js";
import { parseTimestampToken, TimestampError } from "../../../../src/trust/rfc3161.js";
import { Certificate } from "../../../../src/trust/x509.js";

const CORE = join(VECTORS, "notaryproject__notation-core-go");
const read = (...path: string[]) => readFileSync(join(CORE, ...path));
const certificate = (...path: string[]) => parseCertificateFile(read(...path), path.join("/"))[0]!;

describe("x509/testdata: certificate files (cert_test.go)", () => {
  const expected: Record<string, number | "error" | "self-signed"> = {
    "pem.crt": 1, "multi-pem.crt": 2, "der.der": 1, "multi-der.der": 2, invalid: "error", "openssl-minimum-self-signed.pem": "self-signed",
    "timestamp_leaf.crt": 1, "timestamp_intermediate.crt": 1, "timestamp_root.crt": 1,
  };
  for (const file of readdirSync(join(CORE, "x509", "testdata")).sort()) {
    test(file, () => {
      const want = expected[file];
      assert.ok(want !== undefined, `no expectation for ${file}`);
      if (want === "error") {
        assert.throws(() => parseCertificateFile(read("x509", "testdata", file), file), (error: { code?: string }) => error.code === "NOTATION_TRUST_STORE_INVALID");
        return;
      }
      const certificates = parseCertificateFile(read("x509", "testdata", file), file);
      if (want === "self-signed") assert.ok(certificates[0]!.isIssuedBy(certificates[0]!));
      else assert.equal(certificates.length, want);
    });
  }
  test("timestamping chains (timestamp_cert_validations_test.go)", () => {
    const leaf = certificate("x509", "testdata", "timestamp_leaf.crt");
    const intermediate = certificate("x509", "testdata", "timestamp_intermediate.crt");
    const root = certificate("x509", "testdata", "timestamp_root.crt");
    validateTimestampingChain([leaf, intermediate, root]);
    const refused = (chain: Certificate[], message: string) =>
      assert.throws(() => validateTimestampingChain(chain), (error: Error) => error instanceof NotationTimestampError && error.message.startsWith(message));
    refused([], "certificate chain must contain at least one certificate");
    refused([leaf], 'invalid self-signed certificate. subject: "CN=DigiCert Timestamp 2023,O=DigiCert\\, Inc.,C=US"');
    refused([leaf, intermediate], 'root certificate with subject "CN=DigiCert Trusted G4 RSA4096 SHA256 TimeStamping CA,O=DigiCert\\, Inc.,C=US" is invalid or not self-signed');
    refused([root, root], 'leaf certificate with subject "CN=DigiCert Trusted Root G4,OU=www.digicert.com,O=DigiCert Inc,C=US" is self-signed');
    refused([leaf, intermediate, root, root], 'intermediate certificate with subject "CN=DigiCert Trusted Root G4,OU=www.digicert.com,O=DigiCert Inc,C=US" is self-signed');
  });
});

describe("revocation/crl/testdata: distribution points and delta CRLs (fetcher_test.go)", () => {
  const freshest = (file: string) => certificate("revocation", "crl", "testdata", file).extension(OID.FRESHEST_CRL)?.value;
  const expectations: Record<string, () => void> = {
    "certificateWithDeltaCRL.cer": () => {
      const urls = distributionPointUris(freshest("certificateWithDeltaCRL.cer"));
      assert.equal(urls.length, 1);
      assert.ok(urls[0]!.startsWith("http://localhost:80"));
    },
    "certificateWith2DeltaCRL.cer": () => assert.equal(distributionPointUris(freshest("certificateWith2DeltaCRL.cer")).length, 2),
    "certificateWithZeroDeltaCRLURL.cer": () => assert.deepEqual(distributionPointUris(freshest("certificateWithZeroDeltaCRLURL.cer")), []),
    "certificateWithNonURIDeltaCRL.cer": () => assert.deepEqual(distributionPointUris(freshest("certificateWithNonURIDeltaCRL.cer")), []),
    "certificateWithIncompleteFreshestCRL.cer": () =>
      assert.throws(() => distributionPointUris(freshest("certificateWithIncompleteFreshestCRL.cer")), (error: Error) => error instanceof CrlError && error.message === "x509: invalid CRL distribution point"),
    "certificateWithIncompleteFreshestCRL2.cer": () => assert.deepEqual(distributionPointUris(freshest("certificateWithIncompleteFreshestCRL2.cer")), []),
    "crlWithMultipleFreshestCRLs.crl": () => {
      const list = parseCrl(read("revocation", "crl", "testdata", "crlWithMultipleFreshestCRLs.crl"));
      const extension = list.extensions.find((candidate) => candidate.oid === OID.FRESHEST_CRL);
      assert.ok(extension, "the base CRL names its delta CRLs");
      assert.ok(distributionPointUris(extension.value).length >= 2);
      // upstream: the second URL answers "invalid crl", which is refused as malformed.
      assert.throws(() => parseCrl(Buffer.from("invalid crl")), (error: Error) => error instanceof CrlError && error.message.startsWith("x509: malformed crl"));
    },
    "delta.crl": () => {
      const list = parseCrl(read("revocation", "crl", "testdata", "delta.crl"));
      assert.notEqual(list.deltaOf, undefined, "a delta CRL carries the delta CRL indicator");
    },
  };
  test("empty extension", () => assert.throws(() => distributionPointUris(undefined), CrlError));
  for (const file of readdirSync(join(CORE, "revocation", "crl", "testdata")).sort()) {
    test(file, () => {
      const expectation = expectations[file];
      assert.ok(expectation, `no expectation for ${file}`);
      expectation();
    });
  }
});

describe("timestamp tokens", () => {
  test("internal/timestamp/testdata: a token with an invalid signature does not verify with its TSA root", () => {
    const roots = parseCertificateFile(read("internal", "timestamp", "testdata", "tsaRootCert.cer"), "tsaRootCert.cer");
    const token = read("internal", "timestamp", "testdata", "TimeStampTokenWithInvalidSignature.p7s");
    const parsed = parseTimestampToken(token);
    assert.throws(() => verifyNotationTimestamp(token, Buffer.alloc(0), roots), NotationTimestampError);
    const signer = parsed.certificates.map((der) => Certificate.parse(der)).find((candidate) => candidate.serialNumber.equals(parsed.signerSerial));
    assert.ok(signer, "the token carries its signer");
    assert.equal(parsed.isSignedBy(signer.publicKey), false, "the signature is invalid");
  });
  const COUNTER = join(VECTORS, "notaryproject__notation-go", "verifier", "testdata", "timestamp", "countersignature");
  const expectations: Record<string, (bytes: Buffer) => void> = {
    "TimeStampToken.p7s": (bytes) => {
      const token = parseTimestampToken(bytes);
      assert.ok(token.certificates.length > 0);
      assert.ok(token.time.getTime() > 0);
    },
    "TimeStampTokenWithoutCertificate.p7s": (bytes) => {
      assert.equal(parseTimestampToken(bytes).certificates.length, 0);
      assert.throws(() => verifyNotationTimestamp(bytes, Buffer.alloc(0), []), NotationTimestampError);
    },
    "TimeStampTokenWithInvalideContentType.p7s": (bytes) => assert.throws(() => parseTimestampToken(bytes), TimestampError),
    "TimeStampTokenWithInvalidTSTInfo.p7s": (bytes) => assert.throws(() => parseTimestampToken(bytes), TimestampError),
  };
  for (const file of readdirSync(COUNTER).sort()) {
    test(`notation-go countersignature/${file}`, () => {
      const expectation = expectations[file];
      assert.ok(expectation, `no expectation for ${file}`);
      expectation(readFileSync(join(COUNTER, file)));
    });
  }
});
