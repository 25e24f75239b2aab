/**
 * Notation behind every entry point (#10): the same Notation-signed images and the same trust policy and trust
 * store, checked through the library (`createImageVerifier({ notation })`), `signet notation verify`, `signet policy verify` (policy.json's notationSigned), the
 * webhook's ClusterImagePolicy `notation` authority and the webhook's `--policy-json`, must give the same verdict
 * and the same error code. Real registry, real processes; the signatures are made by `signet notation sign`.
 *
 * One difference is by definition: a trust policy statement with level `skip` makes `notation verify` succeed
 * without checking anything (notation's behaviour), while an admission or policy decision never accepts an image
 * through it (NOTATION_POLICY_SKIP).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { ErrorCode } from "../../src/errors/index.js";
import { createImageVerifier, SignetError, type ImageVerifier } from "../../src/index.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { attachNotationSignature, discoverNotationSignatures } from "../../src/signatures/notation/oci-signatures.js";
import { jsonErrorCodes, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { admissionReview, workload } from "../unit/webhook/server/admission-reviews.js";
import { postReview } from "../unit/webhook/server/https-client.js";
import { startWebhookProcess, webhookFiles, type WebhookProcess } from "./webhook-server-harness.js";

type EntryPoint = "library" | "notation-cli" | "policy" | "webhook-cip" | "webhook-policy-json";
const ENTRY_POINTS: readonly EntryPoint[] = ["library", "notation-cli", "policy", "webhook-cip", "webhook-policy-json"];

interface Verdict {
  readonly allowed: boolean;
  readonly code?: ErrorCode;
}
const ALLOWED: Verdict = { allowed: true };
const DENIED = (code: ErrorCode): Verdict => ({ allowed: false, code });

interface Row {
  readonly name: string;
  readonly repo: string;
  readonly expected: Verdict;
  readonly differs?: Partial<Record<EntryPoint, Verdict>>;
}

const E2E_SUBJECT = "CN=e2e,O=Notary,L=Seattle,ST=WA,C=US";

const ROWS: Row[] = [
  { name: "JWS signature by the trusted test certificate", repo: "jws", expected: ALLOWED },
  { name: "COSE signature by the trusted test certificate", repo: "cose", expected: ALLOWED },
  { name: "unsigned", repo: "unsigned", expected: DENIED("SIG_MISSING") },
  { name: "signed by a certificate outside the trust store", repo: "other-ca", expected: DENIED("NOTATION_AUTHENTICITY") },
  { name: "signed by a trusted CA, but not by a trusted identity", repo: "identity", expected: DENIED("NOTATION_UNTRUSTED_IDENTITY") },
  { name: "required user metadata missing (env=prod)", repo: "metadata", expected: DENIED("NOTATION_USER_METADATA_MISMATCH") },
  { name: "required user metadata present (env=prod)", repo: "metadata-ok", expected: ALLOWED },
  { name: "a valid signature of another image attached to this one", repo: "copied", expected: DENIED("NOTATION_INTEGRITY") },
  { name: "the scope's statement has level skip", repo: "skip", expected: DENIED("NOTATION_POLICY_SKIP"), differs: { "notation-cli": ALLOWED } },
];

/** Repositories whose statement requires env=prod in the user metadata. */
const NEEDS_METADATA = new Set(["metadata", "metadata-ok"]);

