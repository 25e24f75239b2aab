/**
 * Every sigstore bundle in the sigstore-python, -go, -java and -js vector sets (and cosign's and sigstore-rs's),
 * verified offline with the trusted root, artifact and policy MANIFEST §4-§9 give, at signing time, against the
 * outcome upstream states. A walk of the folders fails the test when a bundle appears that this table does not
 * cover, so nothing in the vectors goes unchecked.
 */
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import type { ErrorCode } from "../../src/errors/index.js";
import { SignetError } from "../../src/errors/index.js";
import type { ArtifactInput, SignerPolicy, VerifiedBundle, VerifyBundleOptions } from "../../src/signatures/bundle/index.js";
import { verifySigstoreBundle } from "../../src/signatures/bundle/index.js";
import { parseTrustedRoot, type TrustMaterial } from "../../src/trust/index.js";
import { VECTORS } from "../helpers/peers.js";

const PYTHON = join(VECTORS, "sigstore__sigstore-python");
const GO = join(VECTORS, "sigstore__sigstore-go");
const JAVA = join(VECTORS, "sigstore__sigstore-java", "sigstore-java", "src", "test", "resources", "dev", "sigstore", "samples", "bundles");
const JS = join(VECTORS, "sigstore__sigstore-js", "_derived", "packages", "client", "src", "__tests__", "__fixtures__");
const COSIGN = join(VECTORS, "sigstore__cosign", "pkg", "cosign", "testdata");
const RUST = join(VECTORS, "sigstore__sigstore-rs", "tests", "data");

function root(path: string): TrustMaterial {
  return parseTrustedRoot(readFileSync(path), relative(VECTORS, path));
}
const PROD = root(join(PYTHON, "sigstore", "_store", "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev", "trusted_root.json"));
const STAGING = root(join(PYTHON, "sigstore", "_store", "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev", "trusted_root.json"));

/** STAGING with its timestamp authorities replaced by sigstore-python's test TSA (tsa/ca.json). */
function stagingWithTestTsa(): TrustMaterial {
  const document = JSON.parse(readFileSync(join(PYTHON, "sigstore", "_store", "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev", "trusted_root.json"), "utf8")) as Record<string, unknown>;
  document["timestampAuthorities"] = [JSON.parse(readFileSync(join(PYTHON, "test", "assets", "tsa", "ca.json"), "utf8"))];
  return parseTrustedRoot(JSON.stringify(document), "STAGING with tsa/ca.json");
}

const bytesOf = (path: string): ArtifactInput => ({ bytes: readFileSync(path) });
const sha256 = (hex: string): ArtifactInput => ({ digest: { algorithm: "sha256", hex } });
const anyIdentity: SignerPolicy = { kind: "identity", insecureAnyIdentity: true };
const identity = (subject: string, issuer: string): SignerPolicy => ({ kind: "identity", subject, issuer });
const keyFile = (path: string): SignerPolicy => ({ kind: "key", publicKey: createPublicKey(readFileSync(path)) });

/** A DSSE statement's first subject digest, for bundles whose artifact upstream does not publish. */
function statementSubject(bundlePath: string): ArtifactInput {
  const bundle = JSON.parse(readFileSync(bundlePath, "utf8")) as { dsseEnvelope: { payload: string } };
  const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString("utf8")) as { subject: { digest: Record<string, string> }[] };
  const digest = statement.subject[0]!.digest;
  return digest["sha256"] !== undefined ? sha256(digest["sha256"]) : { digest: { algorithm: "sha512", hex: digest["sha512"]! } };
}

interface VectorCase {
  readonly bundle: string;
  readonly trust: () => TrustMaterial;
  readonly artifact: () => ArtifactInput;
  readonly policy: () => SignerPolicy;
  readonly options?: VerifyBundleOptions;
  /** "verified", or the error code of the rejection. */
  readonly expect: "verified" | ErrorCode;
  readonly why: string;
  readonly check?: (verified: VerifiedBundle) => void;
}

