/**
 * signet and skopeo evaluate the same policy.json on the same registry images and must agree on accept/reject.
 * Images are pushed to a real registry; GPG signatures are made by skopeo itself (`copy --sign-by`) into a
 * file:// lookaside store named by registries.d. Each row of CASES is one (image, policy) pair: to add a case,
 * add a row (the policy may use the placeholders below).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runProgram } from "../helpers/cli.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { createTestImage, openLayout } from "../../src/oci/layout/index.js";
import { parseImageLocation } from "../../src/oci/reference/index.js";
import { compilePolicy, createLocationReader, createPolicyFetchers, evaluatePolicy, formatDecisionText, parsePolicy, type PolicyDecision } from "../../src/policy/index.js";
import { loadRegistriesD } from "../../src/signatures/registries-d/index.js";

/** Placeholders in CASES: @host@ = the registry's host:port, @trusted@ / @foreign@ = keyring files. */
interface AgreementCase {
  name: string;
  /** Repository under @host@/test/ (pushed in `before`). */
  image: "signed" | "unsigned" | "foreign";
  policy: unknown;
  /** What both tools must decide. */
  allowed: boolean;
}

const signedBy = (key: "@trusted@" | "@foreign@", extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: "signedBy", keyType: "GPGKeys", keyPath: key, ...extra });

const CASES: AgreementCase[] = [
  { name: "insecureAcceptAnything accepts an unsigned image", image: "unsigned", policy: { default: [{ type: "insecureAcceptAnything" }] }, allowed: true },
  { name: "reject rejects a signed image", image: "signed", policy: { default: [{ type: "reject" }] }, allowed: false },
  { name: "signedBy accepts an image signed by the trusted key", image: "signed", policy: { default: [{ type: "reject" }], transports: { docker: { "@host@/test/signed": [signedBy("@trusted@")] } } }, allowed: true },
  { name: "signedBy rejects an unsigned image", image: "unsigned", policy: { default: [{ type: "reject" }], transports: { docker: { "@host@": [signedBy("@trusted@")] } } }, allowed: false },
  { name: "signedBy rejects an image signed by a foreign key", image: "foreign", policy: { default: [{ type: "reject" }], transports: { docker: { "@host@/test": [signedBy("@trusted@")] } } }, allowed: false },
  { name: "signedBy with the other keyring rejects the signed image", image: "signed", policy: { default: [{ type: "reject" }], transports: { docker: { "@host@": [signedBy("@foreign@")] } } }, allowed: false },
  {
    name: "matchRepository accepts the signature of another tag in the same repository",
    image: "signed",
    policy: { default: [{ type: "reject" }], transports: { docker: { "@host@/test/signed": [signedBy("@trusted@", { signedIdentity: { type: "matchRepository" } })] } } },
    allowed: true,
  },
  {
    name: "exactReference of another image rejects",
    image: "signed",
    policy: { default: [{ type: "reject" }], transports: { docker: { "": [signedBy("@trusted@", { signedIdentity: { type: "exactReference", dockerReference: "@host@/test/other:v1" } })] } } },
    allowed: false,
  },
  {
    name: "the most specific scope wins: a reject repository under an accepting registry",
    image: "unsigned",
    policy: { default: [{ type: "insecureAcceptAnything" }], transports: { docker: { "@host@": [{ type: "insecureAcceptAnything" }], "@host@/test/unsigned": [{ type: "reject" }] } } },
    allowed: false,
  },
  {
    name: "the transport default applies when no scope matches",
    image: "signed",
    policy: { default: [{ type: "reject" }], transports: { docker: { "": [signedBy("@trusted@")], "other.example": [{ type: "reject" }] } } },
    allowed: true,
  },
];

