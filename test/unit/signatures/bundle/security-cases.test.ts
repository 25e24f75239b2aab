/**
 * The attacks of the project's security-cases list (section A, summarised in docs/security.md) that concern certificates, identities, logs and bundles
 * (A.1-A.3, A.6-A.10, A.12), each shown refused with its error code: in a sigstore bundle and, where the format
 * allows it, in a cosign `.sig` layer; with a trusted_root.json and with keys named directly (policy.json).
 * The material comes from a test CA and log (test-sigstore.ts), built valid and then changed in one way.
 */
import assert from "node:assert/strict";
import { createHash, sign } from "node:crypto";
import { describe, test } from "node:test";
import type { ErrorCode } from "../../../../src/errors/index.js";
import { verifyCosignKeylessLayer, verifySigstoreBundle, type IdentityPolicy, type SignerPolicy, type VerifyBundleOptions } from "../../../../src/signatures/bundle/index.js";
import { parseTrustedRoot, trustMaterialFromKeys, type TrustMaterial } from "../../../../src/trust/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { ext, newKey, toPem } from "../../trust/test-pki.js";
import { paeOf, SIGNED_AT, TestSigstore, type BuiltBundle } from "./test-sigstore.js";

const ARTIFACT = Buffer.from("the artifact\n");
const SIGNER: IdentityPolicy = { kind: "identity", subject: "signer@example.com", issuer: "https://issuer.example" };

const sigstore = new TestSigstore();
const trust = sigstore.trust();
/** The same authorities named the way policy.json names them: a CA file (root and intermediate) and a log key. */
const keysTrust = trustMaterialFromKeys({ fulcioCaPem: sigstore.rootPem() + sigstore.intermediatePem(), rekorPublicKeyPem: sigstore.logPublicKeyPem() });
/** Only the root: a cosign layer's chain annotation must supply the intermediate. */
const rootOnlyTrust = trustMaterialFromKeys({ fulcioCaPem: sigstore.rootPem(), rekorPublicKeyPem: sigstore.logPublicKeyPem() });

function verify(built: BuiltBundle, policy: SignerPolicy = SIGNER, material: TrustMaterial = trust, options: VerifyBundleOptions = {}, artifact = ARTIFACT) {
  return verifySigstoreBundle(built.bundle, { bytes: artifact }, policy, material, options);
}

function verifyLayer(built: BuiltBundle, policy: SignerPolicy = SIGNER, material: TrustMaterial = rootOnlyTrust, chainPem = sigstore.intermediatePem()) {
  return verifyCosignKeylessLayer(
    {
      payload: ARTIFACT,
      signatureBase64: built.signature.toString("base64"),
      ...(built.certificate === undefined ? {} : { certificatePem: toPem("CERTIFICATE", built.certificate), chainPem }),
      rekorBundleJson: built.rekorBundleJson,
    },
    policy,
    material,
  );
}

async function rejects(code: ErrorCode, action: () => unknown): Promise<void> {
  await assertRejectsWithCode(action, code);
}

describe("the baseline material verifies (so every rejection below is caused by the one change made)", () => {
  test("bundle v0.1 (SET), v0.3 (proof + checkpoint), with a trusted root and with policy keys", () => {
    for (const version of ["0.1", "0.3"] as const) {
      const built = sigstore.bundle({ artifact: ARTIFACT, version, promise: true });
      assert.equal(verify(built).signer.subject, "signer@example.com");
      assert.equal(verify(built, SIGNER, keysTrust).signer.issuer, "https://issuer.example");
    }
  });
  test("cosign .sig layer with the chain annotation, with policy keys and with a trusted root", () => {
    const built = sigstore.bundle({ artifact: ARTIFACT });
    assert.deepEqual(verifyLayer(built).timestamps.map((t) => t.time.toISOString()), [SIGNED_AT.toISOString()]);
    assert.equal(verifyLayer(built, SIGNER, trust).signer.subject, "signer@example.com");
  });
});

