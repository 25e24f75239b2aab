// Keyless signing against a private sigstore deployment started on loopback (OIDC issuer, Fulcio-compatible CA
// with a CT log, Rekor-compatible log; test/helpers/fake-sigstore.ts), spoken to only through their HTTP APIs.
// signet signs and verifies, cosign 2.5 verifies what signet signs and signs what signet verifies, and the
// signatures fail against the public-good root.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jsonErrorCodes, runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { GITHUB_REQUEST_TOKEN, startFakeSigstore, type FakeSigstore } from "../helpers/fake-sigstore.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const ALICE = "alice@example.test";
const PROVENANCE = JSON.stringify({ builder: { id: "https://ci.example.test" }, buildType: "https://example.test/build" });

describe("keyless signing with a local Fulcio, Rekor and OIDC issuer", () => {
  let registry: TestRegistry;
  let sigstore: FakeSigstore;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let cosignTrust: NodeJS.ProcessEnv;
  let alice: string;
  const signet = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<RunResult> => runSignet(args, { env: { ...env, ...extra }, cwd: dir });
  const cosign = (args: string[]): Promise<RunResult> => runProgram(cosignPath(), args, { env: { ...env, ...cosignTrust }, cwd: dir });
  const image = async (name: string) => `${registry.host}/keyless/${name}@${await pushTestImage(registry.host, `keyless/${name}`, "v1", `${name}-${Date.now()}`)}`;
  const keylessSign = (args: string[]) => signet(["sign", "--identity-token", alice, "--fulcio-url", sigstore.fulcioUrl, "--rekor-url", sigstore.rekorUrl, ...args]);
  const identity = () => ["--certificate-identity", ALICE, "--certificate-oidc-issuer", sigstore.issuer];
  const verifyKeyless = (args: string[]) => signet(["verify", ...identity(), "--trusted-root", "root.json", ...args]);
  const codes = async (run: Promise<RunResult>) => jsonErrorCodes((await run).stdout);

  before(async () => {
    registry = await startRegistry();
    sigstore = await startFakeSigstore();
    dir = mkdtempSync(join(tmpdir(), "signet-keyless-sign-"));
    env = { ...cosignEnv({ COSIGN_PASSWORD: "keyless-password" }), SIGNET_TUF_ROOT: join(dir, "tuf") };
    writeFileSync(join(dir, "root.json"), sigstore.trustedRoot);
    writeFileSync(join(dir, "ca.pem"), sigstore.caChainPem.join(""));
    writeFileSync(join(dir, "rekor.pub"), sigstore.rekorPublicKeyPem);
    writeFileSync(join(dir, "ct.pub"), sigstore.ctLogPublicKeyPem);
    writeFileSync(join(dir, "provenance.json"), PROVENANCE);
    // cosign 2.5 reads a private deployment's trust from these for legacy signatures (and its trusted root for bundles).
    cosignTrust = { SIGSTORE_ROOT_FILE: join(dir, "ca.pem"), SIGSTORE_REKOR_PUBLIC_KEY: join(dir, "rekor.pub"), SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(dir, "ct.pub") };
    alice = sigstore.token({ email: ALICE });
    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "signet"])).status, 0);
  });
  after(async () => {
    await sigstore?.stop();
    await registry?.stop();
  });

  test("legacy .sig: certificate, chain and Rekor bundle annotations; signet and cosign verify; the public-good root does not", async () => {
    const target = await image("legacy");
    const signed = await keylessSign(["--output-format", "json", target]);
    assert.equal(signed.status, 0, signed.stdout);
    const entriesBefore = sigstore.entries.length;
    assert.ok(entriesBefore >= 1);
    const verified = await verifyKeyless([target]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stderr, new RegExp(`signed by ${ALICE} \\(issuer ${sigstore.issuer}\\), logged at index`));
    const byCosign = await cosign(["verify", ...identity(), "--allow-http-registry", target]);
    assert.equal(byCosign.status, 0, byCosign.stderr);
    // Against the public-good root neither the log nor the CA is known.
    const publicGood = (await codes(signet(["verify", ...identity(), "--offline", "--output-format", "json", target])))[0]!;
    assert.ok(["TLOG_PROOF_INVALID", "CERT_CHAIN_INVALID"].includes(publicGood), publicGood);
    assert.deepEqual(await codes(signet(["verify", "--certificate-identity", "bob@example.test", "--certificate-oidc-issuer", sigstore.issuer, "--trusted-root", "root.json", "--output-format", "json", target])), ["CERT_IDENTITY_MISMATCH"]);
    assert.deepEqual(await codes(signet(["verify", "--certificate-identity", ALICE, "--certificate-oidc-issuer", "https://accounts.google.com", "--trusted-root", "root.json", "--output-format", "json", target])), ["CERT_IDENTITY_MISMATCH"]);
  });

  test("bundle format: a DSSE bundle with the Fulcio certificate and a dsse log entry; signet and cosign verify", async () => {
    const target = await image("bundle");
    const signed = await keylessSign(["--new-bundle-format", target]);
    assert.equal(signed.status, 0, signed.stderr);
    assert.match(signed.stderr, /logged in Rekor at index \d+; bundle stored as referrer/);
    const verified = await verifyKeyless(["--new-bundle-format", "--output-format", "json", target]);
    assert.equal(verified.status, 0, verified.stdout);
    const report = JSON.parse(verified.stdout) as { images: { signatures: { format: string; signer: { subject: string; issuer: string; transparencyLog: string } }[] }[] };
    const signer = report.images[0]!.signatures[0]!.signer;
    assert.deepEqual([report.images[0]!.signatures[0]!.format, signer.subject, signer.issuer, signer.transparencyLog], ["sigstore-bundle", ALICE, sigstore.issuer, "verified"]);
    const byCosign = await cosign(["verify-attestation", "--new-bundle-format", "--trusted-root", "root.json", "--type", "https://sigstore.dev/cosign/sign/v1", ...identity(), "--allow-http-registry", target]);
    assert.equal(byCosign.status, 0, byCosign.stderr);
  });

  test("attestations, keyless, both forms: cosign and signet verify them", async () => {
    const target = await image("attest");
    for (const extra of [[], ["--new-bundle-format"]]) {
      const attested = await signet(["attest", "--identity-token", alice, "--fulcio-url", sigstore.fulcioUrl, "--rekor-url", sigstore.rekorUrl, ...extra, "--predicate", "provenance.json", "--type", "slsaprovenance", target]);
      assert.equal(attested.status, 0, attested.stderr);
    }
    const verified = await signet(["verify-attestation", ...identity(), "--trusted-root", "root.json", "--type", "slsaprovenance", "--output-format", "json", target]);
    assert.equal(verified.status, 0, verified.stdout);
    const report = JSON.parse(verified.stdout) as { images: { attestations: { format: string; signer: { subject: string } }[] }[] };
    assert.deepEqual(report.images[0]!.attestations.map((a) => [a.format, a.signer.subject]).sort(), [["cosign-legacy", ALICE], ["sigstore-bundle", ALICE]]);
    const legacy = await cosign(["verify-attestation", ...identity(), "--type", "slsaprovenance", "--allow-http-registry", target]);
    assert.equal(legacy.status, 0, legacy.stderr);
    const bundle = await cosign(["verify-attestation", "--new-bundle-format", "--trusted-root", "root.json", ...identity(), "--type", "slsaprovenance", "--allow-http-registry", target]);
    assert.equal(bundle.status, 0, bundle.stderr);
    assert.deepEqual(await codes(signet(["verify-attestation", "--certificate-identity-regexp", ".*@example\\.org", "--certificate-oidc-issuer", sigstore.issuer, "--trusted-root", "root.json", "--type", "slsaprovenance", "--output-format", "json", target])), ["CERT_IDENTITY_MISMATCH"]);
  });

  test("signet verifies what cosign signs and attests keylessly against the same deployment", async () => {
    const target = await image("by-cosign");
    const signed = await cosign(["sign", "--identity-token", alice, "--fulcio-url", sigstore.fulcioUrl, "--rekor-url", sigstore.rekorUrl, "--yes", "--allow-http-registry", target]);
    assert.equal(signed.status, 0, signed.stderr);
    const attested = await cosign(["attest", "--identity-token", alice, "--fulcio-url", sigstore.fulcioUrl, "--rekor-url", sigstore.rekorUrl, "--yes", "--allow-http-registry", "--predicate", "provenance.json", "--type", "slsaprovenance", target]);
    assert.equal(attested.status, 0, attested.stderr);
    const verified = await verifyKeyless([target]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stderr, /legacy \.sig layer/);
    const attestations = await signet(["verify-attestation", ...identity(), "--trusted-root", "root.json", "--type", "slsaprovenance", target]);
    assert.equal(attestations.status, 0, attestations.stderr);
  });

  test("--tlog-upload=false: no entry; keyless verification then has no trusted time at all", async () => {
    const target = await image("no-tlog");
    const before = sigstore.entries.length;
    assert.equal((await keylessSign(["--tlog-upload=false", target])).status, 0);
    assert.equal(sigstore.entries.length, before);
    assert.deepEqual(await codes(verifyKeyless(["--output-format", "json", target])), ["TLOG_ENTRY_MISSING"]);
    // Even with the log waived, a short-lived certificate needs a trusted signing time (a SET or an RFC 3161
    // timestamp); signet does not fall back to "now" as cosign does.
    assert.deepEqual(await codes(verifyKeyless(["--insecure-ignore-tlog", "--output-format", "json", target])), ["TIMESTAMP_INVALID"]);
  });

  test("key-based signing with --rekor-url logs the signature; verification then requires the SET", async () => {
    const target = await image("key-logged");
    const signed = await signet(["sign", "--key", "signet.key", "--rekor-url", sigstore.rekorUrl, target]);
    assert.equal(signed.status, 0, signed.stderr);
    assert.match(signed.stderr, /logged in Rekor/);
    const verified = await signet(["verify", "--key", "signet.pub", "--trusted-root", "root.json", target]);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stderr, /transparency log was verified offline/);
    const byCosign = await cosign(["verify", "--key", "signet.pub", "--allow-http-registry", target]);
    assert.equal(byCosign.status, 0, byCosign.stderr);
    const bundled = await image("key-logged-bundle");
    assert.equal((await signet(["sign", "--key", "signet.key", "--rekor-url", sigstore.rekorUrl, "--new-bundle-format", bundled])).status, 0);
    const bundleVerified = await signet(["verify", "--key", "signet.pub", "--trusted-root", "root.json", "--output-format", "json", bundled]);
    assert.equal(bundleVerified.status, 0, bundleVerified.stdout);
    assert.match(bundleVerified.stdout, /"transparencyLog": "verified"/);
    const unlogged = await image("key-unlogged");
    assert.equal((await signet(["sign", "--tlog-upload=false", "--key", "signet.key", unlogged])).status, 0);
    assert.deepEqual(await codes(signet(["verify", "--key", "signet.pub", "--trusted-root", "root.json", "--output-format", "json", unlogged])), ["TLOG_ENTRY_MISSING"]);
    assert.equal((await signet(["verify", "--insecure-ignore-tlog", "--key", "signet.pub", unlogged])).status, 0);
  });

  test("identity tokens from SIGSTORE_ID_TOKEN and from GitHub Actions' token service", async () => {
    const fromEnv = await image("token-env");
    assert.equal((await signet(["sign", "--fulcio-url", sigstore.fulcioUrl, "--rekor-url", sigstore.rekorUrl, fromEnv], { SIGSTORE_ID_TOKEN: alice })).status, 0);
    assert.equal((await verifyKeyless([fromEnv])).status, 0);
    const fromActions = await image("token-actions");
    const signed = await signet(["sign", "--fulcio-url", sigstore.fulcioUrl, "--rekor-url", sigstore.rekorUrl, fromActions], {
      ACTIONS_ID_TOKEN_REQUEST_URL: sigstore.githubActionsTokenUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: GITHUB_REQUEST_TOKEN,
    });
    assert.equal(signed.status, 0, signed.stderr);
    const verified = await signet(["verify", "--certificate-identity", "https://github.com/org/app/.github/workflows/release.yml@refs/heads/main", "--certificate-oidc-issuer", sigstore.issuer, "--trusted-root", "root.json", fromActions]);
    assert.equal(verified.status, 0, verified.stderr);
  });

  test("token problems are named: none, expired, wrong issuer, refused by Fulcio", async () => {
    const target = await image("bad-tokens");
    const sign = (args: string[], extra: NodeJS.ProcessEnv = {}) => codes(signet(["sign", "--fulcio-url", sigstore.fulcioUrl, "--tlog-upload=false", "--output-format", "json", ...args, target], extra));
    assert.deepEqual(await sign([]), ["OIDC_TOKEN_MISSING"]);
    assert.deepEqual(await sign(["--identity-token", sigstore.token({ email: ALICE, expiresIn: -60 })]), ["OIDC_TOKEN_INVALID"]);
    assert.deepEqual(await sign(["--identity-token", "not-a-jwt"]), ["OIDC_TOKEN_INVALID"]);
    assert.deepEqual(await sign(["--identity-token", alice, "--oidc-issuer", "https://accounts.google.com"]), ["OIDC_TOKEN_INVALID"]);
    assert.deepEqual(await sign(["--identity-token", sigstore.token({ email: ALICE, aud: "not-sigstore" })]), ["FULCIO_ERROR"]);
    // A token in a file is read from the file.
    writeFileSync(join(dir, "token.txt"), `${alice}\n`);
    assert.equal((await signet(["sign", "--identity-token", join(dir, "token.txt"), "--fulcio-url", sigstore.fulcioUrl, "--tlog-upload=false", target])).status, 0);
    assert.ok(readFileSync(join(dir, "token.txt"), "utf8").startsWith("eyJ"));
  });
});

