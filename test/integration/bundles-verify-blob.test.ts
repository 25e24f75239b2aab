/**
 * `signet verify-blob --bundle` and `signet trust show` through the real CLI, offline (the shipped public-good
 * root, or a bundle's own trusted_root.json).
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { jsonErrorCodes, runSignet } from "../helpers/cli.js";
import { VECTORS } from "../helpers/peers.js";
import { TestSigstore } from "../unit/signatures/bundle/test-sigstore.js";

const CASES = join(VECTORS, "sigstore__sigstore-conformance", "test", "assets", "bundle-verify");
const ARTIFACT = join(CASES, "a.txt");
const BEACON = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER = "https://token.actions.githubusercontent.com";
const env = { ...process.env, SIGNET_TUF_ROOT: mkdtempSync(join(tmpdir(), "signet-blob-tuf-")) };
const bundle = (name: string): string => join(CASES, name, "bundle.sigstore.json");

describe("signet verify-blob --bundle", () => {
  test("a keyless bundle verifies offline with the identity, exact or by regexp", async () => {
    const exact = await runSignet(["verify-blob", "--offline", "--bundle", bundle("happy-path-v0.3"), "--certificate-identity", BEACON, "--certificate-oidc-issuer", ISSUER, ARTIFACT], { env });
    assert.equal(exact.status, 0, exact.stderr);
    assert.match(exact.stderr, /Verified OK: https:\/\/github\.com\/sigstore-conformance\/.*issuer https:\/\/token\.actions/);
    const regexp = await runSignet(["verify-blob", "--offline", "--bundle", bundle("happy-path-v0.3"), "--certificate-identity-regexp", "https://github\\.com/sigstore-conformance/.*", "--certificate-oidc-issuer-regexp", "https://token\\.actions\\..*", "--certificate-github-workflow-repository", "sigstore-conformance/extremely-dangerous-public-oidc-beacon", "--output-format", "json", ARTIFACT], { env });
    assert.equal(regexp.status, 0, regexp.stdout);
    const output = JSON.parse(regexp.stdout) as { verified: boolean; signer: { subject: string; issuer: string } };
    assert.deepEqual([output.verified, output.signer.subject, output.signer.issuer], [true, BEACON, ISSUER]);
  });

  test("another identity, another file, a partial regexp: refused with their codes", async () => {
    const other = await runSignet(["verify-blob", "--offline", "--bundle", bundle("happy-path-v0.3"), "--certificate-identity", `${BEACON}x`, "--certificate-oidc-issuer", ISSUER, "--output-format", "json", ARTIFACT], { env });
    assert.deepEqual(jsonErrorCodes(other.stdout), ["CERT_IDENTITY_MISMATCH"]);
    const partial = await runSignet(["verify-blob", "--offline", "--bundle", bundle("happy-path-v0.3"), "--certificate-identity-regexp", "https://github.com/sigstore-conformance", "--certificate-oidc-issuer", ISSUER, "--output-format", "json", ARTIFACT], { env });
    assert.deepEqual(jsonErrorCodes(partial.stdout), ["CERT_IDENTITY_MISMATCH"]);
    const file = await runSignet(["verify-blob", "--offline", "--bundle", bundle("happy-path-v0.3"), "--certificate-identity", BEACON, "--certificate-oidc-issuer", ISSUER, "--output-format", "json", join(CASES, "happy-path-v0.3", "bundle.sigstore.json")], { env });
    assert.deepEqual(jsonErrorCodes(file.stdout), ["SIG_DIGEST_MISMATCH"]);
  });

  test("a keyless bundle without an issuer rule is a usage error, before any trust root is read", async () => {
    const result = await runSignet(["verify-blob", "--bundle", bundle("happy-path-v0.3"), "--certificate-identity", BEACON, "--output-format", "json", ARTIFACT], { env });
    assert.equal(result.status, 2);
    assert.deepEqual(jsonErrorCodes(result.stdout), ["IDENTITY_POLICY_INVALID"]);
  });

  test("a key-signed bundle with --key and its trusted root; conflicting options refused", async () => {
    const dir = join(CASES, "managed-key-and-trusted-root");
    const ok = await runSignet(["verify-blob", "--bundle", join(dir, "bundle.sigstore.json"), "--key", join(dir, "key.pub"), "--trusted-root", join(dir, "trusted_root.json"), ARTIFACT], { env });
    assert.equal(ok.status, 0, ok.stderr);
    const both = await runSignet(["verify-blob", "--bundle", join(dir, "bundle.sigstore.json"), "--key", join(dir, "key.pub"), "--certificate-identity", BEACON, "--output-format", "json", ARTIFACT], { env });
    assert.deepEqual(jsonErrorCodes(both.stdout), ["OPTION_CONFLICT"]);
    const signature = await runSignet(["verify-blob", "--bundle", join(dir, "bundle.sigstore.json"), "--signature", "x", "--key", join(dir, "key.pub"), "--output-format", "json", ARTIFACT], { env });
    assert.deepEqual(jsonErrorCodes(signature.stdout), ["OPTION_CONFLICT"]);
  });

  test("a Rekor v2 bundle with its own trusted root; the malformed root is refused", async () => {
    const good = join(CASES, "rekor2-happy-path");
    const ok = await runSignet(["verify-blob", "--bundle", join(good, "bundle.sigstore.json"), "--trusted-root", join(good, "trusted_root.json"), "--certificate-identity", BEACON, "--certificate-oidc-issuer", ISSUER, ARTIFACT], { env });
    assert.equal(ok.status, 0, ok.stderr);
    const bad = join(CASES, "trust-root-tlog-missing-validity-start_fail");
    const refused = await runSignet(["verify-blob", "--bundle", join(bad, "bundle.sigstore.json"), "--trusted-root", join(bad, "trusted_root.json"), "--certificate-identity", BEACON, "--certificate-oidc-issuer", ISSUER, "--output-format", "json", ARTIFACT], { env });
    assert.deepEqual(jsonErrorCodes(refused.stdout), ["TRUST_ROOT_INVALID"]);
  });
});

describe("signet verify-blob --bundle with a private sigstore instance", () => {
  const sigstore = new TestSigstore();
  const dir = mkdtempSync(join(tmpdir(), "signet-private-"));
  const artifact = join(dir, "artifact.txt");
  writeFileSync(artifact, "private artifact\n");
  const built = sigstore.bundle({ artifact: Buffer.from("private artifact\n") });
  writeFileSync(join(dir, "bundle.json"), JSON.stringify(built.bundle));
  writeFileSync(join(dir, "trusted_root.json"), JSON.stringify(sigstore.trustedRootJson()));
  writeFileSync(join(dir, "fulcio.pem"), sigstore.rootPem() + sigstore.intermediatePem());
  writeFileSync(join(dir, "rekor.pub"), sigstore.logPublicKeyPem());
  const identity = ["--certificate-identity", "signer@example.com", "--certificate-oidc-issuer", "https://issuer.example"];

  test("verifies with its trusted_root.json, and with cosign's SIGSTORE_* variables", async () => {
    const root = await runSignet(["verify-blob", "--bundle", join(dir, "bundle.json"), "--trusted-root", join(dir, "trusted_root.json"), ...identity, artifact], { env });
    assert.equal(root.status, 0, root.stderr);
    const keys = await runSignet(["verify-blob", "--bundle", join(dir, "bundle.json"), ...identity, artifact], {
      env: { ...env, SIGSTORE_ROOT_FILE: join(dir, "fulcio.pem"), SIGSTORE_REKOR_PUBLIC_KEY: join(dir, "rekor.pub") },
    });
    assert.equal(keys.status, 0, keys.stderr);
  });

  test("fails against the public-good root", async () => {
    const result = await runSignet(["verify-blob", "--offline", "--bundle", join(dir, "bundle.json"), ...identity, "--output-format", "json", artifact], { env });
    assert.deepEqual(jsonErrorCodes(result.stdout), ["TLOG_PROOF_INVALID"]);
  });
});

describe("signet trust show", () => {
  test("prints the embedded public-good root offline, and the staging one", async () => {
    const result = await runSignet(["trust", "show", "--offline", "--output-format", "json"], { env });
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { source: string; transparencyLogs: { url: string }[] };
    assert.equal(summary.source, "embedded public-good trusted root");
    assert.deepEqual(summary.transparencyLogs.map((log) => log.url), ["https://rekor.sigstore.dev", "https://log2025-1.rekor.sigstore.dev"]);
    const staging = await runSignet(["trust", "show", "--offline", "--staging"], { env });
    assert.match(staging.stdout, /Trust root: embedded public-good staging trusted root/);
  });
});