describe("A.1 a log entry for something else", () => {
  const other = newKey();
  const otherSignature = sign("sha256", Buffer.from("another artifact"), other.privateKey);
  const cases: [string, Parameters<TestSigstore["bundle"]>[0]["entry"]][] = [
    ["another signature", { signature: otherSignature }],
    ["another certificate", { verifierPem: toPem("CERTIFICATE", sigstore.leafFor(other.publicKey)) }],
    ["another digest", { digestHex: createHash("sha256").update("another artifact").digest("hex") }],
    ["a public key instead of the certificate", { verifierPem: other.publicKey.export({ format: "pem", type: "spki" }).toString() }],
  ];
  for (const [what, entry] of cases) {
    test(`an entry recording ${what}, signed by the log, is refused in a bundle, a .sig layer, with a trusted root and with keys`, async () => {
      for (const version of ["0.1", "0.3"] as const) {
        const built = sigstore.bundle({ artifact: ARTIFACT, version, entry });
        await rejects("TLOG_ENTRY_MISMATCH", () => verify(built));
        await rejects("TLOG_ENTRY_MISMATCH", () => verify(built, SIGNER, keysTrust));
      }
      const built = sigstore.bundle({ artifact: ARTIFACT, entry });
      await rejects("TLOG_ENTRY_MISMATCH", () => verifyLayer(built));
      await rejects("TLOG_ENTRY_MISMATCH", () => verifyLayer(built, SIGNER, trust));
    });
  }
  test("a key-signed bundle whose entry records another key", async () => {
    const key = newKey();
    const built = sigstore.bundle({ artifact: ARTIFACT, keySigned: key, entry: { verifierPem: other.publicKey.export({ format: "pem", type: "spki" }).toString() } });
    await rejects("TLOG_ENTRY_MISMATCH", () => verify(built, { kind: "key", publicKey: key.publicKey }));
  });
  test("a DSSE bundle whose entry records another payload", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT, dsse: { payloadType: "text/plain", payload: ARTIFACT }, entry: { digestHex: "00".repeat(32) } });
    await rejects("TLOG_ENTRY_MISMATCH", () => verify(built));
  });
});

describe("A.2 a broken bundle does not pass", () => {
  test("a bad SET", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT, logSigner: newKey() });
    await rejects("TLOG_PROOF_INVALID", () => verify(built));
    await rejects("TLOG_PROOF_INVALID", () => verifyLayer(built));
  });
  test("a bundle certificate that is not the signature's", async () => {
    const stranger = newKey();
    const built = sigstore.bundle({ artifact: ARTIFACT, certificateOverride: sigstore.leafFor(stranger.publicKey) });
    await rejects("SIG_INVALID", () => verify(built));
    await rejects("SIG_INVALID", () => verifyLayer(built));
  });
  test("an expired certificate with a bad SET", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT, integratedTime: SIGNED_AT.getTime() / 1000 + 3600, logSigner: newKey() });
    await rejects("TLOG_PROOF_INVALID", () => verify(built));
  });
  test("an expired certificate with a genuine SET", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT, integratedTime: SIGNED_AT.getTime() / 1000 + 3600 });
    await rejects("CERT_CHAIN_INVALID", () => verify(built));
    await rejects("CERT_CHAIN_INVALID", () => verifyLayer(built));
  });
  test("no certificate at all", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT });
    const material = built.bundle["verificationMaterial"] as Record<string, unknown>;
    await rejects("BUNDLE_INVALID", () => verifySigstoreBundle({ ...built.bundle, verificationMaterial: { ...material, x509CertificateChain: { certificates: [] } } }, { bytes: ARTIFACT }, SIGNER, trust));
    const { x509CertificateChain: _removed, ...withoutKey } = material;
    await rejects("BUNDLE_INVALID", () => verifySigstoreBundle({ ...built.bundle, verificationMaterial: withoutKey }, { bytes: ARTIFACT }, SIGNER, trust));
    // A .sig layer without its certificate annotation is key-signed material: no identity can be proven.
    await rejects("CERT_IDENTITY_MISMATCH", () => verifyCosignKeylessLayer({ payload: ARTIFACT, signatureBase64: built.signature.toString("base64"), rekorBundleJson: built.rekorBundleJson }, SIGNER, rootOnlyTrust));
  });
  test("no log entry when one is required, and no SET in a .sig layer", async () => {
    await rejects("TLOG_ENTRY_MISSING", () => verify(sigstore.bundle({ artifact: ARTIFACT, omitTlog: true })));
    const built = sigstore.bundle({ artifact: ARTIFACT });
    await rejects("TLOG_ENTRY_MISSING", () =>
      verifyCosignKeylessLayer({ payload: ARTIFACT, signatureBase64: built.signature.toString("base64"), certificatePem: toPem("CERTIFICATE", built.certificate!), chainPem: sigstore.intermediatePem() }, SIGNER, rootOnlyTrust),
    );
  });
});