const py = (name: string): string => join(PYTHON, "test", "assets", name);
const java = (name: string): string => join(JAVA, name);
const javaArtifact = (): ArtifactInput => bytesOf(java("artifact.txt"));
const jsFixture = (name: string): string => join(JS, name);
const jsIdentity: SignerPolicy = { kind: "identity", subjectRegExp: ".*", issuer: "https://github.com/login/oauth" };

const CASES: VectorCase[] = [
  // §4 sigstore-python
  { bundle: py("bundle.txt.sigstore"), trust: () => STAGING, artifact: () => bytesOf(py("bundle.txt")), policy: () => identity("a@tny.town", "https://github.com/login/oauth"), expect: "verified", why: "v0.1 staging bundle" },
  { bundle: py("bundle_v3.txt.sigstore"), trust: () => STAGING, artifact: () => bytesOf(py("bundle_v3.txt")), policy: () => identity("william@yossarian.net", "https://github.com/login/oauth"), expect: "verified", why: "v0.3, new media type" },
  { bundle: py("bundle_v3_alt.txt.sigstore"), trust: () => STAGING, artifact: () => bytesOf(py("bundle_v3_alt.txt")), policy: () => identity("william@yossarian.net", "https://github.com/login/oauth"), expect: "verified", why: "v0.3, old media type" },
  { bundle: py("staging-rekor-v2.txt.sigstore.json"), trust: () => STAGING, artifact: () => bytesOf(py("staging-rekor-v2.txt")), policy: () => identity("jku@goto.fi", "https://github.com/login/oauth"), expect: "verified", why: "Rekor v2 hashedrekord 0.0.2 + TSA" },
  {
    bundle: py("a.dsse.staging-rekor-v2.txt.sigstore.json"),
    trust: () => STAGING,
    artifact: () => statementSubject(py("a.dsse.staging-rekor-v2.txt.sigstore.json")),
    policy: () => anyIdentity,
    expect: "verified",
    why: "Rekor v2 hashedrekord over the DSSE PAE (upstream verify_dsse binds no artifact: its subject digest is used)",
    check: (v) => assert.deepEqual(v.tlogEntries.map((e) => `${e.kind}/${e.version}`), ["hashedrekord/0.0.2"]),
  },
  { bundle: py("bundle_cve_2022_36056.txt.sigstore"), trust: () => STAGING, artifact: () => bytesOf(py("bundle_cve_2022_36056.txt")), policy: () => anyIdentity, expect: "TLOG_ENTRY_MISMATCH", why: "CVE-2022-36056: log entry inconsistent with the other materials" },
  { bundle: py("bundle_invalid_version.txt.sigstore"), trust: () => STAGING, artifact: () => bytesOf(py("bundle_invalid_version.txt")), policy: () => anyIdentity, expect: "BUNDLE_INVALID", why: "media type is not a bundle version" },
  { bundle: py("bundle_no_cert_v1.txt.sigstore"), trust: () => STAGING, artifact: () => bytesOf(py("bundle_no_cert_v1.txt")), policy: () => anyIdentity, expect: "BUNDLE_INVALID", why: "empty certificate chain" },
  { bundle: py("bundle_no_log_entry.txt.sigstore"), trust: () => STAGING, artifact: () => bytesOf(py("bundle_no_log_entry.txt")), policy: () => anyIdentity, expect: "TLOG_ENTRY_MISSING", why: "no log entry" },
  { bundle: py("bundle_no_checkpoint.txt.sigstore"), trust: () => STAGING, artifact: () => bytesOf(py("bundle_no_checkpoint.txt")), policy: () => anyIdentity, expect: "BUNDLE_INVALID", why: "v0.2 inclusion proof without a checkpoint" },
  { bundle: py("bundle_v3_no_signed_time.txt.sigstore.json"), trust: () => PROD, artifact: () => bytesOf(py("bundle_v3_no_signed_time.txt")), policy: () => anyIdentity, expect: "TIMESTAMP_INVALID", why: "neither an inclusion promise nor a signed timestamp" },
  {
    bundle: py("bundle_v3_github.whl.sigstore"),
    trust: () => PROD,
    artifact: () => bytesOf(py("bundle_v3_github.whl")),
    policy: () => ({
      kind: "identity",
      subject: "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2",
      issuer: "https://token.actions.githubusercontent.com",
      githubWorkflowTrigger: "release",
      githubWorkflowSha: "d8b4a6445f38c48b9137a8099706d9b8073146e4",
      githubWorkflowName: "release",
      githubWorkflowRepository: "trailofbits/rfc8785.py",
      githubWorkflowRef: "refs/tags/v0.1.2",
    }),
    expect: "verified",
    why: "production GitHub Actions bundle, every workflow claim checked",
    check: (v) => {
      const e = v.signer.extensions;
      assert.equal(e.runnerEnvironment, "github-hosted");
      assert.equal(e.sourceRepositoryIdentifier, "768213997");
      assert.equal(e.sourceRepositoryOwnerURI, "https://github.com/trailofbits");
      assert.equal(e.sourceRepositoryOwnerIdentifier, "2314423");
      assert.equal(e.runInvocationURI, "https://github.com/trailofbits/rfc8785.py/actions/runs/8351058501/attempts/1");
      assert.equal(e.sourceRepositoryVisibilityAtSigning, "public");
    },
  },
  { bundle: py("integration/bundle_v3.txt.sigstore"), trust: () => STAGING, artifact: () => bytesOf(py("integration/bundle_v3.txt")), policy: () => anyIdentity, expect: "verified", why: "integration v0.3 bundle" },
  { bundle: py("integration/Python-3.12.5.tgz.sigstore"), trust: () => PROD, artifact: () => sha256("38dc4e2c261d49c661196066edbfb70fdb16be4a79cc8220c224dfeb5636d405"), policy: () => identity("thomas@python.org", "https://accounts.google.com"), expect: "BUNDLE_INVALID", why: "inclusion proof without a checkpoint: fails to load as-is, as in sigstore-python" },
  { bundle: py("tsa/bundle.txt.sigstore"), trust: stagingWithTestTsa, artifact: () => bytesOf(py("tsa/bundle.txt")), policy: () => anyIdentity, options: { requireTimestamps: 2 }, expect: "verified", why: "SET + TSA: two verified times (its second, unverifiable TSA token counts for nothing)" },
  { bundle: py("tsa/bundle.many_timestamp.sigstore"), trust: stagingWithTestTsa, artifact: () => bytesOf(py("tsa/bundle.txt")), policy: () => anyIdentity, expect: "BUNDLE_INVALID", why: "33 timestamps: too many" },
  { bundle: py("tsa/bundle.duplicate.sigstore"), trust: stagingWithTestTsa, artifact: () => bytesOf(py("tsa/bundle.txt")), policy: () => anyIdentity, expect: "TIMESTAMP_INVALID", why: "duplicate timestamps" },
  { bundle: py("tsa/bundle.txt.late_timestamp.sigstore"), trust: stagingWithTestTsa, artifact: () => bytesOf(py("tsa/bundle.txt")), policy: () => anyIdentity, expect: "CERT_CHAIN_INVALID", why: "the TSA time is after the certificate expired" },

  // §5 sigstore-go
  {
    bundle: join(GO, "pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json"),
    trust: () => root(join(GO, "pkg/testing/data/trusted-roots/public-good.json")),
    artifact: () => statementSubject(join(GO, "pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json")),
    policy: () => identity("https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main", "https://token.actions.githubusercontent.com"),
    expect: "verified",
    why: "npm provenance, sha512 subject (the tarball is not in the vectors)",
    check: (v) => assert.deepEqual(v.timestamps.map((t) => `${t.kind} ${t.authority}`), ["tlog https://rekor.sigstore.dev"]),
  },
  { bundle: join(GO, "pkg/testing/data/bundles/dsse.sigstore.json"), trust: () => root(join(GO, "pkg/testing/data/trusted-roots/public-good.json")), artifact: () => statementSubject(join(GO, "pkg/testing/data/bundles/dsse.sigstore.json")), policy: () => identity("brian@dehamer.com", "https://github.com/login/oauth"), expect: "verified", why: "v0.1 in-toto DSSE, chain with its root (ignored)" },
  { bundle: join(GO, "pkg/testing/data/bundles/dsse-2sigs.sigstore.json"), trust: () => root(join(GO, "pkg/testing/data/trusted-roots/public-good.json")), artifact: () => statementSubject(join(GO, "pkg/testing/data/bundles/dsse-2sigs.sigstore.json")), policy: () => anyIdentity, expect: "BUNDLE_INVALID", why: "two DSSE signatures" },
  { bundle: join(GO, "pkg/testing/data/bundles/othername.sigstore.json"), trust: () => root(join(GO, "pkg/testing/data/trusted-roots/scaffolding.json")), artifact: () => sha256("bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b"), policy: () => identity("foo!oidc.local", "http://oidc.local:8080"), expect: "verified", why: "otherName SAN" },
  { bundle: join(GO, "pkg/testing/data/bundles/public-key-validity.sigstore.json"), trust: () => root(join(GO, "pkg/testing/data/trusted-roots/public-key-validity.json")), artifact: () => ({ bytes: Buffer.from("test content") }), policy: () => keyFile(join(GO, "pkg/testing/data/public-keys/public-key-validity.pem")), options: { requireTlog: false }, expect: "verified", why: "key-signed, TSA time only" },
  { bundle: join(GO, "examples/bundle-provenance.json"), trust: () => root(join(GO, "examples/trusted-root-public-good.json")), artifact: () => statementSubject(join(GO, "examples/bundle-provenance.json")), policy: () => identity("https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main", "https://token.actions.githubusercontent.com"), expect: "verified", why: "npm provenance for sigstore@1.3.0" },
  { bundle: join(GO, "examples/bundle-publish.json"), trust: () => root(join(GO, "examples/trusted-root-public-good.json")), artifact: () => statementSubject(join(GO, "examples/bundle-publish.json")), policy: () => keyFile(join(GO, "examples/publish_key.pub")), expect: "verified", why: "npm publish attestation, npm's key" },

  // §6 sigstore-java
  ...["bundle.v1.sigstore", "bundle.v2.sigstore", "bundle.v3.sigstore", "bundle.v3_1.sigstore"].map(
    (name): VectorCase => ({ bundle: java(name), trust: () => PROD, artifact: javaArtifact, policy: () => identity("appu@google.com", "https://accounts.google.com"), expect: "verified", why: "one per bundle version" }),
  ),
  { bundle: java("bundle.sigstore"), trust: () => PROD, artifact: javaArtifact, policy: () => identity("appu@google.com", "https://accounts.google.com"), expect: "verified", why: "identity required" },
  ...["ECDSA_P256_SHA_256", "ECDSA_P384_SHA_384", "ECDSA_P521_SHA_512", "RSA_PKCS1V15_2048_SHA256", "RSA_PKCS1V15_3072_SHA256", "RSA_PKCS1V15_4096_SHA256"].map(
    (algorithm): VectorCase => ({ bundle: java(`PKIX_${algorithm}.sigstore.json`), trust: () => PROD, artifact: javaArtifact, policy: () => identity("untrusted-sa@sigstore-conformance.iam.gserviceaccount.com", "https://accounts.google.com"), expect: "verified", why: `signed with ${algorithm}` }),
  ),
  { bundle: java("bundle.dsse.sigstore"), trust: () => PROD, artifact: javaArtifact, policy: () => anyIdentity, expect: "verified", why: "dsse 0.0.1 entry, artifact among the subjects" },
  { bundle: java("bundle.dsse.rekor-v2.sigstore"), trust: () => PROD, artifact: javaArtifact, policy: () => anyIdentity, expect: "verified", why: "Rekor v2 hashedrekord over the DSSE PAE" },
  { bundle: java("bundle-with-rekor-v2-entry.sigstore"), trust: () => STAGING, artifact: javaArtifact, policy: () => anyIdentity, expect: "verified", why: "hashedrekord 0.0.2 + TSA" },
  { bundle: java("bundle-with-timestamp.sigstore"), trust: () => STAGING, artifact: javaArtifact, policy: () => anyIdentity, options: { requireTimestamps: 2 }, expect: "verified", why: "v1 entry + TSA" },
  { bundle: java("bundle-no-digest.sigstore"), trust: () => PROD, artifact: javaArtifact, policy: () => anyIdentity, expect: "BUNDLE_INVALID", why: "a v0.3 bundle with a certificate chain (implementation-defined; signet is strict)" },
  ...["bundle.v2.no.inclusion.sigstore", "bundle.v3.no.inclusion.sigstore", "bundle.v3_1.no.inclusion.sigstore"].map(
    (name): VectorCase => ({ bundle: java(name), trust: () => PROD, artifact: javaArtifact, policy: () => anyIdentity, expect: "BUNDLE_INVALID", why: "v0.2+ needs an inclusion proof" }),
  ),
  { bundle: java("bundle.v1.no.inclusion.sigstore"), trust: () => PROD, artifact: javaArtifact, policy: () => anyIdentity, expect: "verified", why: "v0.1 with an inclusion promise only (implementation-defined; as sigstore-js and npm's 2023 bundles)" },
  { bundle: java("bundle-with-mismatched-set.sigstore"), trust: () => PROD, artifact: javaArtifact, policy: () => anyIdentity, expect: "TLOG_PROOF_INVALID", why: "Entry SET was not valid" },
  { bundle: java("bundle-with-bad-checkpoint-signature.sigstore"), trust: () => PROD, artifact: javaArtifact, policy: () => anyIdentity, expect: "TLOG_PROOF_INVALID", why: "Checkpoint signature was invalid" },
  { bundle: java("bundle-with-wrong-tlog-entry.sigstore"), trust: () => PROD, artifact: javaArtifact, policy: () => anyIdentity, expect: "TLOG_ENTRY_MISMATCH", why: "materials inconsistent with log entry" },
  { bundle: java("bundle-with-expired-cert.sigstore"), trust: () => PROD, artifact: javaArtifact, policy: () => anyIdentity, expect: "CERT_CHAIN_INVALID", why: "signing time after certificate expiry" },
  { bundle: java("bundle.dsse.bad-signature.sigstore"), trust: () => PROD, artifact: javaArtifact, policy: () => anyIdentity, expect: "SIG_INVALID", why: "DSSE signature was not valid" },
  { bundle: java("bundle.dsse.mismatched-envelope.sigstore"), trust: () => PROD, artifact: javaArtifact, policy: () => anyIdentity, expect: "TLOG_ENTRY_MISMATCH", why: "DSSE payload digest differs from the log entry's" },
  { bundle: java("bundle.dsse.mismatched-signature.sigstore"), trust: () => PROD, artifact: javaArtifact, policy: () => anyIdentity, expect: "TLOG_ENTRY_MISMATCH", why: "DSSE signature differs from the log entry's" },
  { bundle: java("bundle.dsse.rekor-v2.bad-signature.sigstore"), trust: () => STAGING, artifact: javaArtifact, policy: () => anyIdentity, expect: "SIG_INVALID", why: "DSSE signature was not valid" },
  { bundle: java("bundle.dsse.rekor-v2.mismatched-envelope.sigstore"), trust: () => STAGING, artifact: javaArtifact, policy: () => anyIdentity, expect: "TLOG_ENTRY_MISMATCH", why: "PAE digest differs from the log entry's" },
  { bundle: java("bundle.dsse.rekor-v2.mismatched-signature.sigstore"), trust: () => STAGING, artifact: javaArtifact, policy: () => anyIdentity, expect: "TLOG_ENTRY_MISMATCH", why: "signature differs from the log entry's" },
  { bundle: java("bundle.dsse.rekor-v2.bad-entry-type.sigstore"), trust: () => STAGING, artifact: javaArtifact, policy: () => anyIdentity, expect: "TLOG_ENTRY_MISMATCH", why: "Rekor v2 DSSE logged as dsse 0.0.2 instead of hashedrekord over the PAE (sigstore-js 3.1.1 accepts it)" },
  {
    bundle: java("github-private-no-tlog/attestation.sigstore.json"),
    trust: () => parseTrustedRoot(readFileSync(java("github-private-no-tlog/trusted_root.jsonl"), "utf8").split("\n").filter((line) => line.trim() !== "")[1]!, "GitHub trusted root"),
    artifact: () => sha256("caa015ef69e9bc31a41322d6c71563ed9600c75bb988e4d639b1edc578580551"),
    policy: () => identity("https://github.com/neverendingsupport/slsa-attestations/.github/workflows/attest.yml@9f6d9dc1bfc02986955721eb15f89ad618f1cedb", "https://token.actions.githubusercontent.com"),
    options: { requireTlog: false, requireSct: false },
    expect: "verified",
    why: "GitHub private instance: no tlog, no CT, RFC 3161 time only",
  },

  // §7 sigstore-js
  ...["valid/v1.messageSignature.withSigningCert.json", "valid/v2.messageSignature.withSigningCert.json", "valid/v3.messageSignature.withSigningCert.json", "valid/v1.dsse.withSigningCert.json", "valid/v3.dsse.withSigningCert.json"].map(
    (name): VectorCase => ({ bundle: jsFixture(name), trust: () => root(jsFixture("trusted_root.json")), artifact: () => bytesOf(jsFixture("artifact.txt")), policy: () => jsIdentity, expect: "verified", why: "valid fixture (its mock-TSA tokens count for nothing; time from the log)" }),
  ),
  {
    bundle: jsFixture("valid/v1.dsse.withPublicKey.json"),
    trust: () => root(jsFixture("trusted_root.json")),
    artifact: () => bytesOf(jsFixture("artifact.txt")),
    policy: () => ({ kind: "key", publicKey: createPublicKey((JSON.parse(readFileSync(jsFixture("public-keys.json"), "utf8")) as Record<string, string>)["key-1"]!) }),
    expect: "verified",
    why: "key hint key-1",
  },
  { bundle: jsFixture("invalid/v1.messageSignature.invalidExpiredCert.json"), trust: () => root(jsFixture("trusted_root.json")), artifact: () => bytesOf(jsFixture("artifact.txt")), policy: () => jsIdentity, expect: "CERT_CHAIN_INVALID", why: "log time outside the certificate's validity" },
  { bundle: jsFixture("invalid/v1.dsse.invalidBadSignature.json"), trust: () => root(jsFixture("trusted_root.json")), artifact: () => bytesOf(jsFixture("artifact.txt")), policy: () => jsIdentity, expect: "SIG_DIGEST_MISMATCH", why: "bad DSSE signature: its payload was changed, so it is not the artifact" },

  // §8 cosign, §9 sigstore-rs
  {
    bundle: join(COSIGN, "oci-attestation.sigstore.json"),
    trust: () => root(join(COSIGN, "trusted_root_pgi.json")),
    artifact: () => sha256("732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4"),
    policy: () => ({ kind: "identity", subjectRegExp: ".*", issuerRegExp: ".*" }),
    expect: "verified",
    why: "cosign v0.3 DSSE attestation for go-containerregistry's empty image",
    check: (v) => assert.equal(v.signer.subject, "cody@soyland.com"),
  },
  {
    bundle: join(RUST, "bundle_v03.json"),
    trust: () => PROD,
    artifact: () => sha256("c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172"),
    policy: () => identity("https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0", "https://token.actions.githubusercontent.com"),
    expect: "verified",
    why: "real cosign v3 image signature (kubewarden-controller v1.34.0)",
    check: (v) => assert.equal(v.payloadType, "application/vnd.in-toto+json"),
  },
];

