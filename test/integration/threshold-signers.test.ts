/**
 * Threshold and required signers across formats (policy.json `signetThreshold`), through `signet policy verify`
 * and the webhook's `--policy-json`: 2 of 3 signers, a cosign key, a keyless identity (a private sigstore on
 * loopback) and a GPG key (real gpg), with every combination of signatures. Distinctness: the same key signing
 * twice, and two signers naming the same key, never count twice. A Notation signer counts like any other. `required`: a required signer that did not sign
 * denies with its code even when the threshold is met.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import type { ErrorCode } from "../../src/errors/index.js";
import { runSignet, type RunResult } from "../helpers/cli.js";
import { startFakeSigstore, type FakeSigstore } from "../helpers/fake-sigstore.js";
import { createGpgHome, type GpgHome } from "../helpers/gpg.js";
import { pushTestImage } from "../helpers/images.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { admissionReview, workload } from "../unit/webhook/server/admission-reviews.js";
import { postReview } from "../unit/webhook/server/https-client.js";
import { signingSetup, startWebhookProcess, webhookFiles, type SigningSetup, type WebhookProcess } from "./webhook-server-harness.js";

const ALICE = "alice@example.test";

interface Verdict {
  readonly allowed: boolean;
  readonly code?: ErrorCode;
}
const ALLOWED: Verdict = { allowed: true };
const DENIED = (code: ErrorCode): Verdict => ({ allowed: false, code });

/** Which signatures each repository gets. */
const SIGNED: Record<string, readonly ("key" | "keyless" | "gpg" | "key-again" | "notation")[]> = {
  none: [],
  key: ["key"],
  keyless: ["keyless"],
  gpg: ["gpg"],
  "key-keyless": ["key", "keyless"],
  "key-gpg": ["key", "gpg"],
  "keyless-gpg": ["keyless", "gpg"],
  all: ["key", "keyless", "gpg"],
  // The same key signs twice (two different payloads, so two .sig layers): one signer.
  "key-twice": ["key", "key-again"],
  notation: ["notation"],
  "key-notation": ["key", "notation"],
  "gpg-notation": ["gpg", "notation"],
};

/** policy → repository → verdict. */
const EXPECTED: Record<"two-of-three" | "release-required" | "same-key-twice" | "with-notation", Record<string, Verdict>> = {
  "two-of-three": {
    none: DENIED("SIG_THRESHOLD_NOT_MET"),
    key: DENIED("SIG_THRESHOLD_NOT_MET"),
    keyless: DENIED("SIG_THRESHOLD_NOT_MET"),
    gpg: DENIED("SIG_THRESHOLD_NOT_MET"),
    "key-keyless": ALLOWED,
    "key-gpg": ALLOWED,
    "keyless-gpg": ALLOWED,
    all: ALLOWED,
    "key-twice": DENIED("SIG_THRESHOLD_NOT_MET"),
  },
  "release-required": {
    none: DENIED("SIG_REQUIRED_SIGNER_MISSING"),
    key: DENIED("SIG_REQUIRED_SIGNER_MISSING"),
    gpg: DENIED("SIG_THRESHOLD_NOT_MET"),
    // The threshold is met, but not by the required signer.
    "key-keyless": DENIED("SIG_REQUIRED_SIGNER_MISSING"),
    "key-gpg": ALLOWED,
    "keyless-gpg": ALLOWED,
    all: ALLOWED,
    "key-twice": DENIED("SIG_REQUIRED_SIGNER_MISSING"),
  },
  // A Notation signer (the Notary Project trust policy chooses the certificate) next to a key and a GPG key.
  "with-notation": {
    notation: DENIED("SIG_THRESHOLD_NOT_MET"),
    key: DENIED("SIG_THRESHOLD_NOT_MET"),
    "key-notation": ALLOWED,
    "gpg-notation": ALLOWED,
    "key-gpg": ALLOWED,
    none: DENIED("SIG_THRESHOLD_NOT_MET"),
  },
  // Two signers name the same public key (two files): one key is one signer, however often it signed.
  "same-key-twice": {
    key: DENIED("SIG_THRESHOLD_NOT_MET"),
    "key-twice": DENIED("SIG_THRESHOLD_NOT_MET"),
    "key-keyless": DENIED("SIG_THRESHOLD_NOT_MET"),
  },
};

