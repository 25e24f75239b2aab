// `signet verify` on real cosign keyless and key+Rekor signatures (containers/image fixtures, made by cosign in
// 2022-2023 against the public-good Fulcio and Rekor), stored as cosign stores them: layers of the image's
// `.sig` tag, here in an OCI layout. Identity rules, trust sources and log requirements, with each rejection's code.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import type { Digest } from "../../src/internal/digest.js";
import { MediaType } from "../../src/oci/manifest/media-types.js";
import { openLayout } from "../../src/oci/layout/index.js";
import { buildSignatureImage, CosignAnnotation } from "../../src/signatures/cosign/signature-manifest.js";
import { attachmentTag } from "../../src/signatures/cosign/tags.js";
import { jsonErrorCodes, runSignet } from "../helpers/cli.js";
import { readDirSigstoreSignature } from "../helpers/dir-signature.js";
import { trustedRootJson } from "../helpers/fake-sigstore.js";
import { VECTORS } from "../helpers/peers.js";

const FIXTURES = join(VECTORS, "containers__image", "signature", "fixtures");
const fixture = (name: string) => readFileSync(join(FIXTURES, name));
const MITR = ["--certificate-identity", "mitr@redhat.com", "--certificate-oidc-issuer", "https://github.com/login/oauth"];

/** An OCI layout holding the fixture's manifest and, under its `.sig` tag, the given signature layers. */
async function stageLayout(fixtureDir: string, edit: (annotations: Record<string, string>) => Record<string, string> = (a) => a): Promise<{ image: string; digest: Digest }> {
  const path = mkdtempSync(join(tmpdir(), "signet-keyless-"));
  const layout = await openLayout(path, { create: true });
  const manifest = fixture(join(fixtureDir, "manifest.json"));
  const digest = await layout.putManifest(manifest, MediaType.DockerManifest, "v1");
  const signature = readDirSigstoreSignature(join(FIXTURES, fixtureDir, "signature-1"));
  await layout.putBlob(signature.untrustedPayload, signature.layerDigest);
  const sig = buildSignatureImage([{ mediaType: signature.mediaType, digest: signature.layerDigest, size: signature.untrustedPayload.length, annotations: edit({ ...signature.untrustedAnnotations }) }]);
  await layout.putBlob(sig.configBytes, sig.configDigest);
  await layout.putManifest(sig.manifestBytes, MediaType.OciManifest, attachmentTag(digest));
  return { image: `oci:${path}@${digest}`, digest };
}