describe("Notation: signet notation verify, policy verify and the webhook agree", () => {
  let registry: TestRegistry;
  let host: string;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const webhooks: Partial<Record<"cip" | "policy-json", WebhookProcess>> = {};
  const verifiers: Partial<Record<"plain" | "metadata", ImageVerifier>> = {};
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });
  const image = (repo: string) => `${host}/nt/${repo}:v1`;

  before(async () => {
    registry = await startRegistry();
    host = registry.host;
    dir = mkdtempSync(join(tmpdir(), "signet-notation-entry-"));
    env = { ...process.env, XDG_CONFIG_HOME: join(dir, "config"), HOME: dir };
    assert.equal((await signet(["notation", "cert", "generate-test", "e2e", "--default"])).status, 0);
    assert.equal((await signet(["notation", "cert", "generate-test", "other"])).status, 0);
    const truststore = join(dir, "config", "notation", "truststore");
    // "other" is trusted only as a CA of its own store, which no statement names but the identity one.
    const statement = (name: string, scopes: string[], extra: Record<string, unknown> = {}) => ({
      name,
      registryScopes: scopes,
      signatureVerification: { level: "strict" },
      trustStores: ["ca:e2e"],
      trustedIdentities: [`x509.subject:${E2E_SUBJECT}`],
      ...extra,
    });
    const trustPolicy = {
      version: "1.0",
      trustPolicies: [
        statement("skip", [`${host}/nt/skip`], { signatureVerification: { level: "skip" }, trustStores: [], trustedIdentities: [] }),
        statement("identity", [`${host}/nt/identity`], { trustStores: ["ca:other"], trustedIdentities: [`x509.subject:${E2E_SUBJECT}`] }),
        statement("everything", ["*"]),
      ],
    };
    writeFileSync(join(dir, "trustpolicy.json"), JSON.stringify(trustPolicy));
    assert.equal((await signet(["notation", "policy", "import", "--force", join(dir, "trustpolicy.json")])).status, 0);

    for (const row of ROWS) await pushTestImage(host, `nt/${row.repo}`, "v1", `notation entry points ${row.repo}`);
    const sign = async (repo: string, args: string[] = []) => {
      const signed = await signet(["notation", "sign", ...args, image(repo)]);
      assert.equal(signed.status, 0, `notation sign ${repo}: ${signed.stderr}`);
    };
    await sign("jws", ["--signature-format", "jws"]);
    await sign("cose", ["--signature-format", "cose"]);
    await sign("other-ca", ["--key", "other"]);
    await sign("identity", ["--key", "other"]);
    await sign("metadata", ["-m", "env=dev"]);
    await sign("metadata-ok", ["-m", "env=prod"]);
    await sign("skip");
    {
      // jws's envelope, attached as a referrer of "copied": the signature is valid, for another manifest.
      const access = new ImageAccess();
      const source = await access.resolve(image("jws"));
      const [found] = (await discoverNotationSignatures(source.repository, source.digest)).found;
      const target = await access.resolve(image("copied"));
      const manifest = target.manifest ?? (await target.repository.getManifest(target.digest));
      await attachNotationSignature(target.repository, { mediaType: manifest.mediaType, digest: target.digest, size: manifest.bytes.length }, { bytes: found!.untrustedBytes, mediaType: found!.mediaType, certificateChain: [] });
      await access.close();
    }

    // policy.json: notationSigned with the trust policy file and notation's trust store directory.
    const requirement = (repo: string) => ({
      type: "notationSigned",
      trustPolicyPath: join(dir, "trustpolicy.json"),
      trustStorePath: truststore,
      ...(NEEDS_METADATA.has(repo) ? { userMetadata: { env: "prod" } } : {}),
    });
    const scopes = Object.fromEntries(ROWS.map((row) => [`${host}/nt/${row.repo}`, [requirement(row.repo)]]));
    writeFileSync(join(dir, "policy.json"), JSON.stringify({ default: [{ type: "reject" }], transports: { docker: scopes } }));

    // One ClusterImagePolicy per repository: the trust policy inline, the CA certificates listed from files.
    const certificate = (name: string) => join(truststore, "x509", "ca", name, `${name}.crt`);
    const cips: Record<string, string> = {};
    for (const row of ROWS) {
      cips[`${row.repo}.yaml`] = [
        "apiVersion: policy.sigstore.dev/v1beta1",
        "kind: ClusterImagePolicy",
        `metadata:\n  name: nt-${row.repo}`,
        "spec:",
        `  images:\n  - glob: "${host}/nt/${row.repo}:*"`,
        "  authorities:",
        "  - name: notary",
        "    notation:",
        `      trustPolicy: '${JSON.stringify(trustPolicy)}'`,
        "      trustStores:",
        `      - name: "ca:e2e"\n        path: "${certificate("e2e")}"`,
        `      - name: "ca:other"\n        path: "${certificate("other")}"`,
        ...(NEEDS_METADATA.has(row.repo) ? ["      userMetadata:", "        env: prod"] : []),
        "",
      ].join("\n");
    }
    const [cip, policyJson] = await Promise.all([
      startWebhookProcess(webhookFiles(cips), ["--deadline", "20s", "--no-match-action", "deny"]),
      startWebhookProcess({ ...webhookFiles({}), policyDir: "" }, ["--deadline", "20s", "--policy-json", join(dir, "policy.json")]),
    ]);
    Object.assign(webhooks, { cip, "policy-json": policyJson });
    const notation = { trustPolicy: join(dir, "trustpolicy.json"), trustStore: truststore };
    verifiers.plain = await createImageVerifier({ notation });
    verifiers.metadata = await createImageVerifier({ notation: { ...notation, userMetadata: { env: "prod" } } });
  });

  after(async () => {
    for (const webhook of Object.values(webhooks)) await webhook?.stop();
    for (const verifier of Object.values(verifiers)) await verifier?.close();
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function library(row: Row): Promise<Verdict> {
    try {
      await verifiers[NEEDS_METADATA.has(row.repo) ? "metadata" : "plain"]!.verify(image(row.repo));
      return ALLOWED;
    } catch (error) {
      assert.ok(SignetError.is(error), String(error));
      return DENIED(error.code);
    }
  }

  async function notationCli(row: Row): Promise<Verdict> {
    const result = await signet(["notation", "verify", ...(NEEDS_METADATA.has(row.repo) ? ["-m", "env=prod"] : []), "--output-format", "json", image(row.repo)]);
    if (result.status === 0) return ALLOWED;
    const [code] = jsonErrorCodes(result.stdout);
    return DENIED(code as ErrorCode);
  }

  async function policy(row: Row): Promise<Verdict> {
    const result = await signet(["policy", "verify", "--policy", "policy.json", "--output-format", "json", `docker://${image(row.repo)}`]);
    const report = JSON.parse(result.stdout) as { images: { allowed: boolean; code?: ErrorCode; requirements?: { allowed: boolean; code?: ErrorCode }[] }[] };
    const [decision] = report.images;
    if (decision!.allowed) return ALLOWED;
    return DENIED(decision!.requirements?.find((r) => !r.allowed)?.code ?? decision!.code!);
  }

  async function webhook(which: "cip" | "policy-json", row: Row): Promise<Verdict> {
    const answer = (await postReview(webhooks[which]!.target, "/mutate", admissionReview(workload("Pod", { containers: { app: image(row.repo) } })))).json<{
      response: { allowed: boolean; status?: { message?: string } };
    }>().response;
    if (answer.allowed) return ALLOWED;
    const code = /^ {2}code: ([A-Z_]+)$/m.exec(answer.status?.message ?? "")?.[1] as ErrorCode | undefined;
    return { allowed: false, ...(code === undefined ? {} : { code }) };
  }

  const verdictOf = (entry: EntryPoint, row: Row): Promise<Verdict> =>
    entry === "library" ? library(row) : entry === "notation-cli" ? notationCli(row) : entry === "policy" ? policy(row) : webhook(entry === "webhook-cip" ? "cip" : "policy-json", row);

  for (const row of ROWS) {
    test(row.name, async () => {
      const results = Object.fromEntries(await Promise.all(ENTRY_POINTS.map(async (entry) => [entry, await verdictOf(entry, row)] as const)));
      for (const entry of ENTRY_POINTS) {
        assert.deepEqual(results[entry], row.differs?.[entry] ?? row.expected, `${entry} on ${row.repo}: ${JSON.stringify(results)}`);
      }
    });
  }

  test("a webhook denial names the Notation authority, the signer's problem and the fix", async () => {
    const answer = (await postReview(webhooks.cip!.target, "/mutate", admissionReview(workload("Pod", { containers: { app: image("other-ca") } })))).json<{
      response: { allowed: boolean; status?: { message?: string } };
    }>().response;
    assert.equal(answer.allowed, false);
    const message = answer.status?.message ?? "";
    assert.match(message, /notary/);
    assert.match(message, /NOTATION_AUTHENTICITY/);
    assert.match(message, /trust store/i);
  });

  test("check-policy accepts a notation authority and refuses one without trust stores, naming the fields", async () => {
    const cip = (name: string, stores: string[]) => {
      const path = join(dir, `${name}.yaml`);
      const policyText = readFileSync(join(dir, "trustpolicy.json"), "utf8");
      const lines = ["apiVersion: policy.sigstore.dev/v1beta1", "kind: ClusterImagePolicy", `metadata:\n  name: ${name}`, "spec:", '  images:\n  - glob: "**"', "  authorities:", "  - notation:", `      trustPolicy: '${policyText}'`, ...stores, ""];
      writeFileSync(path, lines.join("\n"));
      return path;
    };
    const good = await signet(["webhook", "check-policy", cip("notation-good", [`      trustStorePath: "${join(dir, "config", "notation", "truststore")}"`])]);
    assert.equal(good.status, 0, good.stderr + good.stdout);
    const bad = await signet(["webhook", "check-policy", cip("notation-bad", [])]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout + bad.stderr, /notation\.trustStorePath.*notation\.trustStores|trustStores/);
  });
});