/** Variations upstream tests make on the same bundles: a different identity, artifact, threshold or root. */
const VARIATIONS: (VectorCase & { readonly name: string })[] = [
  { name: "python bundle.txt with identity foo", bundle: py("bundle.txt.sigstore"), trust: () => STAGING, artifact: () => bytesOf(py("bundle.txt")), policy: () => identity("foo", "bar"), expect: "CERT_IDENTITY_MISMATCH", why: "other identity" },
  { name: "python bundle.txt against PROD", bundle: py("bundle.txt.sigstore"), trust: () => PROD, artifact: () => bytesOf(py("bundle.txt")), policy: () => anyIdentity, expect: "TLOG_PROOF_INVALID", why: "staging material, production root" },
  { name: "python tsa bundle, 3 times required", bundle: py("tsa/bundle.txt.sigstore"), trust: stagingWithTestTsa, artifact: () => bytesOf(py("tsa/bundle.txt")), policy: () => anyIdentity, options: { requireTimestamps: 3 }, expect: "TIMESTAMP_INVALID", why: "not enough sources of verified time" },
  { name: "python tsa bundle, 2 required, no TSA configured", bundle: py("tsa/bundle.txt.sigstore"), trust: () => STAGING, artifact: () => bytesOf(py("tsa/bundle.txt")), policy: () => anyIdentity, options: { requireTimestamps: 2 }, expect: "TIMESTAMP_INVALID", why: "no timestamp authorities" },
  { name: "go npm provenance, 2 times required", bundle: join(GO, "pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json"), trust: () => root(join(GO, "pkg/testing/data/trusted-roots/public-good.json")), artifact: () => statementSubject(join(GO, "pkg/testing/data/bundles/sigstore.js@2.0.0-provenance.sigstore.json")), policy: () => anyIdentity, options: { requireTimestamps: 2 }, expect: "TIMESTAMP_INVALID", why: "one log entry is one time source" },
  { name: "go othername with an email identity", bundle: join(GO, "pkg/testing/data/bundles/othername.sigstore.json"), trust: () => root(join(GO, "pkg/testing/data/trusted-roots/scaffolding.json")), artifact: () => sha256("bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b"), policy: () => identity("foo@oidc.local", "http://oidc.local:8080"), expect: "CERT_IDENTITY_MISMATCH", why: "SAN foo@oidc.local must not match otherName foo!oidc.local" },
  { name: "java P-256 bundle given a sha512 digest", bundle: java("PKIX_ECDSA_P256_SHA_256.sigstore.json"), trust: () => PROD, artifact: () => ({ digest: { algorithm: "sha512", hex: "00".repeat(64) } }), policy: () => anyIdentity, expect: "SIG_DIGEST_MISMATCH", why: "digest does not match the one used for verification" },
  { name: "java dsse bundle, another artifact", bundle: java("bundle.dsse.sigstore"), trust: () => PROD, artifact: () => ({ bytes: Buffer.from("another artifact") }), policy: () => anyIdentity, expect: "SIG_DIGEST_MISMATCH", why: "artifact digest not among the subjects" },
  { name: "java rekor v2 bundle without its timestamps", bundle: java("bundle-with-rekor-v2-entry.sigstore"), trust: () => STAGING, artifact: javaArtifact, policy: () => anyIdentity, expect: "TIMESTAMP_INVALID", why: "no timestamp verification was provided", },
  { name: "js v1 message signature, empty artifact", bundle: jsFixture("valid/v1.messageSignature.withSigningCert.json"), trust: () => root(jsFixture("trusted_root.json")), artifact: () => ({ bytes: Buffer.alloc(0) }), policy: () => jsIdentity, expect: "SIG_DIGEST_MISMATCH", why: "not the signed artifact" },
  { name: "cosign attestation, subject regexp 'wrong'", bundle: join(COSIGN, "oci-attestation.sigstore.json"), trust: () => root(join(COSIGN, "trusted_root_pgi.json")), artifact: () => sha256("732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4"), policy: () => ({ kind: "identity", subjectRegExp: "wrong", issuerRegExp: ".*" }), expect: "CERT_IDENTITY_MISMATCH", why: "no matching attestation" },
  { name: "cosign attestation, another image", bundle: join(COSIGN, "oci-attestation.sigstore.json"), trust: () => root(join(COSIGN, "trusted_root_pgi.json")), artifact: () => sha256("11".repeat(32)), policy: () => ({ kind: "identity", subjectRegExp: ".*", issuerRegExp: ".*" }), expect: "SIG_DIGEST_MISMATCH", why: "artifact digest not in the statement" },
  { name: "rust cosign v3 bundle, digest 000…", bundle: join(RUST, "bundle_v03.json"), trust: () => PROD, artifact: () => sha256("0".repeat(64)), policy: () => anyIdentity, expect: "SIG_DIGEST_MISMATCH", why: "another image" },
];