describe("A.3 an inclusion proof not anchored", () => {
  test("a proof whose checkpoint another log signed", async () => {
    await rejects("TLOG_PROOF_INVALID", () => verify(sigstore.bundle({ artifact: ARTIFACT, version: "0.3", promise: false, logSigner: newKey() })));
  });
  test("a checkpoint whose root differs from the proof's", async () => {
    await rejects("TLOG_PROOF_INVALID", () => verify(sigstore.bundle({ artifact: ARTIFACT, version: "0.3", checkpointRootHash: Buffer.alloc(32, 7) })));
  });
  test("a log id the trusted root does not list", async () => {
    const elsewhere = new TestSigstore();
    await rejects("TLOG_PROOF_INVALID", () => verify(elsewhere.bundle({ artifact: ARTIFACT, leaf: {} }), { kind: "identity", insecureAnyIdentity: true }));
  });
  test("a negative log index", async () => {
    await rejects("TLOG_PROOF_INVALID", () => verify(sigstore.bundle({ artifact: ARTIFACT, logIndex: -1 })));
  });
  test("an integrated time in the future", async () => {
    const future = Date.now() / 1000 + 86_400;
    const built = sigstore.bundle({ artifact: ARTIFACT, integratedTime: Math.floor(future), signedAt: new Date(future * 1000) });
    await rejects("TLOG_PROOF_INVALID", () => verify(built));
  });
  test("an integrated time without a SET is no trusted time", async () => {
    // v0.3 with an inclusion proof only: the integrated time is unsigned, and there is no TSA timestamp.
    const built = sigstore.bundle({ artifact: ARTIFACT, version: "0.3", promise: false, proof: true });
    await rejects("TIMESTAMP_INVALID", () => verify(built));
  });
});

describe("A.6 every identity rule is enforced on its own", () => {
  const built = sigstore.bundle({ artifact: ARTIFACT });
  test("a rule with only a subject regexp, or only an issuer, is a configuration error", async () => {
    await rejects("IDENTITY_POLICY_INVALID", () => verify(built, { kind: "identity", subjectRegExp: ".*" }));
    await rejects("IDENTITY_POLICY_INVALID", () => verify(built, { kind: "identity", issuer: "https://issuer.example" }));
    await rejects("IDENTITY_POLICY_INVALID", () => verify(built, { kind: "identity" }));
  });
  test("a matching subject does not excuse another issuer, nor a matching issuer another subject", async () => {
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(built, { kind: "identity", subjectRegExp: ".*@example\\.com", issuer: "https://other.example" }));
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(built, { kind: "identity", subject: "other@example.com", issuerRegExp: ".*" }));
  });
  test("a GitHub workflow claim the certificate lacks or contradicts", async () => {
    const workflow = sigstore.bundle({ artifact: ARTIFACT, leaf: { extraExtensions: [ext.fulcioRaw(5, "org/repo"), ext.fulcioRaw(6, "refs/heads/main")] } });
    assert.equal(verify(workflow, { ...SIGNER, githubWorkflowRepository: "org/repo", githubWorkflowRef: "refs/heads/main" }).signer.extensions.githubWorkflowRepository, "org/repo");
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(workflow, { ...SIGNER, githubWorkflowRepository: "org/other" }));
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(workflow, { ...SIGNER, githubWorkflowTrigger: "push" }));
  });
  test("a key policy does not accept a certificate-signed bundle, nor an identity policy a key-signed one", async () => {
    await rejects("SIG_INVALID", () => verify(built, { kind: "key", publicKey: built.signingKey.publicKey }));
    const keyed = sigstore.bundle({ artifact: ARTIFACT, keySigned: newKey() });
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(keyed, SIGNER));
  });
});