describe("policy.json: signet agrees with skopeo (real registry, skopeo-made GPG signatures)", () => {
  let registry: TestRegistry;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const run = async (file: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> => runProgram(file, args, { env, cwd: dir });
  const gpg = async (args: string[]): Promise<string> => {
    const result = await run("gpg", ["--batch", "--pinentry-mode", "loopback", "--passphrase", "", ...args]);
    assert.equal(result.status, 0, `gpg ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  };
  const fingerprintOf = async (uid: string): Promise<string> => {
    const listing = await gpg(["--list-secret-keys", "--with-colons", uid]);
    return /^fpr:+([0-9A-F]{40}):/m.exec(listing)![1]!;
  };

  before(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-policy-skopeo-"));
    const gnupgHome = join(dir, "gnupg");
    mkdirSync(gnupgHome, { mode: 0o700 });
    env = { ...process.env, GNUPGHOME: gnupgHome, HOME: dir };
    await gpg(["--quick-gen-key", "Trusted <trusted@example.test>", "ed25519", "sign", "never"]);
    await gpg(["--quick-gen-key", "Foreign <foreign@example.test>", "ed25519", "sign", "never"]);
    const trusted = await fingerprintOf("trusted@example.test");
    const foreign = await fingerprintOf("foreign@example.test");
    // --output keeps the binary keyring intact (stdout is collected as text).
    await gpg(["--output", join(dir, "trusted.gpg"), "--export", trusted]);
    await gpg(["--output", join(dir, "foreign.gpg"), "--export", foreign]);

    mkdirSync(join(dir, "registries.d"));
    writeFileSync(join(dir, "registries.d", "default.yaml"), `default-docker:\n  lookaside: file://${dir}/sigs\n  lookaside-staging: file://${dir}/sigs\n`);
    writeFileSync(join(dir, "any.json"), JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));

    const layout = join(dir, "layout");
    await createTestImage(await openLayout(layout, { create: true }), "v1");
    const push = async (repository: string, signBy?: string): Promise<void> => {
      const args = ["--policy", join(dir, "any.json"), "--registries.d", join(dir, "registries.d"), "copy", "--dest-tls-verify=false"];
      if (signBy !== undefined) args.push("--sign-by", signBy);
      const result = await run("skopeo", [...args, `oci:${layout}:v1`, `docker://${registry.host}/test/${repository}:v1`]);
      assert.equal(result.status, 0, `skopeo copy to ${repository}: ${result.stderr}`);
    };
    await push("unsigned");
    await push("signed", trusted);
    await push("foreign", foreign);
  });

  after(async () => {
    await runProgram("gpgconf", ["--kill", "gpg-agent"], { env });
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const policyText = (policy: unknown): string =>
    JSON.stringify(policy, null, 2)
      .replaceAll("@host@", registry.host)
      .replaceAll("@trusted@", join(dir, "trusted.gpg"))
      .replaceAll("@foreign@", join(dir, "foreign.gpg"));

  async function skopeoAllows(policyFile: string, image: string): Promise<{ allowed: boolean; message: string }> {
    const out = mkdtempSync(join(dir, "out-"));
    const result = await run("skopeo", ["--policy", policyFile, "--registries.d", join(dir, "registries.d"), "copy", "--src-tls-verify=false", `docker://${image}`, `dir:${out}`]);
    rmSync(out, { recursive: true, force: true });
    return { allowed: result.status === 0, message: result.stderr.trim() };
  }

  async function signetDecides(policyFile: string, text: string, image: string): Promise<PolicyDecision> {
    const readKey = createLocationReader();
    const policy = await compilePolicy(parsePolicy(text, { source: policyFile }), { readKey });
    const access = new ImageAccess();
    try {
      const fetchers = createPolicyFetchers({ access, registriesD: await loadRegistriesD(join(dir, "registries.d")), readKey });
      return await evaluatePolicy(parseImageLocation(`docker://${image}`), policy, { fetchers });
    } finally {
      await access.close();
    }
  }

  for (const [index, row] of CASES.entries()) {
    test(row.name, async () => {
      const text = policyText(row.policy);
      const policyFile = join(dir, `policy-${index}.json`);
      writeFileSync(policyFile, text);
      const image = `${registry.host}/test/${row.image}:v1`;
      const skopeo = await skopeoAllows(policyFile, image);
      const signet = await signetDecides(policyFile, text, image);
      assert.equal(skopeo.allowed, row.allowed, `skopeo: ${skopeo.message}`);
      assert.equal(signet.allowed, skopeo.allowed, `signet disagrees with skopeo (${skopeo.message}):\n${formatDecisionText(signet)}`);
      if (!signet.allowed) assert.equal(signet.outcome, "denied", formatDecisionText(signet));
    });
  }
});
