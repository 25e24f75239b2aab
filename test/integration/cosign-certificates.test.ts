// cosign's certificate-based trust, both ways with the real cosign 2.5, offline: a private CA made with openssl
// (helpers/private-ca.ts: root, intermediate, a code-signing leaf for the cosign key), signatures carrying the certificate (cosign sign and
// attest --certificate --certificate-chain, signet attach signature --certificate --certificate-chain), and a
// detached blob signature checked with --certificate. Each rejection asserts its code.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { createPrivateCa } from "../helpers/private-ca.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

const IDENTITY = ["--certificate-identity", "signer@example.com", "--certificate-oidc-issuer", "https://issuer.example.com"];
/** Offline: no Rekor and no CT log for a private CA, as cosign needs too. */
const NO_LOGS = ["--insecure-ignore-tlog", "--insecure-ignore-sct"];

describe("verify with --certificate, --certificate-chain, --ca-roots, --ca-intermediates (cosign 2.5 both ways)", () => {
  let registry: TestRegistry;
  let dir: string;
  let cosign: string;
  let env: NodeJS.ProcessEnv;
  const images = {} as Record<"withCert" | "keyOnly" | "bySignet", string>;
  const run = (file: string, args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> => runProgram(file, args, { env: { ...env, ...extraEnv }, cwd: dir });
  const runCosign = (args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> => run(cosign, args, extraEnv);
  const signet = (args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> => runSignet(args, { env: { ...env, ...extraEnv }, cwd: dir });
  const ok = (result: RunResult, what: string): void => assert.equal(result.status, 0, `${what}: ${result.stderr}`);
  /** signet rejects with this code (and cosign rejects too, when `cosignToo`). */
  const rejected = async (args: string[], code: string, options: { cosignToo?: boolean; env?: Record<string, string> } = {}): Promise<void> => {
    const bySignet = await signet(args, options.env);
    assert.notEqual(bySignet.status, 0, `signet ${args.join(" ")} passed`);
    assert.match(bySignet.stderr, new RegExp(`\\[${code}\\]`), `signet ${args.join(" ")}: ${bySignet.stderr}`);
    if (options.cosignToo !== false) assert.notEqual((await runCosign(args, options.env)).status, 0, `cosign ${args.join(" ")} passed`);
  };
  const bothVerify = async (args: string[]): Promise<void> => {
    ok(await signet(args), `signet ${args.join(" ")}`);
    ok(await runCosign(args), `cosign ${args.join(" ")}`);
  };

  before(async () => {
    cosign = cosignPath();
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-certificates-"));
    env = cosignEnv({ COSIGN_PASSWORD: "certificates", HOME: dir, SIGNET_TUF_ROOT: join(dir, "tuf") });
    ok(await runCosign(["generate-key-pair", "--output-key-prefix", "cosign"]), "generate-key-pair");
    await createPrivateCa(dir, "cosign.pub");
    writeFileSync(join(dir, "predicate.json"), JSON.stringify({ builder: { id: "https://example.test/builder" }, buildType: "https://example.test/type" }));
    writeFileSync(join(dir, "blob.txt"), "a release artifact\n");
    writeFileSync(join(dir, "other.txt"), "another artifact\n");

    const image = async (name: string) => `${registry.host}/${name}@${await pushTestImage(registry.host, name, "v1", name)}`;
    images.withCert = await image("with-cert");
    images.keyOnly = await image("key-only");
    images.bySignet = await image("by-signet");
    const sign = ["--key", "cosign.key", "--tlog-upload=false", "-y"];
    ok(await runCosign(["sign", ...sign, "--certificate", "leaf.pem", "--certificate-chain", "chain.pem", images.withCert]), "cosign sign --certificate");
    ok(await runCosign(["attest", ...sign, "--certificate", "leaf.pem", "--certificate-chain", "chain.pem", "--type", "slsaprovenance", "--predicate", "predicate.json", images.withCert]), "cosign attest --certificate");
    ok(await runCosign(["sign", ...sign, images.keyOnly]), "cosign sign (key only)");
    ok(await runCosign(["sign-blob", ...sign, "--output-signature", "blob.sig", "blob.txt"]), "cosign sign-blob");
    // signet writes a signature carrying the certificate: sign without uploading, then attach with the certificate.
    ok(await signet(["sign", ...sign, "--upload=false", "--output-signature", "s.sig", "--output-payload", "s.json", images.bySignet]), "signet sign --upload=false");
    ok(await signet(["attach", "signature", "--signature", "s.sig", "--payload", "s.json", "--certificate", "leaf.pem", "--certificate-chain", "chain.pem", images.bySignet]), "signet attach signature --certificate");
  });
  after(async () => {
    await registry?.stop();
  });

  test("cosign's certificate-carrying signature verifies with the chain, the roots (and intermediates), or --certificate", async () => {
    await bothVerify(["verify", ...IDENTITY, ...NO_LOGS, "--certificate-chain", "chain.pem", images.withCert]);
    await bothVerify(["verify", ...IDENTITY, ...NO_LOGS, "--ca-roots", "root.pem", images.withCert]);
    await bothVerify(["verify", ...IDENTITY, ...NO_LOGS, "--ca-roots", "root.pem", "--ca-intermediates", "int.pem", images.withCert]);
    await bothVerify(["verify", ...IDENTITY, ...NO_LOGS, "--certificate", "leaf.pem", "--certificate-chain", "chain.pem", images.withCert]);
    await bothVerify(["verify-attestation", "--type", "slsaprovenance", ...IDENTITY, ...NO_LOGS, "--certificate-chain", "chain.pem", images.withCert]);
  });

  test("--certificate verifies a key-signed image with the certificate's key (the certificate checked against the CA)", async () => {
    await bothVerify(["verify", ...IDENTITY, ...NO_LOGS, "--certificate", "leaf.pem", "--certificate-chain", "chain.pem", images.keyOnly]);
    // Without --certificate the signature names no certificate: nothing to check against the CA.
    await rejected(["verify", ...IDENTITY, ...NO_LOGS, "--certificate-chain", "chain.pem", images.keyOnly], "SIG_INVALID");
  });

  test("cosign verifies the certificate signet attached, and so does signet", async () => {
    await bothVerify(["verify", ...IDENTITY, ...NO_LOGS, "--certificate-chain", "chain.pem", images.bySignet]);
    await bothVerify(["verify", ...IDENTITY, ...NO_LOGS, "--ca-roots", "root.pem", images.bySignet]);
  });

  test("signet sign and attest --key --certificate --certificate-chain: cosign and signet verify what signet wrote", async () => {
    const name = "signed-with-cert";
    const image = `${registry.host}/${name}@${await pushTestImage(registry.host, name, "v1", name)}`;
    const sign = ["--key", "cosign.key", "--tlog-upload=false", "--certificate", "leaf.pem", "--certificate-chain", "chain.pem"];
    ok(await signet(["sign", ...sign, image]), "signet sign --certificate");
    ok(await signet(["attest", ...sign, "--type", "slsaprovenance", "--predicate", "predicate.json", image]), "signet attest --certificate");
    await bothVerify(["verify", ...IDENTITY, ...NO_LOGS, "--certificate-chain", "chain.pem", image]);
    await bothVerify(["verify", ...IDENTITY, ...NO_LOGS, "--ca-roots", "root.pem", "--ca-intermediates", "int.pem", image]);
    await bothVerify(["verify-attestation", "--type", "slsaprovenance", ...IDENTITY, ...NO_LOGS, "--certificate-chain", "chain.pem", image]);
    await rejected(["verify", ...IDENTITY, ...NO_LOGS, "--ca-roots", "other-root.pem", image], "CERT_CHAIN_INVALID");
    ok(await signet(["attest-blob", ...sign, "--type", "slsaprovenance", "--predicate", "predicate.json", "--bundle", "attest-blob.bundle", "--output-signature", "attest-blob.json", "blob.txt"]), "signet attest-blob --certificate");
    await bothVerify(["verify-blob-attestation", "--bundle", "attest-blob.bundle", "--type", "slsaprovenance", ...IDENTITY, ...NO_LOGS, "--certificate-chain", "chain.pem", "blob.txt"]);
  });

  test("signet sign refuses a certificate for another key, or one its chain did not issue, before pushing anything", async () => {
    const name = "refused-cert";
    const digest = await pushTestImage(registry.host, name, "v1", name);
    const image = `${registry.host}/${name}@${digest}`;
    const sign = ["--key", "cosign.key", "--tlog-upload=false"];
    // int.pem certifies the intermediate's key, not cosign.key; cosign refuses it too.
    await rejected(["sign", ...sign, "--certificate", "int.pem", "--certificate-chain", "chain.pem", image], "SIGNING_CERTIFICATE_INVALID");
    await rejected(["attest", ...sign, "--certificate", "int.pem", "--type", "slsaprovenance", "--predicate", "predicate.json", image], "SIGNING_CERTIFICATE_INVALID");
    await rejected(["sign", ...sign, "--certificate", "leaf.pem", "--certificate-chain", "other-root.pem", image], "SIGNING_CERTIFICATE_INVALID");
    await rejected(["sign", ...sign, "--certificate-chain", "chain.pem", image], "USAGE");
    for (const suffix of ["sig", "att"]) {
      const response = await fetch(`http://${registry.host}/v2/${name}/manifests/${digest.replace(":", "-")}.${suffix}`, { method: "HEAD" });
      assert.equal(response.status, 404, `a .${suffix} manifest was pushed for a refused certificate`);
    }
  });

  test("rejections keep their codes: another root, a broken chain, another identity, a missing SCT", async () => {
    await rejected(["verify", ...IDENTITY, ...NO_LOGS, "--ca-roots", "other-root.pem", images.withCert], "CERT_CHAIN_INVALID");
    await rejected(["verify", ...IDENTITY, ...NO_LOGS, "--certificate", "leaf.pem", "--ca-roots", "other-root.pem", images.keyOnly], "CERT_CHAIN_INVALID");
    // The chain without its intermediate: the leaf does not reach the root.
    await rejected(["verify", ...IDENTITY, ...NO_LOGS, "--certificate", "leaf.pem", "--certificate-chain", "root.pem", images.keyOnly], "CERT_CHAIN_INVALID");
    await rejected(["verify-attestation", "--type", "slsaprovenance", ...IDENTITY, ...NO_LOGS, "--ca-roots", "other-root.pem", images.withCert], "CERT_CHAIN_INVALID");
    const otherIdentity = ["--certificate-identity", "someone@example.com", "--certificate-oidc-issuer", "https://issuer.example.com"];
    await rejected(["verify", ...otherIdentity, ...NO_LOGS, "--certificate-chain", "chain.pem", images.withCert], "CERT_IDENTITY_MISMATCH");
    await rejected(["verify", ...otherIdentity, ...NO_LOGS, "--certificate", "leaf.pem", "--certificate-chain", "chain.pem", images.keyOnly], "CERT_IDENTITY_MISMATCH");
    // Without --insecure-ignore-sct an SCT is required, as cosign: the private CA's certificate has none. (A CT log
    // key is given so that neither tool needs the public-good root for it offline.)
    const ctKey = { SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: join(dir, "cosign.pub") };
    await rejected(["verify", ...IDENTITY, "--insecure-ignore-tlog", "--certificate-chain", "chain.pem", images.withCert], "SCT_INVALID", { env: ctKey });
    await rejected(["verify", ...IDENTITY, "--insecure-ignore-tlog", "--certificate", "leaf.pem", "--certificate-chain", "chain.pem", images.keyOnly], "SCT_INVALID", { env: ctKey });
    // A trust root without any CT log key does not turn the requirement off: signet fails closed (cosign would
    // fetch the public-good CT keys through TUF, which cannot work offline).
    const noCtLog = { SIGSTORE_REKOR_PUBLIC_KEY: join(dir, "cosign.pub") };
    await rejected(["verify", ...IDENTITY, "--insecure-ignore-tlog", "--ca-roots", "root.pem", images.withCert], "SCT_INVALID", { env: noCtLog, cosignToo: false });
  });

  test("conflicting or incomplete flags are usage errors", async () => {
    const conflict = await signet(["verify", ...IDENTITY, ...NO_LOGS, "--certificate-chain", "chain.pem", "--ca-roots", "root.pem", images.withCert]);
    assert.match(conflict.stderr, /\[OPTION_CONFLICT\]/);
    assert.notEqual((await runCosign(["verify", ...IDENTITY, ...NO_LOGS, "--certificate-chain", "chain.pem", "--ca-roots", "root.pem", images.withCert])).status, 0);
    assert.match((await signet(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--certificate", "leaf.pem", images.keyOnly])).stderr, /\[OPTION_CONFLICT\]/);
    assert.match((await signet(["verify", ...IDENTITY, ...NO_LOGS, "--ca-intermediates", "int.pem", images.withCert])).stderr, /\[USAGE\]/);
  });

  test("verify-blob --certificate --signature: both tools accept the blob and reject another with the right code", async () => {
    const blob = (extra: string[], file: string) => ["verify-blob", ...IDENTITY, ...NO_LOGS, "--signature", "blob.sig", ...extra, file];
    await bothVerify(blob(["--certificate", "leaf.pem", "--certificate-chain", "chain.pem"], "blob.txt"));
    await bothVerify(blob(["--certificate", "leaf.pem", "--ca-roots", "root.pem", "--ca-intermediates", "int.pem"], "blob.txt"));
    await rejected(blob(["--certificate", "leaf.pem", "--certificate-chain", "chain.pem"], "other.txt"), "SIG_INVALID");
    await rejected(blob(["--certificate", "leaf.pem", "--ca-roots", "other-root.pem"], "blob.txt"), "CERT_CHAIN_INVALID");
  });
});