describe("A.7 identities match whole values", () => {
  test("user@example.com does not match user@example.com.evil.net, exactly or by regexp", async () => {
    const evil = sigstore.bundle({ artifact: ARTIFACT, leaf: { sans: [{ type: "email", value: "user@example.com.evil.net" }] } });
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(evil, { ...SIGNER, subject: "user@example.com" }));
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(evil, { kind: "identity", subjectRegExp: "user@example\\.com", issuer: SIGNER.issuer! }));
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(evil, { kind: "identity", subject: "user@example.com.evil.net", issuerRegExp: "https://issuer" }));
  });
  test("a workflow identity does not match another workflow file, nor a regexp a longer value", async () => {
    const workflow = "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main";
    const built = sigstore.bundle({ artifact: ARTIFACT, leaf: { sans: [{ type: "uri", value: "https://github.com/org/repo/.github/workflows/release.yml.evil.yml@refs/heads/main" }] } });
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(built, { ...SIGNER, subject: workflow }));
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(built, { kind: "identity", subjectRegExp: "https://github.com/org/repo/.github/workflows/release.yml", issuer: SIGNER.issuer! }));
    const good = sigstore.bundle({ artifact: ARTIFACT, leaf: { sans: [{ type: "uri", value: workflow }] } });
    assert.equal(verify(good, { kind: "identity", subjectRegExp: "https://github\\.com/org/repo/\\.github/workflows/release\\.yml@refs/heads/.*", issuer: SIGNER.issuer! }).signer.subject, workflow);
  });
  test("a regexp cannot escape its anchoring group", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT, leaf: { sans: [{ type: "email", value: "attacker@evil.net" }] } });
    await rejects("IDENTITY_POLICY_INVALID", () => verify(built, { kind: "identity", subjectRegExp: "nobody)|(.*", issuer: SIGNER.issuer! }));
  });
});

describe("A.8 SAN type and issuer extension confusion", () => {
  test("a URI identity held in an email SAN", async () => {
    const uri = "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main";
    const built = sigstore.bundle({ artifact: ARTIFACT, leaf: { sans: [{ type: "email", value: uri }] } });
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(built, { ...SIGNER, subject: uri }));
  });
  test("two issuer extensions that disagree", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT, leaf: { issuer: { v1: "https://issuer.example", v2: "https://evil.example" } } });
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(built));
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(built, { ...SIGNER, issuer: "https://evil.example" }));
  });
  test("a repeated issuer extension makes the certificate unreadable", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT, leaf: { issuer: { v2: "https://issuer.example" }, extraExtensions: [ext.fulcioIssuerV2("https://evil.example")] } });
    await rejects("BUNDLE_INVALID", () => verify(built));
  });
  test("no SAN, but a matching common name", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT, leaf: { sans: [], commonName: "signer@example.com" } });
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(built));
  });
  test("two identity SANs are ambiguous", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT, leaf: { sans: [{ type: "email", value: "signer@example.com" }, { type: "email", value: "other@example.com" }] } });
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(built));
  });
  test("the issuer extension in either encoding alone is read", () => {
    for (const issuer of [{ v1: "https://issuer.example" }, { v2: "https://issuer.example" }]) {
      assert.equal(verify(sigstore.bundle({ artifact: ARTIFACT, leaf: { issuer } })).signer.issuer, "https://issuer.example");
    }
  });
  test("an otherName (Fulcio username) SAN matches only as a username", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT, leaf: { sans: [{ type: "otherName", oid: "1.3.6.1.4.1.57264.1.7", value: "foo!oidc.local" }] } });
    assert.equal(verify(built, { ...SIGNER, subject: "foo!oidc.local" }).signer.subject, "foo!oidc.local");
    await rejects("CERT_IDENTITY_MISMATCH", () => verify(built, { ...SIGNER, subject: "foo@oidc.local" }));
  });
  test("a leaf that is not for code signing", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT, leaf: { extendedKeyUsage: ["1.3.6.1.5.5.7.3.1"] } });
    await rejects("CERT_CHAIN_INVALID", () => verify(built));
  });
});