/**
 * ClusterImagePolicy `spec.signers` (signet's extension): the authorities are the signers (ClusterImagePolicies
 * have no GPG authority). "ci" and "ci-copy" hold the same key: one signer.
 */
const CIP_EXPECTED: Record<"cip-two" | "cip-dev-required", Record<string, Verdict>> = {
  "cip-two": {
    none: DENIED("SIG_THRESHOLD_NOT_MET"),
    key: DENIED("SIG_THRESHOLD_NOT_MET"),
    "key-twice": DENIED("SIG_THRESHOLD_NOT_MET"),
    keyless: DENIED("SIG_THRESHOLD_NOT_MET"),
    "key-keyless": ALLOWED,
    all: ALLOWED,
  },
  "cip-dev-required": {
    key: DENIED("SIG_REQUIRED_SIGNER_MISSING"),
    "key-gpg": DENIED("SIG_REQUIRED_SIGNER_MISSING"),
    keyless: ALLOWED,
    "key-keyless": ALLOWED,
  },
};

describe("signetThreshold: 2 of 3 across a cosign key, a keyless identity and a GPG key", () => {
  let registry: TestRegistry;
  let sigstore: FakeSigstore;
  let gpgHome: GpgHome;
  let signer: SigningSetup;
  let dir: string;
  let host: string;
  const webhooks: Partial<Record<"two-of-three" | "release-required" | "with-notation" | "cip-two" | "cip-dev-required", WebhookProcess>> = {};
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, COSIGN_PASSWORD: "threshold", HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), SIGNET_TUF_ROOT: join(dir, "tuf") });
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env: env(), cwd: dir });
  const image = (repo: string) => `${host}/thr/${repo}:v1`;

  before(async () => {
    registry = await startRegistry();
    host = registry.host;
    sigstore = await startFakeSigstore();
    gpgHome = await createGpgHome({ userId: "Release <release@example.test>" });
    signer = signingSetup();
    dir = mkdtempSync(join(tmpdir(), "signet-threshold-"));
    writeFileSync(join(dir, "ca.pem"), sigstore.caChainPem.join(""));
    writeFileSync(join(dir, "rekor.pub"), sigstore.rekorPublicKeyPem);
    writeFileSync(join(dir, "ci.pub"), signer.publicKeyPem);
    copyFileSync(join(dir, "ci.pub"), join(dir, "ci-copy.pub"));
    writeFileSync(join(dir, "ci.key"), signer.key.privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    mkdirSync(join(dir, "sigs"));
    mkdirSync(join(dir, "registries.d"));
    const sigs = pathToFileURL(join(dir, "sigs")).href;
    writeFileSync(join(dir, "registries.d", "default.yaml"), `default-docker:\n  lookaside: ${sigs}\n  lookaside-staging: ${sigs}\n`);

    // Notation: a test certificate and a trust policy trusting it for every repository.
    assert.equal((await signet(["notation", "cert", "generate-test", "e2e", "--default"])).status, 0);
    writeFileSync(
      join(dir, "trustpolicy.json"),
      JSON.stringify({
        version: "1.0",
        trustPolicies: [{ name: "all", registryScopes: ["*"], signatureVerification: { level: "strict" }, trustStores: ["ca:e2e"], trustedIdentities: ["x509.subject:CN=e2e,O=Notary,L=Seattle,ST=WA,C=US"] }],
      }),
    );
    const token = sigstore.token({ email: ALICE });
    for (const [repo, signatures] of Object.entries(SIGNED)) {
      await pushTestImage(host, `thr/${repo}`, "v1", `threshold ${repo}`);
      for (const kind of signatures) {
        let result: RunResult | undefined;
        if (kind === "key") await signer.sign(image(repo));
        if (kind === "key-again") result = await signet(["sign", "--key", "ci.key", "--tlog-upload=false", "-a", "again=yes", image(repo)]);
        if (kind === "keyless") result = await signet(["sign", "--identity-token", token, "--fulcio-url", sigstore.fulcioUrl, "--rekor-url", sigstore.rekorUrl, image(repo)]);
        if (kind === "gpg") result = await signet(["sign", "--gpg-key", gpgHome.secretKeyPath, "--passphrase-file", gpgHome.passphraseFile, "--registries-d", "registries.d", image(repo)]);
        if (kind === "notation") result = await signet(["notation", "sign", image(repo)]);
        assert.equal(result?.status ?? 0, 0, `signing ${repo} (${kind}): ${result?.stderr}`);
      }
    }

    const matchRepository = { type: "matchRepository" };
    const ci = { name: "ci", type: "sigstoreSigned", keyPath: join(dir, "ci.pub") };
    const dev = { name: "dev", type: "sigstoreSigned", fulcio: { caPath: join(dir, "ca.pem"), oidcIssuer: sigstore.issuer, subjectEmail: ALICE }, rekorPublicKeyPath: join(dir, "rekor.pub") };
    const release = { name: "release", type: "signedBy", keyType: "GPGKeys", keyPath: gpgHome.publicKeyPath };
    const policy = (rule: Record<string, unknown>) => JSON.stringify({ default: [{ type: "signetThreshold", ...rule, signedIdentity: matchRepository }] });
    writeFileSync(join(dir, "two-of-three.json"), policy({ threshold: 2, signers: [ci, dev, release] }));
    writeFileSync(join(dir, "release-required.json"), policy({ threshold: 2, required: ["release"], signers: [ci, dev, release] }));
    const notary = { name: "notary", type: "notationSigned", trustPolicyPath: join(dir, "trustpolicy.json"), trustStorePath: join(dir, "config", "notation", "truststore") };
    writeFileSync(join(dir, "with-notation.json"), policy({ threshold: 2, signers: [ci, release, notary] }));
    writeFileSync(join(dir, "same-key-twice.json"), policy({ threshold: 2, signers: [ci, { ...ci, name: "ci-copy", keyPath: join(dir, "ci-copy.pub") }] }));

    const common = ["--deadline", "20s", "--registries-d", join(dir, "registries.d")];
    writeFileSync(join(dir, "root.json"), sigstore.trustedRoot);
    const keyAuthority = (name: string) => [`  - name: ${name}`, "    key:", "      data: |", ...signer.publicKeyPem.trim().split("\n").map((line) => `        ${line}`)];
    const cip = (name: string, signers: string[]) =>
      [
        "apiVersion: policy.sigstore.dev/v1beta1",
        "kind: ClusterImagePolicy",
        `metadata:\n  name: ${name}`,
        "spec:",
        `  images:\n  - glob: "${host}/thr/*"`,
        "  authorities:",
        ...keyAuthority("ci"),
        "  - name: dev",
        "    keyless:",
        `      identities:\n      - issuer: "${sigstore.issuer}"\n        subject: "${ALICE}"`,
        ...keyAuthority("ci-copy"),
        "  signers:",
        ...signers,
        "",
      ].join("\n");
    const cipArgs = ["--deadline", "20s", "--trusted-root", join(dir, "root.json"), "--no-match-action", "deny"];
    const [twoOfThree, releaseRequired, withNotation, cipTwo, cipDevRequired] = await Promise.all([
      startWebhookProcess({ ...webhookFiles({}), policyDir: "" }, [...common, "--policy-json", join(dir, "two-of-three.json")]),
      startWebhookProcess({ ...webhookFiles({}), policyDir: "" }, [...common, "--policy-json", join(dir, "release-required.json")]),
      startWebhookProcess({ ...webhookFiles({}), policyDir: "" }, [...common, "--policy-json", join(dir, "with-notation.json")]),
      startWebhookProcess(webhookFiles({ "cip.yaml": cip("cip-two", ["    threshold: 2"]) }), cipArgs),
      startWebhookProcess(webhookFiles({ "cip.yaml": cip("cip-dev-required", ["    threshold: 1", "    required: [dev]"]) }), cipArgs),
    ]);
    Object.assign(webhooks, { "two-of-three": twoOfThree, "release-required": releaseRequired, "with-notation": withNotation, "cip-two": cipTwo, "cip-dev-required": cipDevRequired });
  });

  after(async () => {
    for (const webhook of Object.values(webhooks)) await webhook?.stop();
    await signer?.close();
    await gpgHome?.close();
    await sigstore?.stop();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  interface PolicyReport {
    images: { allowed: boolean; code?: ErrorCode; requirements?: { allowed: boolean; code?: ErrorCode; reason: string; signatures: { allowed: boolean; reason: string }[] }[] }[];
  }

  async function cli(policyName: string, repo: string): Promise<{ verdict: Verdict; report: PolicyReport }> {
    const result = await signet(["policy", "verify", "--policy", `${policyName}.json`, "--registries-d", "registries.d", "--use-sigstore-attachments", "--output-format", "json", `docker://${image(repo)}`]);
    const report = JSON.parse(result.stdout) as PolicyReport;
    const [decision] = report.images;
    if (decision!.allowed) return { verdict: ALLOWED, report };
    return { verdict: DENIED(decision!.requirements?.find((r) => !r.allowed)?.code ?? decision!.code!), report };
  }

  async function webhook(which: keyof typeof webhooks, repo: string): Promise<Verdict> {
    const answer = (await postReview(webhooks[which]!.target, "/mutate", admissionReview(workload("Pod", { containers: { app: image(repo) } })))).json<{
      response: { allowed: boolean; status?: { message?: string } };
    }>().response;
    if (answer.allowed) return ALLOWED;
    const code = /^ {2}code: ([A-Z_]+)$/m.exec(answer.status?.message ?? "")?.[1] as ErrorCode | undefined;
    return { allowed: false, ...(code === undefined ? {} : { code }) };
  }

  for (const [policyName, rows] of Object.entries(EXPECTED)) {
    for (const [repo, expected] of Object.entries(rows)) {
      test(`${policyName}: signed by ${SIGNED[repo]!.length === 0 ? "nobody" : SIGNED[repo]!.join(" + ")} → ${expected.allowed ? "allowed" : expected.code}`, async () => {
        const { verdict } = await cli(policyName, repo);
        assert.deepEqual(verdict, expected, `signet policy verify --policy ${policyName}.json on ${repo}`);
        if (policyName === "two-of-three" || policyName === "release-required" || policyName === "with-notation") {
          assert.deepEqual(await webhook(policyName, repo), expected, `webhook --policy-json ${policyName}.json on ${repo}`);
        }
      });
    }
  }

  for (const [policyName, rows] of Object.entries(CIP_EXPECTED)) {
    for (const [repo, expected] of Object.entries(rows)) {
      test(`ClusterImagePolicy ${policyName}: signed by ${SIGNED[repo]!.length === 0 ? "nobody" : SIGNED[repo]!.join(" + ")} → ${expected.allowed ? "allowed" : expected.code}`, async () => {
        assert.deepEqual(await webhook(policyName as keyof typeof CIP_EXPECTED, repo), expected);
      });
    }
  }

  test("a denial names the signers found and the ones missing, with the required one marked", async () => {
    const { report } = await cli("release-required", "key-keyless");
    const requirement = report.images[0]!.requirements![0]!;
    assert.equal(requirement.code, "SIG_REQUIRED_SIGNER_MISSING");
    assert.match(requirement.reason, /found: ci \(key sha256:[0-9a-f]{64}\), dev \(keyless "[^"]+" "alice@example\.test"\)/);
    assert.match(requirement.reason, /missing: release \[required\]: no signature it could verify was found/);
    const verdicts = requirement.signatures.map((s) => `${s.allowed}:${s.reason}`);
    assert.ok(verdicts.some((v) => v.startsWith('true:signer "ci"')), verdicts.join("\n"));
    assert.ok(verdicts.some((v) => v.startsWith('false:signer "release" (required) is missing')), verdicts.join("\n"));
  });

  test("the same key signing twice is one signer: the second signature is reported as already counted", async () => {
    const { report } = await cli("same-key-twice", "key-twice");
    const requirement = report.images[0]!.requirements![0]!;
    assert.equal(requirement.code, "SIG_THRESHOLD_NOT_MET");
    assert.match(requirement.reason, /^1 of the 2 distinct signers required/);
    assert.match(requirement.reason, /ci-copy: signed only by key sha256:[0-9a-f]{64}, which already counts as "ci"/);
  });
});
