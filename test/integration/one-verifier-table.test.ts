/**
 * One verifier behind every entry point: the same images and the same trust, checked through the library
 * (`createImageVerifier`), `signet verify`, `signet policy verify` and the webhook (ClusterImagePolicy authorities,
 * and `--policy-json`), must give the same verdict and the same error code. The webhook is asked through `/mutate`:
 * the rows name images by tag, which `/validate` refuses before any verification (it cannot pin them:
 * `ADMISSION_TAG_UNPINNED`, tested in webhook-hardening.test.ts); `/mutate` verifies exactly as `/validate` does. Real registry, real
 * processes; keyless signatures come from a private sigstore on loopback (test/helpers/fake-sigstore.ts), GPG
 * ones from gpg.
 *
 * Where an ecosystem defines a different answer on purpose, the row says so in `differs` and the test asserts
 * that answer: policy.json is containers/image, which reads neither sigstore bundles nor attestations, and checks
 * the platform instance of a multi-arch index; `signet verify` and the library are cosign, which reads no GPG
 * lookaside signatures. Every other cell must equal the row's verdict and code.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { createImageVerifier, SignetError, type ImageVerifier } from "../../src/index.js";
import type { ErrorCode } from "../../src/errors/index.js";
import type { Digest } from "../../src/internal/digest.js";
import { signWithKey } from "../../src/keys/index.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { readImageShape } from "../../src/oci/manifest/platform.js";
import { attachSignatureLayer } from "../../src/signatures/cosign/attach.js";
import { CosignAnnotation } from "../../src/signatures/cosign/signature-manifest.js";
import { createSimpleSigningPayload } from "../../src/signatures/payload/simple-signing.js";
import { runSignet, type RunResult } from "../helpers/cli.js";
import { startFakeSigstore, type FakeSigstore } from "../helpers/fake-sigstore.js";
import { createGpgHome, type GpgHome } from "../helpers/gpg.js";
import { pushTestImage } from "../helpers/images.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { admissionReview, workload } from "../unit/webhook/server/admission-reviews.js";
import { postReview } from "../unit/webhook/server/https-client.js";
import { keyPolicyYaml, signingSetup, startWebhookProcess, webhookFiles, type SigningSetup, type WebhookProcess } from "./webhook-server-harness.js";

const ALICE = "alice@example.test";
const BOB = "bob@example.test";
const PLATFORM = "linux/amd64";

type EntryPoint = "library" | "cli" | "policy" | "webhook-cip" | "webhook-policy-json";
const ENTRY_POINTS: readonly EntryPoint[] = ["library", "cli", "policy", "webhook-cip", "webhook-policy-json"];

interface Verdict {
  readonly allowed: boolean;
  /** The error code for a rejection (the failing requirement's, for policy.json). */
  readonly code?: ErrorCode;
}

interface Row {
  readonly name: string;
  /** Repository under HOST/table/ (its trust is set per repository in every entry point's policy). */
  readonly repo: string;
  /** What every entry point must answer. */
  readonly expected: Verdict;
  /** Multi-arch: "instance" runs every entry point on the linux/amd64 instance of the index (--platform, --multi-arch instance). */
  readonly multiArch?: "index" | "instance";
  /** The image is named by its digest instead of the tag v1. */
  readonly byDigest?: boolean;
  /** An attestation of this predicate type is required too (library verifyAttestations, verify-attestation, a CIP authority's attestations). */
  readonly attestation?: string;
  /** Entry points that answer otherwise by their ecosystem's definition, with that answer (or "n/a": not a format they read). */
  readonly differs?: Partial<Record<EntryPoint, Verdict | "n/a">>;
}

const DENIED = (code: ErrorCode): Verdict => ({ allowed: false, code });
const ALLOWED: Verdict = { allowed: true };