describe("A.9 every certificate and key valid at the signing time", () => {
  test("an intermediate that expired before the signing time, under a valid root", async () => {
    const expired = new TestSigstore({ caIntermediateNotAfter: new Date(SIGNED_AT.getTime() - 60_000) });
    const built = expired.bundle({ artifact: ARTIFACT });
    await rejects("CERT_CHAIN_INVALID", () => verify(built, SIGNER, expired.trust()));
    await rejects("CERT_CHAIN_INVALID", () => verifyLayer(built, SIGNER, trustMaterialFromKeys({ fulcioCaPem: expired.rootPem(), rekorPublicKeyPem: expired.logPublicKeyPem() }), expired.intermediatePem()));
  });
  test("a CA whose trusted-root validity ends before the signing time", async () => {
    const ended = new TestSigstore({ caValidFor: { start: "2020-01-01T00:00:00Z", end: "2024-02-01T00:00:00Z" } });
    await rejects("CERT_CHAIN_INVALID", () => verify(ended.bundle({ artifact: ARTIFACT }), SIGNER, ended.trust()));
  });
  test("a log key whose trusted-root validity excludes the integrated time; its end is inclusive", async () => {
    const time = SIGNED_AT.toISOString().replace(".000", "");
    const before = new TestSigstore({ logValidFor: { start: "2020-01-01T00:00:00Z", end: "2024-02-29T00:00:00Z" } });
    await rejects("TLOG_PROOF_INVALID", () => verify(before.bundle({ artifact: ARTIFACT }), SIGNER, before.trust()));
    const notYet = new TestSigstore({ logValidFor: { start: "2024-03-02T00:00:00Z" } });
    await rejects("TLOG_PROOF_INVALID", () => verify(notYet.bundle({ artifact: ARTIFACT }), SIGNER, notYet.trust()));
    const endsThen = new TestSigstore({ logValidFor: { start: "2020-01-01T00:00:00Z", end: time } });
    assert.equal(verify(endsThen.bundle({ artifact: ARTIFACT }), SIGNER, endsThen.trust()).tlogEntries.length, 1);
  });
  test("a log known only by its checkpoint must be valid at the verified time (now, without one)", async () => {
    const ended = new TestSigstore({ logValidFor: { start: "2020-01-01T00:00:00Z", end: "2024-02-29T00:00:00Z" } });
    const key = newKey();
    const built = ended.bundle({ artifact: ARTIFACT, version: "0.3", promise: false, keySigned: key });
    await rejects("TLOG_PROOF_INVALID", () => verify(built, { kind: "key", publicKey: key.publicKey }, ended.trust(), { requireTimestamps: 0 }));
    const current = new TestSigstore();
    const fine = current.bundle({ artifact: ARTIFACT, version: "0.3", promise: false, keySigned: key });
    assert.deepEqual(verify(fine, { kind: "key", publicKey: key.publicKey }, current.trust(), { requireTimestamps: 0 }).tlogEntries[0]!.inclusion, { promise: false, proof: true });
  });
});