/** Strips the RFC 3161 timestamps from a bundle (java: "with its timestamps removed"). */
function withoutTimestamps(bundle: Record<string, unknown>): Record<string, unknown> {
  const material = { ...(bundle["verificationMaterial"] as Record<string, unknown>) };
  delete material["timestampVerificationData"];
  return { ...bundle, verificationMaterial: material };
}

function run(vector: VectorCase & { name?: string }): void {
  let bundle = JSON.parse(readFileSync(vector.bundle, "utf8")) as Record<string, unknown>;
  if (vector.name === "java rekor v2 bundle without its timestamps") bundle = withoutTimestamps(bundle);
  let verified: VerifiedBundle | undefined;
  let failure: unknown;
  try {
    verified = verifySigstoreBundle(bundle, vector.artifact(), vector.policy(), vector.trust(), vector.options);
  } catch (error) {
    failure = error;
  }
  if (vector.expect === "verified") {
    assert.equal(failure, undefined, `${vector.why}: expected to verify, got ${String(failure)}`);
    vector.check?.(verified!);
  } else {
    assert.ok(SignetError.is(failure), `${vector.why}: expected ${vector.expect}, got ${failure === undefined ? "a verified bundle" : String(failure)}`);
    assert.equal(failure.code, vector.expect, `${vector.why}: ${failure.message}`);
  }
}

