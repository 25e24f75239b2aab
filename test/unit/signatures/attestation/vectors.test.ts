// Real sigstore bundles attached to images, verified through signet's OCI glue with the public-good roots
// (offline): cosign 3's image signature (sigstore-rs vector, MANIFEST §9) and cosign's v0.3 DSSE attestation
// (MANIFEST §8), with upstream's expected rejections.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Digest } from "../../../../src/internal/digest.js";
import { verifyAttestations } from "../../../../src/signatures/attestation/verify-attestations.js";
import type { UntrustedOciBundle } from "../../../../src/signatures/bundle-oci/index.js";
import type { SignerRequirement } from "../../../../src/signatures/cosign/keyless.js";
import { verifySignatureRecords } from "../../../../src/signatures/verifier/index.js";
import { parseTrustedRoot } from "../../../../src/trust/index.js";
import { VECTORS } from "../../../helpers/peers.js";

const PROD = parseTrustedRoot(readFileSync(join(VECTORS, "sigstore__sigstore-python/sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev/trusted_root.json")), "public-good trusted root");
const referrer = (bytes: Buffer): UntrustedOciBundle => ({ manifestDigest: `sha256:${"1".repeat(64)}` as Digest, mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", untrustedBundleBytes: bytes, untrustedAnnotations: {} });

describe("cosign 3 image signature bundle (sigstore-rs bundle_v03.json)", () => {
  const bytes = readFileSync(join(VECTORS, "sigstore__sigstore-rs/tests/data/bundle_v03.json"));
  const digest = "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172" as Digest;
  const signer: Extract<SignerRequirement, { kind: "identity" }> = {
    kind: "identity",
    identity: { kind: "identity", subject: "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0", issuer: "https://token.actions.githubusercontent.com" },
    trust: PROD,
    requireTlog: true,
  };
  const bundle = JSON.parse(bytes.toString()) as { dsseEnvelope: { payload: string; payloadType: string } };
  const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, "base64").toString()) as Record<string, unknown>;
  const mutated = (edit: (b: typeof bundle) => void) => {
    const copy = structuredClone(bundle);
    edit(copy);
    return referrer(Buffer.from(JSON.stringify(copy)));
  };
  const verify = (bundles: UntrustedOciBundle[], imageDigest: Digest = digest, requirement: SignerRequirement = signer) =>
    verifySignatureRecords({
      records: bundles.map((bundle) => ({ format: "sigstore-bundle", source: bundle.manifestDigest, manifestDigest: bundle.manifestDigest, untrustedBundleBytes: bundle.untrustedBundleBytes, untrustedAnnotations: bundle.untrustedAnnotations })),
      requirement,
      claims: { imageDigest, repository: "ghcr.io/kubewarden/kubewarden-controller" },
    });

  test("verifies offline and maps to a simple-signing view with the digest and docker-reference", async () => {
    const result = (await verify([referrer(bytes)]));
    assert.deepEqual(result.rejected, []);
    const [signature] = result.verified;
    assert.equal(signature!.format, "sigstore-bundle");
    assert.equal(signature!.payload.critical.image["docker-manifest-digest"], digest);
    assert.equal(signature!.payload.critical.identity["docker-reference"], "ghcr.io/kubewarden/kubewarden-controller");
    assert.equal((signature!.signer as { issuer?: string }).issuer, "https://token.actions.githubusercontent.com");
    assert.equal(signature!.signer.tlog, "verified");
  });

  test("another image digest is rejected (A.12)", async () => {
    assert.deepEqual((await verify([referrer(bytes)], `sha256:${"0".repeat(64)}` as Digest)).rejected.map((r) => r.code), ["SIG_DIGEST_MISMATCH"]);
  });

  test("another workflow or issuer is CERT_IDENTITY_MISMATCH (A.7)", async () => {
    const other = { ...signer, identity: { ...signer.identity, subject: "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.1" } } as SignerRequirement;
    assert.deepEqual((await verify([referrer(bytes)], digest, other)).rejected.map((r) => r.code), ["CERT_IDENTITY_MISMATCH"]);
    const prefix = { ...signer, identity: { kind: "identity", subjectRegExp: "https://github.com/kubewarden/kubewarden-controller/.github/workflows/rel", issuer: "https://token.actions.githubusercontent.com" } } as SignerRequirement;
    assert.deepEqual((await verify([referrer(bytes)], digest, prefix)).rejected.map((r) => r.code), ["CERT_IDENTITY_MISMATCH"]);
  });

  test("payloadType application/json is rejected before any signature is trusted (A.11)", async () => {
    assert.deepEqual((await verify([mutated((b) => (b.dsseEnvelope.payloadType = "application/json"))])).rejected.map((r) => r.code), ["ATTESTATION_INVALID"]);
  });

  for (const [name, edit] of [
    ["_type", { _type: "https://example.com/Statement/v1" }],
    ["predicateType", { predicateType: "https://example.com/predicate/v1" }],
  ] as const) {
    test(`a changed statement ${name} is rejected`, async () => {
      const changed = mutated((b) => (b.dsseEnvelope.payload = Buffer.from(JSON.stringify({ ...statement, ...edit })).toString("base64")));
      const result = (await verify([changed]));
      assert.equal(result.verified.length, 0);
      // Refused as not a statement, or because the signature no longer covers it: either way before any pass.
      assert.ok(result.rejected.length === 1 && ["SIG_INVALID", "SIG_PAYLOAD_INVALID"].includes(result.rejected[0]!.code), JSON.stringify(result.rejected));
    });
  }

  test("the public-good root is required: an empty trust material verifies nothing", async () => {
    const empty: SignerRequirement = { ...signer, trust: { description: "empty", certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] } } as SignerRequirement;
    const [rejection] = (await verify([referrer(bytes)], digest, empty)).rejected;
    assert.ok(rejection !== undefined && ["CERT_CHAIN_INVALID", "TLOG_PROOF_INVALID", "TLOG_ENTRY_MISSING"].includes(rejection.code), rejection?.code);
  });
});