describe("A.10 duplicates are counted once", () => {
  test("two entries of one log are one time source", async () => {
    const first = sigstore.bundle({ artifact: ARTIFACT });
    const material = first.bundle["verificationMaterial"] as { tlogEntries: unknown[] };
    const twice = { ...first.bundle, verificationMaterial: { ...material, tlogEntries: [material.tlogEntries[0], material.tlogEntries[0]] } };
    assert.equal(verifySigstoreBundle(twice, { bytes: ARTIFACT }, SIGNER, trust).timestamps.length, 2);
    await rejects("TIMESTAMP_INVALID", () => verifySigstoreBundle(twice, { bytes: ARTIFACT }, SIGNER, trust, { requireTimestamps: 2 }));
  });
  test("one log key listed under two log ids is one time source", async () => {
    const root = sigstore.trustedRootJson() as { tlogs: Record<string, unknown>[] };
    const alias = { ...root.tlogs[0]!, baseUrl: "https://alias.rekor.test", logId: { keyId: Buffer.alloc(32, 9).toString("base64") } };
    const aliased = parseTrustedRoot(JSON.stringify({ ...root, tlogs: [root.tlogs[0], alias] }), "aliased");
    const first = sigstore.bundle({ artifact: ARTIFACT });
    const entry = (first.bundle["verificationMaterial"] as { tlogEntries: Record<string, unknown>[] }).tlogEntries[0]!;
    // The alias entry carries the same SET: it only verifies for the real log id, so it cannot count at all.
    const aliasEntry = { ...entry, logId: { keyId: Buffer.alloc(32, 9).toString("base64") } };
    const bundle = { ...first.bundle, verificationMaterial: { ...(first.bundle["verificationMaterial"] as object), tlogEntries: [entry, aliasEntry] } };
    await rejects("TLOG_PROOF_INVALID", () => verifySigstoreBundle(bundle, { bytes: ARTIFACT }, SIGNER, aliased, { requireTimestamps: 2 }));
    const twice = { ...first.bundle, verificationMaterial: { ...(first.bundle["verificationMaterial"] as object), tlogEntries: [entry, entry] } };
    await rejects("TIMESTAMP_INVALID", () => verifySigstoreBundle(twice, { bytes: ARTIFACT }, SIGNER, aliased, { requireTimestamps: 2 }));
  });
});