const ROWS: Row[] = [
  { name: "key: a .sig signature by the trusted key", repo: "key", expected: ALLOWED },
  { name: "key: unsigned", repo: "unsigned", expected: DENIED("SIG_MISSING") },
  { name: "key: signed by another key", repo: "other-key", expected: DENIED("SIG_INVALID") },
  { name: "tampered: the signed payload was changed after signing", repo: "tampered", expected: DENIED("SIG_INVALID") },
  { name: "copied: a valid signature of another image attached to this one", repo: "copied", expected: DENIED("SIG_DIGEST_MISMATCH") },
  {
    name: "bundle: a sigstore bundle (cosign 3 format) by the trusted key, as an OCI referrer",
    repo: "bundle",
    expected: ALLOWED,
    differs: { policy: DENIED("SIG_MISSING"), "webhook-policy-json": DENIED("SIG_MISSING") }, // containers/image reads only .sig attachments
  },
  { name: "keyless: a Fulcio certificate for alice, logged in Rekor", repo: "keyless", expected: ALLOWED },
  { name: "wrong identity: alice signed, bob is required", repo: "keyless-bob", expected: DENIED("CERT_IDENTITY_MISMATCH") },
  {
    name: "GPG: a simple-signing signature in the lookaside store",
    repo: "gpg",
    expected: ALLOWED,
    differs: { library: "n/a", cli: "n/a", "webhook-cip": "n/a" }, // cosign and ClusterImagePolicies have no GPG signatures
  },
  {
    name: "multi-arch: only the index is signed; the index is verified",
    repo: "multi-index",
    multiArch: "index",
    expected: ALLOWED,
    differs: { policy: DENIED("SIG_MISSING"), "webhook-policy-json": DENIED("SIG_MISSING") }, // containers/image checks the instance
  },
  { name: "multi-arch: only the index is signed; the linux/amd64 instance is verified", repo: "multi-index", multiArch: "instance", expected: DENIED("SIG_MISSING") },
  {
    name: "multi-arch: only the linux/amd64 instance is signed; the index is verified",
    repo: "multi-instance",
    multiArch: "index",
    expected: DENIED("SIG_MISSING"),
    differs: { policy: ALLOWED, "webhook-policy-json": ALLOWED },
  },
  { name: "multi-arch: only the linux/amd64 instance is signed; the instance is verified", repo: "multi-instance", multiArch: "instance", expected: ALLOWED },
  { name: "multi-arch: index and instances signed", repo: "multi-both", multiArch: "instance", expected: ALLOWED },
  {
    name: "attestation: a SLSA provenance attestation by the trusted key",
    repo: "attested",
    attestation: "slsaprovenance",
    expected: ALLOWED,
    differs: { policy: "n/a", "webhook-policy-json": "n/a" }, // policy.json has no attestation requirement
  },
  {
    name: "attestation: signed and attested, but no attestation of the required type",
    repo: "attested-other",
    attestation: "spdx",
    expected: DENIED("ATTESTATION_TYPE_MISMATCH"),
    differs: { policy: "n/a", "webhook-policy-json": "n/a" },
  },
  // The Confidential Containers guide's security-policy.json shape: `repo:tag` -> sigstoreSigned with keyPath and no
  // signedIdentity (so matchRepoDigestOrExact), `repo` -> signedBy GPG. Cosign signatures name only the repository.
  {
    name: "CoCo policy, by tag: the default signedIdentity rejects a cosign signature (image-rs would accept: matchRepository)",
    repo: "coco",
    expected: ALLOWED,
    differs: { policy: DENIED("SIG_IDENTITY_MISMATCH"), "webhook-policy-json": DENIED("SIG_IDENTITY_MISMATCH") },
  },
  {
    name: "CoCo policy, by digest: the repository's signedBy GPG scope applies, and the image has no GPG signature",
    repo: "coco",
    byDigest: true,
    expected: ALLOWED,
    differs: { policy: DENIED("SIG_MISSING"), "webhook-policy-json": DENIED("SIG_MISSING") },
  },
];

