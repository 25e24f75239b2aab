/**
 * Envelopes signet writes: the protected headers byte for byte as notation-core-go's conformance vectors
 * (MANIFEST §13), and a round trip through the verifier for both formats, both schemes and every key type.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, generateKeyPairSync, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decode } from "cbor2";
import { VECTORS } from "../../../helpers/peers.js";
import { localNotationSigner, signNotation, signNotationPayload, type NotationSigner } from "../../../../src/signatures/notation/sign-notation.js";
import { parseNotationEnvelope } from "../../../../src/signatures/notation/parse-envelope.js";
import { parseTrustPolicy } from "../../../../src/signatures/notation/trust-policy.js";
import { verifyNotationSignature } from "../../../../src/signatures/notation/verify-notation.js";
import { Certificate } from "../../../../src/trust/x509.js";
import { opensslChainOfFour, selfSignedCodeSigningCertificate } from "../../../helpers/notation.js";

const CORE = join(VECTORS, "notaryproject__notation-core-go", "signature");
const attributes = [
  { key: "signedCritKey1", value: "signedCritValue1", critical: true },
  { key: "signedKey1", value: "signedValue1", critical: false },
];

describe("conformance with notation-core-go", () => {
  test("JWS: payload, protected header and signing agent byte for byte", async () => {
    const vector = JSON.parse(readFileSync(join(CORE, "jws", "testdata", "conformance.json"), "utf8")) as { payload: string; protected: string; header: Record<string, string> };
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const signer = localNotationSigner(privateKey, [Buffer.from("not checked by this test")]);
    const { envelope } = await signNotationPayload(signer, Buffer.from('{"key":"hello JWS"}'), {
      format: "jws",
      signingTime: new Date("2022-08-29T13:50:00Z"),
      expiry: new Date("2099-08-30T13:50:00Z"),
      signingAgent: "NotationConformanceTest/1.0.0",
      extendedAttributes: [...attributes, ...["signedKey2", "signedKey3", "signedKey4"].map((key) => ({ key, value: "signedValue1", critical: false }))],
    });
    const written = JSON.parse(envelope.toString()) as { payload: string; protected: string; header: Record<string, string> };
    assert.equal(written.payload, vector.payload);
    assert.equal(written.protected, vector.protected);
    assert.equal(written.header["io.cncf.notary.signingAgent"], vector.header["io.cncf.notary.signingAgent"]);
  });

  test("COSE: protected and unprotected headers byte for byte", async () => {
    const vector = JSON.parse(readFileSync(join(CORE, "cose", "testdata", "conformance.json"), "utf8")) as {
      signingTime: number; expiry: number; payload: string; protectedHeaders: { cborHex: string }; unprotectedHeaders: { cborHex: string };
    };
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
    const chain = [Buffer.from([0x30, 0x00])];
    const signer: NotationSigner = { ...localNotationSigner(privateKey, chain) };
    const { envelope } = await signNotationPayload(signer, Buffer.from(vector.payload, "hex"), {
      format: "cose",
      signingTime: new Date(vector.signingTime * 1000),
      expiry: new Date(vector.expiry * 1000),
      signingAgent: "NotationConformanceTest/1.0.0",
      extendedAttributes: attributes,
    });
    const message = decode(envelope, { preferMap: true }) as { tag: number; contents: [Uint8Array, Map<unknown, unknown>, Uint8Array, Uint8Array] };
    assert.equal(Number(message.tag), 18);
    assert.equal(Buffer.from(message.contents[0]).toString("hex").toUpperCase(), vector.protectedHeaders.cborHex);
    assert.equal(Buffer.from(message.contents[2]).toString("hex").toUpperCase(), vector.payload);
    const expectedUnprotected = decode(Buffer.from(vector.unprotectedHeaders.cborHex, "hex"), { preferMap: true }) as Map<unknown, unknown>;
    assert.equal(message.contents[1].get("io.cncf.notary.signingAgent"), expectedUnprotected.get("io.cncf.notary.signingAgent"));
  });
});

describe("sign then verify", () => {
  const subject = { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${"ab".repeat(32)}`, size: 1234 };
  const keys = {
    "P-256": () => generateKeyPairSync("ec", { namedCurve: "P-256" }),
    "P-384": () => generateKeyPairSync("ec", { namedCurve: "P-384" }),
    "P-521": () => generateKeyPairSync("ec", { namedCurve: "P-521" }),
    "RSA-2048": () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
  };
  for (const [name, generate] of Object.entries(keys)) {
    for (const format of ["jws", "cose"] as const) {
      for (const scheme of ["notary.x509", "notary.x509.signingAuthority"] as const) {
        test(`${name} ${format} ${scheme}`, async () => {
          const { privateKey } = generate();
          const certificate = selfSignedCodeSigningCertificate(privateKey, "CN=signet test,O=Notary,L=Seattle,ST=WA,C=US");
          const { envelope, mediaType } = await signNotation(localNotationSigner(privateKey, [certificate]), {
            format, subject, signingScheme: scheme, userMetadata: { "io.example.build": "42" }, expiry: new Date(Date.now() + 3_600_000),
          });
          const parsed = parseNotationEnvelope(mediaType, envelope);
          assert.equal(parsed.signingScheme, scheme);
          const store = scheme === "notary.x509" ? "ca" : "signingAuthority";
          const policy = parseTrustPolicy({ version: "1.0", trustPolicies: [{ name: "t", registryScopes: ["*"], signatureVerification: { level: "strict" }, trustStores: [`${store}:test`], trustedIdentities: ["x509.subject:C=US,ST=WA,O=Notary"] }] });
          const trustStores = { certificates: (type: string, storeName: string) => (type === store && storeName === "test" ? [Certificate.parse(certificate)] : undefined) };
          const result = verifyNotationSignature(parsed, { statement: policy.statements[0]!, trustStores, subject, now: new Date() });
          assert.equal(result.verified, true, JSON.stringify(result.outcomes));
          assert.deepEqual(result.target?.annotations, { "io.example.build": "42" });
          assert.equal(new X509Certificate(certificate).subject.includes("CN=signet test"), true);
          const elsewhere = verifyNotationSignature(parsed, { statement: policy.statements[0]!, trustStores, subject: { ...subject, size: 1235 }, now: new Date() });
          assert.equal(elsewhere.outcomes[0]?.code, "NOTATION_INTEGRITY");
        });
      }
    }
  }
});

test("a root that allows fewer intermediate CAs than the chain has fails integrity (RFC 5280 pathLenConstraint)", async () => {
  const subject = { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${"cd".repeat(32)}`, size: 10 };
  const policy = parseTrustPolicy({ version: "1.0", trustPolicies: [{ name: "t", registryScopes: ["*"], signatureVerification: { level: "strict" }, trustStores: ["ca:test"], trustedIdentities: ["*"] }] });
  for (const [pathLength, expected] of [[1, "NOTATION_INTEGRITY"], [2, undefined]] as const) {
    const { keyPem, chain } = opensslChainOfFour(pathLength);
    const { envelope, mediaType } = await signNotation(localNotationSigner(createPrivateKey(keyPem), chain), { format: "jws", subject });
    const root = Certificate.parse(chain[3]!);
    const trustStores = { certificates: (type: string, name: string) => (type === "ca" && name === "test" ? [root] : undefined) };
    const result = verifyNotationSignature(parseNotationEnvelope(mediaType, envelope), { statement: policy.statements[0]!, trustStores, subject, now: new Date() });
    assert.equal(result.outcomes.find((outcome) => outcome.passed === false)?.code, expected, JSON.stringify(result.outcomes));
  }
});

test("JWS unprotected header: the certificate chain and the timestamp countersignature must be exact standard base64", async () => {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const certificate = selfSignedCodeSigningCertificate(privateKey, "CN=signet test,O=Notary,L=Seattle,ST=WA,C=US");
  const subject = { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${"ab".repeat(32)}`, size: 1234 };
  const { envelope, mediaType } = await signNotation(localNotationSigner(privateKey, [certificate]), { format: "jws", subject, signingScheme: "notary.x509" });
  const withHeader = (change: (header: Record<string, unknown>) => void): Buffer => {
    const jws = JSON.parse(Buffer.from(envelope).toString("utf8")) as { header: Record<string, unknown> };
    change(jws.header);
    return Buffer.from(JSON.stringify(jws));
  };
  const timestamp = Buffer.from("a timestamp token");
  const parsed = parseNotationEnvelope(mediaType, withHeader((header) => (header["io.cncf.notary.timestampSignature"] = timestamp.toString("base64"))));
  assert.deepEqual(parsed.timestampSignature, timestamp);
  for (const [what, change] of [
    ["junk in the countersignature", (header: Record<string, unknown>) => (header["io.cncf.notary.timestampSignature"] = `${timestamp.toString("base64")}!!`)],
    ["an unpadded countersignature", (header: Record<string, unknown>) => (header["io.cncf.notary.timestampSignature"] = timestamp.toString("base64").replace(/=+$/, ""))],
    ["a countersignature that is not a string", (header: Record<string, unknown>) => (header["io.cncf.notary.timestampSignature"] = 42)],
    ["a certificate with a URL-safe character", (header: Record<string, unknown>) => (header["x5c"] = [`-${(header["x5c"] as string[])[0]!.slice(1)}`])],
  ] as const) {
    assert.throws(() => parseNotationEnvelope(mediaType, withHeader(change)), { code: "NOTATION_ENVELOPE_INVALID" }, what);
  }
});