describe("signet verify: keyless and logged legacy .sig signatures", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let keyless: { image: string; digest: Digest };
  let keyRekor: { image: string; digest: Digest };
  const signet = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runSignet(args, { env: { ...env, ...extraEnv }, cwd: dir });
  const codes = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const result = await signet([...args, "--output-format", "json"], extraEnv);
    assert.notEqual(result.status, 0, result.stdout);
    return jsonErrorCodes(result.stdout);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "signet-keyless-cli-"));
    env = { ...process.env, SIGNET_TUF_ROOT: join(dir, "tuf"), HOME: dir };
    writeFileSync(join(dir, "root.json"), trustedRootJson({ certificateAuthorities: [{ chainPem: [fixture("fulcio_v1.crt.pem").toString()] }], tlogs: [{ publicKey: fixture("rekor.pub").toString(), baseUrl: "https://rekor.sigstore.dev" }] }));
    writeFileSync(join(dir, "other-log.json"), trustedRootJson({ certificateAuthorities: [{ chainPem: [fixture("fulcio_v1.crt.pem").toString()] }], tlogs: [{ publicKey: fixture("cosign.pub").toString(), baseUrl: "https://rekor.example" }] }));
    keyless = await stageLayout("dir-img-cosign-fulcio-rekor-valid");
    keyRekor = await stageLayout("dir-img-cosign-key-rekor-valid");
  });

  test("a keyless signature verifies with --trusted-root and the signer's identity; the output names it", async () => {
    const result = await signet(["verify", ...MITR, "--trusted-root", "root.json", keyless.image]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /signed by mitr@redhat\.com \(issuer https:\/\/github\.com\/login\/oauth\), logged at index 11605770/);
    assert.match(result.stderr, /verified using trusted certificate authority certificates/);
    assert.match(result.stderr, /transparency log was verified offline/);
    const [payload] = JSON.parse(result.stdout) as { critical: { image: { "docker-manifest-digest": string } }; optional: Record<string, string> }[];
    assert.equal(payload!.critical.image["docker-manifest-digest"], keyless.digest);
    assert.equal(payload!.optional["Subject"], "mitr@redhat.com");
    assert.equal(payload!.optional["Issuer"], "https://github.com/login/oauth");
  });

  test("JSON output gives the signer, the log entry and the format", async () => {
    const result = await signet(["verify", ...MITR, "--trusted-root", "root.json", "--output-format", "json", keyless.image]);
    assert.equal(result.status, 0, result.stdout);
    const report = JSON.parse(result.stdout) as { images: { signatures: { format: string; signer: Record<string, string> }[] }[] };
    const signature = report.images[0]!.signatures[0]!;
    assert.equal(signature.format, "cosign-legacy");
    assert.deepEqual(signature.signer, { kind: "keyless", subject: "mitr@redhat.com", issuer: "https://github.com/login/oauth", transparencyLog: "verified", logIndex: "11605770", integratedTime: "2023-01-20T20:51:33.000Z" });
  });

  test("cosign's SIGSTORE_ROOT_FILE and SIGSTORE_REKOR_PUBLIC_KEY name the trust instead", async () => {
    const result = await signet(["verify", ...MITR, keyless.image], { SIGSTORE_ROOT_FILE: join(FIXTURES, "fulcio_v1.crt.pem"), SIGSTORE_REKOR_PUBLIC_KEY: join(FIXTURES, "rekor.pub") });
    assert.equal(result.status, 0, result.stderr);
  });

  test("the embedded public-good root verifies it offline (these are public-good signatures)", async () => {
    const result = await signet(["verify", ...MITR, "--offline", keyless.image]);
    assert.equal(result.status, 0, result.stderr);
  });

  test("regexps match the whole value (A.7)", async () => {
    const ok = await signet(["verify", "--certificate-identity-regexp", "mitr@redhat\\.com", "--certificate-oidc-issuer-regexp", "https://github\\.com/.*", "--trusted-root", "root.json", keyless.image]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(await codes(["verify", "--certificate-identity-regexp", "mitr@redhat", "--certificate-oidc-issuer", "https://github.com/login/oauth", "--trusted-root", "root.json", keyless.image]), ["CERT_IDENTITY_MISMATCH"]);
    assert.deepEqual(await codes(["verify", "--certificate-identity-regexp", "redhat\\.com", "--certificate-oidc-issuer", "https://github.com/login/oauth", "--trusted-root", "root.json", keyless.image]), ["CERT_IDENTITY_MISMATCH"]);
  });

  test("another subject or another issuer is CERT_IDENTITY_MISMATCH", async () => {
    assert.deepEqual(await codes(["verify", "--certificate-identity", "this-does-not-match@example.com", "--certificate-oidc-issuer", "https://github.com/login/oauth", "--trusted-root", "root.json", keyless.image]), ["CERT_IDENTITY_MISMATCH"]);
    assert.deepEqual(await codes(["verify", "--certificate-identity", "mitr@redhat.com.evil.net", "--certificate-oidc-issuer", "https://github.com/login/oauth", "--trusted-root", "root.json", keyless.image]), ["CERT_IDENTITY_MISMATCH"]);
    assert.deepEqual(await codes(["verify", "--certificate-identity", "mitr@redhat.com", "--certificate-oidc-issuer", "https://accounts.google.com", "--trusted-root", "root.json", keyless.image]), ["CERT_IDENTITY_MISMATCH"]);
  });

  test("an identity is required: none, or only a subject, or only an issuer, is IDENTITY_POLICY_INVALID (A.6)", async () => {
    assert.deepEqual(await codes(["verify", "--trusted-root", "root.json", keyless.image]), ["IDENTITY_POLICY_INVALID"]);
    assert.deepEqual(await codes(["verify", "--certificate-identity", "mitr@redhat.com", "--trusted-root", "root.json", keyless.image]), ["IDENTITY_POLICY_INVALID"]);
    assert.deepEqual(await codes(["verify", "--certificate-oidc-issuer-regexp", ".*", "--trusted-root", "root.json", keyless.image]), ["IDENTITY_POLICY_INVALID"]);
    assert.deepEqual(await codes(["verify", "--insecure-ignore-tlog", "--key", join(FIXTURES, "cosign.pub"), ...MITR, keyless.image]), ["OPTION_CONFLICT"]);
  });

  test("a trusted root whose log is another key rejects the entry (A.3, D.29)", async () => {
    const rejected = await codes(["verify", ...MITR, "--trusted-root", "other-log.json", keyless.image]);
    assert.ok(["TLOG_PROOF_INVALID", "TLOG_ENTRY_MISSING"].includes(rejected[0]!), rejected[0]);
  });

  test("without its Rekor bundle, a keyless signature is TLOG_ENTRY_MISSING; a corrupted one is rejected", async () => {
    const stripped = await stageLayout("dir-img-cosign-fulcio-rekor-valid", (a) => {
      delete a[CosignAnnotation.bundle];
      return a;
    });
    assert.deepEqual(await codes(["verify", ...MITR, "--trusted-root", "root.json", stripped.image]), ["TLOG_ENTRY_MISSING"]);
    const corrupted = await stageLayout("dir-img-cosign-fulcio-rekor-valid", (a) => ({ ...a, [CosignAnnotation.bundle]: a[CosignAnnotation.bundle]!.replace(/"integratedTime":(\d)/, '"integratedTime":9') }));
    const code = (await codes(["verify", ...MITR, "--trusted-root", "root.json", corrupted.image]))[0]!;
    assert.ok(["TLOG_PROOF_INVALID", "TLOG_ENTRY_MISMATCH", "TIMESTAMP_INVALID", "CERT_CHAIN_INVALID"].includes(code), code);
  });

  test("a certificate that is not the signer's, or none at all, is rejected (A.2)", async () => {
    const swapped = await stageLayout("dir-img-cosign-fulcio-rekor-valid", (a) => ({ ...a, [CosignAnnotation.certificate]: fixture("pki-cert").toString() }));
    const code = (await codes(["verify", ...MITR, "--trusted-root", "root.json", swapped.image]))[0]!;
    assert.ok(["SIG_INVALID", "CERT_CHAIN_INVALID", "TLOG_ENTRY_MISMATCH", "CERT_IDENTITY_MISMATCH"].includes(code), code);
    const none = await stageLayout("dir-img-cosign-fulcio-rekor-valid", (a) => {
      delete a[CosignAnnotation.certificate];
      return a;
    });
    assert.deepEqual(await codes(["verify", ...MITR, "--trusted-root", "root.json", none.image]), ["SIG_INVALID"]);
  });

  test("another signature's log entry is TLOG_ENTRY_MISMATCH (A.1)", async () => {
    const otherBundle = readDirSigstoreSignature(join(FIXTURES, "dir-img-cosign-key-rekor-valid", "signature-1")).untrustedAnnotations[CosignAnnotation.bundle]!;
    const transplanted = await stageLayout("dir-img-cosign-fulcio-rekor-valid", (a) => ({ ...a, [CosignAnnotation.bundle]: otherBundle }));
    assert.deepEqual(await codes(["verify", ...MITR, "--trusted-root", "root.json", transplanted.image]), ["TLOG_ENTRY_MISMATCH"]);
  });

  test("a keyless signature checked with a key is SIG_INVALID; a key signature checked keyless names the missing certificate", async () => {
    assert.deepEqual(await codes(["verify", "--insecure-ignore-tlog", "--key", join(FIXTURES, "cosign.pub"), keyless.image]), ["SIG_INVALID"]);
    const result = await signet(["verify", ...MITR, "--trusted-root", "root.json", "--output-format", "json", keyRekor.image]);
    assert.deepEqual(jsonErrorCodes(result.stdout), ["SIG_INVALID"]);
    assert.match(result.stdout, /no certificate/);
  });

  test("key + Rekor: with a log configured the SET is required and checked", async () => {
    const key = join(FIXTURES, "cosign2.pub");
    const logged = await signet(["verify", "--key", key, "--trusted-root", "root.json", keyRekor.image]);
    assert.equal(logged.status, 0, logged.stderr);
    assert.match(logged.stderr, /transparency log was verified offline/);
    assert.match(logged.stderr, /logged at index 11608800/);
    const stripped = await stageLayout("dir-img-cosign-key-rekor-valid", (a) => {
      delete a[CosignAnnotation.bundle];
      return a;
    });
    assert.deepEqual(await codes(["verify", "--key", key, "--trusted-root", "root.json", stripped.image]), ["TLOG_ENTRY_MISSING"]);
    assert.deepEqual(await codes(["verify", "--key", key, stripped.image], { SIGSTORE_REKOR_PUBLIC_KEY: join(FIXTURES, "rekor.pub") }), ["TLOG_ENTRY_MISSING"]);
    const waived = await signet(["verify", "--key", key, "--trusted-root", "root.json", "--insecure-ignore-tlog", stripped.image]);
    assert.equal(waived.status, 0, waived.stderr);
    assert.match(waived.stderr, /not checked \(--insecure-ignore-tlog\)/);
    // The log key must be the log's: cosign.pub as the Rekor key rejects the SET.
    const otherLog = await codes(["verify", "--key", key, "--trusted-root", "other-log.json", keyRekor.image]);
    assert.ok(["TLOG_PROOF_INVALID", "TLOG_ENTRY_MISSING"].includes(otherLog[0]!), otherLog[0]);
  });

  test("--certificate-identity-regexp is anchored, says so when cosign's reading would match, and the -unanchored flags give cosign's reading", async () => {
    const partial = await signet(["verify", "--certificate-identity-regexp", "mitr@redhat", "--certificate-oidc-issuer", "https://github.com/login/oauth", "--trusted-root", "root.json", "--output-format", "json", keyless.image]);
    assert.equal(partial.status, 12);
    const error = (JSON.parse(partial.stdout) as { images: { error: { code: string; message: string; hint: string } }[] }).images[0]!.error;
    assert.equal(error.code, "CERT_IDENTITY_MISMATCH");
    assert.match(error.message, /signet anchors --certificate-identity-regexp/);
    assert.match(error.hint, /--certificate-identity-regexp-unanchored/);
    const cosignReading = ["--certificate-oidc-issuer-regexp-unanchored", "^https://github\\.com/", "--trusted-root", "root.json", keyless.image];
    for (const pattern of ["mitr@redhat", "^mitr@", "redhat\\.com$"]) {
      const result = await signet(["verify", "--certificate-identity-regexp-unanchored", pattern, ...cosignReading]);
      assert.equal(result.status, 0, `${pattern}: ${result.stderr}`);
    }
    assert.deepEqual(await codes(["verify", "--certificate-identity-regexp-unanchored", "^redhat", ...cosignReading]), ["CERT_IDENTITY_MISMATCH"]);
    // A pattern cannot escape the wrapping group, and the two spellings of one rule conflict.
    assert.deepEqual(await codes(["verify", "--certificate-identity-regexp-unanchored", "x)|(.*", ...cosignReading]), ["IDENTITY_POLICY_INVALID"]);
    assert.deepEqual(await codes(["verify", "--certificate-identity-regexp", ".*", "--certificate-identity-regexp-unanchored", "x", ...cosignReading]), ["OPTION_CONFLICT"]);
  });

  test("key-based, as cosign 2: the log entry is required by default (public-good root), and skipping it is said aloud", async () => {
    const key = join(FIXTURES, "cosign2.pub");
    const logged = await signet(["verify", "--key", key, "--offline", keyRekor.image]);
    assert.equal(logged.status, 0, logged.stderr);
    assert.match(logged.stderr, /transparency log was verified offline/);
    const stripped = await stageLayout("dir-img-cosign-key-rekor-valid", (a) => {
      delete a[CosignAnnotation.bundle];
      return a;
    });
    const unlogged = await signet(["verify", "--key", key, "--offline", "--output-format", "json", stripped.image]);
    assert.equal(unlogged.status, 12);
    assert.deepEqual(jsonErrorCodes(unlogged.stdout), ["TLOG_ENTRY_MISSING"]);
    const waived = await signet(["verify", "--insecure-ignore-tlog", "--key", key, stripped.image]);
    assert.equal(waived.status, 0, waived.stderr);
    assert.match(waived.stderr, /WARNING: Skipping tlog verification is an insecure practice/);
    assert.match(waived.stderr, /The transparency log was not checked \(--insecure-ignore-tlog\)/);
  });
});