/** Bundle files under a folder. */
function bundlesUnder(dir: string, isBundle: (name: string) => boolean): string[] {
  const found: string[] = [];
  (function walk(current: string): void {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (isBundle(name)) found.push(path);
    }
  })(dir);
  return found;
}

describe("sigstore client vector bundles, offline, at signing time", () => {
  test("every bundle in the vector folders has a stated expectation here", () => {
    const sigstoreFile = (name: string): boolean => name.endsWith(".sigstore") || name.endsWith(".sigstore.json");
    const found = [
      ...bundlesUnder(join(PYTHON, "test", "assets"), sigstoreFile),
      ...bundlesUnder(join(GO, "pkg", "testing", "data", "bundles"), (name) => name.endsWith(".json")),
      ...bundlesUnder(join(GO, "examples"), (name) => name.startsWith("bundle-") && name.endsWith(".json")),
      ...bundlesUnder(JAVA, sigstoreFile),
      ...bundlesUnder(join(JS, "valid"), (name) => name.endsWith(".json")),
      ...bundlesUnder(join(JS, "invalid"), (name) => name.endsWith(".json")),
      ...bundlesUnder(COSIGN, sigstoreFile),
      join(RUST, "bundle_v03.json"),
    ];
    const covered = new Set(CASES.map((c) => c.bundle));
    const missing = found.filter((path) => !covered.has(path)).map((path) => relative(VECTORS, path));
    assert.deepEqual(missing, [], "bundles without an expectation");
    assert.ok(found.length >= 60, `expected the vector bundles, found ${found.length}`);
  });

  for (const vector of CASES) {
    test(`${relative(VECTORS, vector.bundle)}: ${vector.expect} (${vector.why})`, () => run(vector));
  }
  for (const vector of VARIATIONS) {
    test(`${vector.name}: ${vector.expect}`, () => run(vector));
  }
});