describe("cosign v0.3 DSSE attestation bundle (cosign oci-attestation.sigstore.json)", () => {
  const bytes = readFileSync(join(VECTORS, "sigstore__cosign/pkg/cosign/testdata/oci-attestation.sigstore.json"));
  const pgi = parseTrustedRoot(readFileSync(join(VECTORS, "sigstore__cosign/pkg/cosign/testdata/trusted_root_pgi.json")), "cosign's public-good trusted root");
  const emptyImage = "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4" as Digest;
  const any: SignerRequirement = { kind: "identity", identity: { kind: "identity", subjectRegExp: ".*", issuerRegExp: ".*" }, trust: pgi, requireTlog: true };
  const verify = (imageDigest: Digest, signer: SignerRequirement, predicateType?: string) =>
    verifyAttestations({ imageDigest, bundles: [referrer(bytes)], signer, ...(predicateType !== undefined ? { predicateType } : {}) });

  test("passes for the empty image with any identity, as upstream expects", () => {
    const result = verify(emptyImage, any, "https://cosign.sigstore.dev/attestation/v1");
    assert.deepEqual(result.rejected, []);
    assert.equal(result.verified[0]!.signer.subject, "cody@soyland.com");
    assert.equal(result.verified[0]!.statement.predicateType, "https://cosign.sigstore.dev/attestation/v1");
  });

  test("verifies with the embedded-equivalent public-good root and the exact identity", () => {
    const exact: SignerRequirement = { kind: "identity", identity: { kind: "identity", subject: "cody@soyland.com", issuer: "https://github.com/login/oauth" }, trust: PROD, requireTlog: true };
    assert.equal(verify(emptyImage, exact).verified.length, 1);
  });

  test("subject regexp 'wrong' matches no attestation", () => {
    const wrong: SignerRequirement = { ...any, identity: { kind: "identity", subjectRegExp: "wrong", issuerRegExp: ".*" } } as SignerRequirement;
    assert.deepEqual(verify(emptyImage, wrong).rejected.map((r) => r.code), ["CERT_IDENTITY_MISMATCH"]);
  });

  test("another image: the artifact digest is not in the statement (A.12)", () => {
    assert.deepEqual(verify(`sha256:${"2".repeat(64)}` as Digest, any).rejected.map((r) => r.code), ["SIG_DIGEST_MISMATCH"]);
  });

  test("another predicate type is ATTESTATION_TYPE_MISMATCH, never a pass (A.4)", () => {
    const result = verify(emptyImage, any, "https://slsa.dev/provenance/v1");
    assert.equal(result.verified.length, 0);
    assert.deepEqual(result.rejected.map((r) => r.code), ["ATTESTATION_TYPE_MISMATCH"]);
  });
});