describe("GitHub workflow claims in the certificate", () => {
  let registry: TestRegistry;
  let sigstore: FakeSigstore;
  let dir: string;
  before(async () => {
    registry = await startRegistry();
    sigstore = await startFakeSigstore({ certificateExtensions: { "2": "push", "3": "0123456789abcdef0123456789abcdef01234567", "4": "release", "5": "org/app", "6": "refs/heads/main" } });
    dir = mkdtempSync(join(tmpdir(), "signet-workflow-"));
    writeFileSync(join(dir, "root.json"), sigstore.trustedRoot);
  });
  after(async () => {
    await sigstore?.stop();
    await registry?.stop();
  });

  test("each --certificate-github-workflow-* flag is enforced on its own", async () => {
    const digest = await pushTestImage(registry.host, "workflow/app", "v1", "workflow");
    const target = `${registry.host}/workflow/app@${digest}`;
    const token = sigstore.token({ sub: "repo:org/app:ref:refs/heads/main", extra: { job_workflow_ref: "org/app/.github/workflows/release.yml@refs/heads/main" } });
    assert.equal((await runSignet(["sign", "--identity-token", token, "--fulcio-url", sigstore.fulcioUrl, "--rekor-url", sigstore.rekorUrl, target], { cwd: dir })).status, 0);
    const base = ["verify", "--certificate-identity-regexp", "https://github\\.com/org/app/\\.github/workflows/release\\.yml@.*", "--certificate-oidc-issuer", sigstore.issuer, "--trusted-root", "root.json"];
    const claims = ["--certificate-github-workflow-repository", "org/app", "--certificate-github-workflow-ref", "refs/heads/main", "--certificate-github-workflow-trigger", "push", "--certificate-github-workflow-name", "release", "--certificate-github-workflow-sha", "0123456789abcdef0123456789abcdef01234567"];
    const ok = await runSignet([...base, ...claims, target], { cwd: dir });
    assert.equal(ok.status, 0, ok.stderr);
    for (const [flag, wrong] of [["repository", "org/app-evil"], ["ref", "refs/heads/dev"], ["trigger", "pull_request"], ["name", "release2"], ["sha", "f".repeat(40)]] as const) {
      const result = await runSignet([...base, `--certificate-github-workflow-${flag}`, wrong, "--output-format", "json", target], { cwd: dir });
      assert.deepEqual(jsonErrorCodes(result.stdout), ["CERT_IDENTITY_MISMATCH"], flag);
    }
    // A prefix of the workflow path is not the workflow (A.7).
    const prefix = await runSignet(["verify", "--certificate-identity", "https://github.com/org/app/.github/workflows/rel", "--certificate-oidc-issuer", sigstore.issuer, "--trusted-root", "root.json", "--output-format", "json", target], { cwd: dir });
    assert.deepEqual(jsonErrorCodes(prefix.stdout), ["CERT_IDENTITY_MISMATCH"]);
  });
});