describe("one verifier: library, signet verify, signet policy verify and the webhook agree", () => {
  let registry: TestRegistry;
  let sigstore: FakeSigstore;
  let gpgHome: GpgHome;
  let dir: string;
  let host: string;
  let signer: SigningSetup;
  let otherSigner: SigningSetup;
  const webhooks: Partial<Record<"index" | "instance" | "policy-json", WebhookProcess>> = {};
  const verifiers: Partial<Record<"key" | "alice" | "bob", ImageVerifier>> = {};
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, COSIGN_PASSWORD: "table", HOME: dir, SIGNET_TUF_ROOT: join(dir, "tuf") });
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env: env(), cwd: dir });
  const digests = new Map<string, Digest>();
  const image = (row: Row): string => (row.byDigest === true ? `${host}/table/${row.repo}@${digests.get(row.repo)!}` : `${host}/table/${row.repo}:v1`);
  /** Which trust each repository is checked with. */
  const trustOf = (repo: string): "key" | "alice" | "bob" | "gpg" => (repo === "keyless" ? "alice" : repo === "keyless-bob" ? "bob" : repo === "gpg" ? "gpg" : "key");

  before(async () => {
    registry = await startRegistry();
    host = registry.host;
    sigstore = await startFakeSigstore();
    gpgHome = await createGpgHome({ userId: "Table <table@example.test>" });
    dir = mkdtempSync(join(tmpdir(), "signet-one-verifier-"));
    writeFileSync(join(dir, "root.json"), sigstore.trustedRoot);
    writeFileSync(join(dir, "ca.pem"), sigstore.caChainPem.join(""));
    writeFileSync(join(dir, "rekor.pub"), sigstore.rekorPublicKeyPem);
    mkdirSync(join(dir, "sigs"));
    mkdirSync(join(dir, "registries.d"));
    const sigs = pathToFileURL(join(dir, "sigs")).href;
    writeFileSync(join(dir, "registries.d", "default.yaml"), `default-docker:\n  lookaside: ${sigs}\n  lookaside-staging: ${sigs}\n`);

    signer = signingSetup();
    otherSigner = signingSetup();
    writeFileSync(join(dir, "trusted.pub"), signer.publicKeyPem);
    writeFileSync(join(dir, "trusted.key"), signer.key.privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    const push = async (repo: string, platforms?: string[]) => {
      const digest = await pushTestImage(host, `table/${repo}`, "v1", `one-verifier ${repo}`, platforms);
      digests.set(repo, digest);
      return digest;
    };

    await push("key");
    await signer.sign(`${host}/table/key:v1`);
    writeFileSync(join(dir, "provenance.json"), JSON.stringify({ builder: { id: "https://ci.example.test" }, buildType: "https://example.test/build" }));
    for (const repo of ["attested", "attested-other"]) {
      await push(repo);
      await signer.sign(`${host}/table/${repo}:v1`);
      const attested = await signet(["attest", "--key", "trusted.key", "--tlog-upload=false", "--predicate", "provenance.json", "--type", "slsaprovenance", `${host}/table/${repo}:v1`]);
      assert.equal(attested.status, 0, `signet attest: ${attested.stderr}`);
    }
    await push("coco");
    await signer.sign(`${host}/table/coco:v1`);
    await push("unsigned");
    await push("other-key");
    await otherSigner.sign(`${host}/table/other-key:v1`);
    const tampered = await push("tampered");
    {
      // A valid signature over one payload, stored with another (the payload was edited after signing).
      const access = new ImageAccess();
      const resolved = await access.resolve(`${host}/table/tampered:v1`);
      const signed = createSimpleSigningPayload({ dockerReference: resolved.identity, manifestDigest: tampered, annotations: { build: "1" } });
      const changed = createSimpleSigningPayload({ dockerReference: resolved.identity, manifestDigest: tampered, annotations: { build: "2" } });
      await attachSignatureLayer(resolved.repository, resolved.digest, { payload: changed, annotations: { [CosignAnnotation.signature]: signWithKey(signer.key, signed).toString("base64") } });
      await access.close();
    }
    await push("copied");
    await signer.transplant(`${host}/table/copied:v1`, await push("key"));

    // A key-based sigstore bundle (the key written as a PEM private key above).
    await push("bundle");
    const bundled = await signet(["sign", "--key", "trusted.key", "--new-bundle-format", "--tlog-upload=false", `${host}/table/bundle:v1`]);
    assert.equal(bundled.status, 0, `signet sign --new-bundle-format: ${bundled.stderr}`);

    const token = sigstore.token({ email: ALICE });
    for (const repo of ["keyless", "keyless-bob"]) {
      await push(repo);
      const signed = await signet(["sign", "--identity-token", token, "--fulcio-url", sigstore.fulcioUrl, "--rekor-url", sigstore.rekorUrl, `${host}/table/${repo}:v1`]);
      assert.equal(signed.status, 0, `keyless signing of ${repo}: ${signed.stderr}`);
    }

    await push("gpg");
    const gpgSigned = await signet(["sign", "--gpg-key", gpgHome.secretKeyPath, "--passphrase-file", gpgHome.passphraseFile, "--registries-d", join(dir, "registries.d"), `${host}/table/gpg:v1`]);
    assert.equal(gpgSigned.status, 0, `signet sign --gpg-key: ${gpgSigned.stderr}`);

    const access = new ImageAccess();
    const amd64Of = async (repo: string, index: Digest): Promise<Digest> => {
      const shape = await readImageShape((await access.resolve(`${host}/table/${repo}@${index}`)).repository, index);
      assert.equal(shape.kind, "index");
      return shape.kind === "index" ? shape.instances.find((d) => d.platform?.architecture === "amd64")!.digest : index;
    };
    const platforms = ["linux/amd64", "linux/arm64"];
    const multiIndex = await push("multi-index", platforms);
    await signer.sign(`${host}/table/multi-index@${multiIndex}`);
    const multiInstance = await push("multi-instance", platforms);
    await signer.sign(`${host}/table/multi-instance@${await amd64Of("multi-instance", multiInstance)}`);
    const multiBoth = await push("multi-both", platforms);
    await signer.sign(`${host}/table/multi-both@${multiBoth}`);
    await signer.sign(`${host}/table/multi-both@${await amd64Of("multi-both", multiBoth)}`);
    await access.close();

    // The library: trust loaded once, many images.
    verifiers.key = await createImageVerifier({ key: signer.key.publicKey });
    verifiers.alice = await createImageVerifier({ identity: { subject: ALICE, issuer: sigstore.issuer }, trustedRoot: join(dir, "root.json") });
    verifiers.bob = await createImageVerifier({ identity: { subject: BOB, issuer: sigstore.issuer }, trustedRoot: join(dir, "root.json") });

    // policy.json: the same trust per repository (cosign signatures name only the repository: matchRepository).
    const matchRepository = { type: "matchRepository" };
    const keyed = [{ type: "sigstoreSigned", keyPath: join(dir, "trusted.pub"), signedIdentity: matchRepository }];
    const fulcio = (email: string) => [
      { type: "sigstoreSigned", fulcio: { caPath: join(dir, "ca.pem"), oidcIssuer: sigstore.issuer, subjectEmail: email }, rekorPublicKeyPath: join(dir, "rekor.pub"), signedIdentity: matchRepository },
    ];
    const scopes: Record<string, unknown[]> = {};
    for (const row of ROWS) {
      const trust = trustOf(row.repo);
      scopes[`${host}/table/${row.repo}`] = trust === "key" ? keyed : trust === "gpg" ? [{ type: "signedBy", keyType: "GPGKeys", keyPath: gpgHome.publicKeyPath }] : fulcio(trust === "alice" ? ALICE : BOB);
    }
    scopes[`${host}/table/coco:v1`] = [{ type: "sigstoreSigned", keyPath: join(dir, "trusted.pub") }];
    scopes[`${host}/table/coco`] = [{ type: "signedBy", keyType: "GPGKeys", keyPath: gpgHome.publicKeyPath }];
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ default: [{ type: "reject" }], transports: { docker: scopes } }));

    // ClusterImagePolicies: the same trust per repository.
    const keyless = (name: string, repo: string, email: string) =>
      [
        "apiVersion: policy.sigstore.dev/v1beta1",
        "kind: ClusterImagePolicy",
        `metadata:\n  name: ${name}`,
        "spec:",
        `  images:\n  - glob: "${host}/table/${repo}:*"`,
        "  authorities:",
        "  - keyless:",
        `      identities:\n      - issuer: "${sigstore.issuer}"\n        subject: "${email}"`,
        "",
      ].join("\n");
    const cips: Record<string, string> = {};
    for (const row of ROWS) {
      const trust = trustOf(row.repo);
      if (trust === "key") {
        // The image by tag or by digest; with the row's attestation required by the authority.
        const attestations = row.attestation === undefined ? "" : `    attestations:\n    - name: required\n      predicateType: ${row.attestation}\n`;
        cips[`${row.repo}.yaml`] =
          keyPolicyYaml(`table-${row.repo}`, `${host}/table/${row.repo}:*`, signer.publicKeyPem).replace(/^ {2}- glob: .*$/m, (line) => `${line}\n  - glob: "${host}/table/${row.repo}@*"`) + attestations;
      }
      if (trust === "alice" || trust === "bob") cips[`${row.repo}.yaml`] = keyless(`table-${row.repo}`, row.repo, trust === "alice" ? ALICE : BOB);
    }
    const common = ["--deadline", "20s", "--trusted-root", join(dir, "root.json"), "--platform", PLATFORM];
    const [onIndex, onInstance, policyJson] = await Promise.all([
      startWebhookProcess(webhookFiles(cips), [...common, "--multi-arch", "index", "--no-match-action", "deny"]),
      startWebhookProcess(webhookFiles(cips), [...common, "--multi-arch", "instance", "--no-match-action", "deny"]),
      startWebhookProcess({ ...webhookFiles({}), policyDir: "" }, [...common, "--policy-json", join(dir, "policy.json"), "--registries-d", join(dir, "registries.d")]),
    ]);
    Object.assign(webhooks, { index: onIndex, instance: onInstance, "policy-json": policyJson });
  });

  after(async () => {
    for (const webhook of Object.values(webhooks)) await webhook?.stop();
    for (const verifier of Object.values(verifiers)) await verifier?.close();
    await signer?.close();
    await otherSigner?.close();
    await gpgHome?.close();
    await sigstore?.stop();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function library(row: Row): Promise<Verdict> {
    const trust = trustOf(row.repo);
    if (trust === "gpg") return { allowed: false };
    try {
      const platform = row.multiArch === "instance" ? { platform: PLATFORM } : {};
      if (row.attestation !== undefined) await verifiers[trust]!.verifyAttestations(image(row), { predicateType: row.attestation, ...platform });
      else await verifiers[trust]!.verify(image(row), platform);
      return ALLOWED;
    } catch (error) {
      assert.ok(SignetError.is(error), String(error));
      return DENIED(error.code);
    }
  }

  async function cli(row: Row): Promise<Verdict> {
    const trust = trustOf(row.repo);
    const signerArgs = trust === "key" ? ["--key", "trusted.pub", "--insecure-ignore-tlog"] : ["--certificate-identity", trust === "alice" ? ALICE : BOB, "--certificate-oidc-issuer", sigstore.issuer, "--trusted-root", "root.json"];
    const command = row.attestation === undefined ? ["verify"] : ["verify-attestation", "--type", row.attestation];
    const result = await signet([...command, ...signerArgs, ...(row.multiArch === "instance" ? ["--platform", PLATFORM] : []), "--output-format", "json", image(row)]);
    const report = JSON.parse(result.stdout) as { images: { verified: boolean; error?: { code: ErrorCode } }[] };
    const [only] = report.images;
    return only!.verified ? ALLOWED : DENIED(only!.error!.code);
  }

  async function policy(row: Row): Promise<Verdict> {
    const result = await signet([
      "policy", "verify", "--policy", "policy.json", "--registries-d", "registries.d", "--use-sigstore-attachments", "--platform", PLATFORM, "--output-format", "json", `docker://${image(row)}`,
    ]);
    const report = JSON.parse(result.stdout) as { images: { allowed: boolean; code?: ErrorCode; requirements?: { allowed: boolean; code?: ErrorCode }[] }[] };
    const [decision] = report.images;
    if (decision!.allowed) return ALLOWED;
    // The structured denial: the code of the requirement that failed.
    return DENIED(decision!.requirements?.find((r) => !r.allowed)?.code ?? decision!.code!);
  }

  async function webhook(which: "index" | "instance" | "policy-json", row: Row): Promise<Verdict> {
    const answer = (await postReview(webhooks[which]!.target, "/mutate", admissionReview(workload("Pod", { containers: { app: image(row) } })))).json<{
      response: { allowed: boolean; status?: { message?: string } };
    }>().response;
    if (answer.allowed) return ALLOWED;
    const code = /^ {2}code: ([A-Z_]+)$/m.exec(answer.status?.message ?? "")?.[1] as ErrorCode | undefined;
    return { allowed: false, ...(code === undefined ? {} : { code }) };
  }

  const verdictOf = (entry: EntryPoint, row: Row): Promise<Verdict> => {
    switch (entry) {
      case "library":
        return library(row);
      case "cli":
        return cli(row);
      case "policy":
        return policy(row);
      case "webhook-cip":
        return webhook(row.multiArch === "instance" ? "instance" : "index", row);
      case "webhook-policy-json":
        return webhook("policy-json", row);
    }
  };

  for (const row of ROWS) {
    test(row.name, async () => {
      const results = Object.fromEntries(await Promise.all(ENTRY_POINTS.map(async (entry) => [entry, await verdictOf(entry, row)] as const)));
      for (const entry of ENTRY_POINTS) {
        const expected = row.differs?.[entry] ?? row.expected;
        if (expected === "n/a") continue;
        assert.deepEqual(results[entry], expected, `${entry} on ${row.repo}${row.multiArch ? ` (${row.multiArch})` : ""}: ${JSON.stringify(results)}`);
      }
    });
  }
});