describe("A.12 the subject is bound", () => {
  const statement = (subject: unknown): Buffer => Buffer.from(JSON.stringify({ _type: "https://in-toto.io/Statement/v1", subject, predicateType: "https://example.com/p", predicate: {} }));
  const dsse = (payload: Buffer) => sigstore.bundle({ artifact: ARTIFACT, dsse: { payloadType: "application/vnd.in-toto+json", payload } });
  const digest = createHash("sha256").update(ARTIFACT).digest("hex");
  test("a statement naming the artifact verifies, by bytes and by digest", () => {
    const built = dsse(statement([{ name: "a", digest: { sha256: digest } }]));
    assert.equal(verify(built).artifactDigest, `sha256:${digest}`);
    assert.equal(verifySigstoreBundle(built.bundle, { digest: { algorithm: "sha256", hex: digest } }, SIGNER, trust).payloadType, "application/vnd.in-toto+json");
  });
  test("a statement naming another artifact", async () => {
    await rejects("SIG_DIGEST_MISMATCH", () => verify(dsse(statement([{ name: "a", digest: { sha256: "11".repeat(32) } }]))));
  });
  test("an empty, null or missing subject", async () => {
    for (const subject of [[], null, undefined]) await rejects("SIG_PAYLOAD_INVALID", () => verify(dsse(statement(subject))));
  });
  test("a sha512-only subject given a sha256 digest: no guessing", async () => {
    const sha512 = createHash("sha512").update(ARTIFACT).digest("hex");
    const built = dsse(statement([{ name: "a", digest: { sha512 } }]));
    await rejects("SIG_DIGEST_MISMATCH", () => verifySigstoreBundle(built.bundle, { digest: { algorithm: "sha256", hex: digest } }, SIGNER, trust));
    // With the bytes, the sha512 the subject gives can be computed and compared.
    assert.equal(verify(built).signer.subject, "signer@example.com");
  });
  test("a payload that is not a statement, or not in-toto", async () => {
    await rejects("SIG_PAYLOAD_INVALID", () => verify(dsse(Buffer.from("not json"))));
    await rejects("SIG_PAYLOAD_INVALID", () => verify(dsse(Buffer.from(JSON.stringify({ _type: "https://example.com/Statement/v1", subject: [{ digest: { sha256: digest } }] })))));
  });
  test("a message digest that is not the artifact's", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT });
    const content = built.bundle["messageSignature"] as Record<string, unknown>;
    const forged = { ...built.bundle, messageSignature: { ...content, messageDigest: { algorithm: "SHA2_256", digest: Buffer.alloc(32, 1).toString("base64") } } };
    await rejects("SIG_DIGEST_MISMATCH", () => verifySigstoreBundle(forged, { bytes: ARTIFACT }, SIGNER, trust));
    await rejects("SIG_DIGEST_MISMATCH", () => verify(built, SIGNER, trust, {}, Buffer.from("another artifact")));
  });
  test("DSSE payload type confusion: the PAE binds the type, in UTF-8 bytes", async () => {
    const built = sigstore.bundle({ artifact: ARTIFACT, dsse: { payloadType: "text/plain", payload: ARTIFACT } });
    const envelope = built.bundle["dsseEnvelope"] as Record<string, unknown>;
    await rejects("SIG_INVALID", () => verifySigstoreBundle({ ...built.bundle, dsseEnvelope: { ...envelope, payloadType: "application/json" } }, { bytes: ARTIFACT }, SIGNER, trust));
    assert.equal(paeOf("é", Buffer.from("x")).toString(), "DSSEv1 2 é 1 x");
    const unicode = sigstore.bundle({ artifact: ARTIFACT, dsse: { payloadType: "text/plain; é", payload: ARTIFACT } });
    assert.equal(verify(unicode).payloadType, "text/plain; é");
  });
});

describe("D.29 trust anchors come only from the trust material", () => {
  test("a bundle chain holding its own root does not make that root trusted", async () => {
    const rogue = new TestSigstore();
    const built = rogue.bundle({ artifact: ARTIFACT });
    const chain = { certificates: [built.certificate!, rogue.ca.intermediate.der, rogue.ca.root.der].map((c) => ({ rawBytes: c.toString("base64") })) };
    const bundle = { ...built.bundle, verificationMaterial: { ...(built.bundle["verificationMaterial"] as object), x509CertificateChain: chain } };
    await rejects("TLOG_PROOF_INVALID", () => verifySigstoreBundle(bundle, { bytes: ARTIFACT }, SIGNER, trust));
    // Even with the log trusted, the rogue CA is not.
    const mixed = parseTrustedRoot(JSON.stringify({ ...sigstore.trustedRootJson(), tlogs: (rogue.trustedRootJson() as { tlogs: unknown[] }).tlogs }), "mixed");
    await rejects("CERT_CHAIN_INVALID", () => verifySigstoreBundle(bundle, { bytes: ARTIFACT }, SIGNER, mixed));
  });
  test("a cosign chain annotation holding a rogue intermediate and root", async () => {
    const rogue = new TestSigstore();
    const built = rogue.bundle({ artifact: ARTIFACT });
    const logOnly = trustMaterialFromKeys({ fulcioCaPem: sigstore.rootPem(), rekorPublicKeyPem: rogue.logPublicKeyPem() });
    await rejects("CERT_CHAIN_INVALID", () => verifyLayer(built, SIGNER, logOnly, rogue.intermediatePem() + rogue.rootPem()));
  });
});
