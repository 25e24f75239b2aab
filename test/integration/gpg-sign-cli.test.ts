// `signet sign --gpg-key`: GPG simple signing from the command line against a real registry, with keys made by
// gpg. Where the signature lands (registries.d's lookaside-staging, --lookaside-staging), what it says (the
// reference as written, the digest, signet as creator), that nothing is ever overwritten, both output formats,
// and each way it can fail with its code. That skopeo and podman accept these signatures is shown in
// policy-skopeo-agreement.test.ts and policy-podman.test.ts.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { createGpgHome, type GpgHome } from "../helpers/gpg.js";
import { pushTestImage } from "../helpers/images.js";
import { REPO_ROOT } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";
import type { Digest } from "../../src/internal/digest.js";
import { createTestImage, openLayout } from "../../src/oci/layout/index.js";
import { parseGpgKeyring, verifyGpgSignature } from "../../src/signatures/simplesigning/gpg.js";
import { parseAtomicPayload, type AtomicPayload } from "../../src/signatures/simplesigning/payload.js";

interface SignedJson {
  image: string;
  digest: string;
  resolvedTag: string | null;
  identity: string;
  signer: string;
  path: string;
  url: string;
  lookasideStaging: string;
}

interface ErrorJson {
  image?: string;
  error: { code: string; message: string; hint: string };
}

describe("signet sign --gpg-key (real registry, keys from gpg)", () => {
  let registry: TestRegistry;
  let work: string;
  let signer: GpgHome;
  let sigs: string;
  let registriesD: string;
  let digest: Digest;
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;

  const sign = (args: string[], options: { gpgKey?: string; passphraseFile?: string | null } = {}): Promise<RunResult> =>
    runSignet(
      [
        "sign",
        "--gpg-key", options.gpgKey ?? signer.secretKeyPath,
        ...(options.passphraseFile === null ? [] : ["--passphrase-file", options.passphraseFile ?? signer.passphraseFile]),
        ...args,
      ],
      { env: { ...process.env, HOME: work } },
    );
  const signJson = async (args: string[], options?: Parameters<typeof sign>[1]): Promise<{ result: RunResult; output: (SignedJson | ErrorJson)[] }> => {
    const result = await sign([...args, "--output-format", "json"], options);
    return { result, output: JSON.parse(result.stdout) as (SignedJson | ErrorJson)[] };
  };
  const lookasidePath = (base: string, repository: string, imageDigest: string, index: number): string =>
    join(base, repository + `@sha256=${imageDigest.slice("sha256:".length)}`, `signature-${index}`);

  /** Verifies a stored signature with the signer's public key and returns its payload. */
  async function verifiedPayload(path: string): Promise<AtomicPayload> {
    const keyring = await parseGpgKeyring(readFileSync(signer.publicKeyPath));
    const verified = await verifyGpgSignature(keyring, readFileSync(path));
    assert.equal(verified.signerFingerprint, signer.fingerprint);
    return parseAtomicPayload(verified.payload);
  }

  before(async () => {
    registry = await startRegistry();
    work = mkdtempSync(join(tmpdir(), "signet-gpg-sign-cli-"));
    signer = await createGpgHome({ userId: "CLI Signer <cli@example.test>" });
    sigs = join(work, "sigs");
    registriesD = join(work, "registries.d");
    mkdirSync(registriesD);
    writeFileSync(join(registriesD, "default.yaml"), `default-docker:\n  lookaside: https://sigs.example.test/\n  lookaside-staging: ${pathToFileURL(sigs).href}\n`);
    digest = await pushTestImage(registry.host, "cli/app", "v1", "gpg sign cli");
  });

  after(async () => {
    await signer?.close();
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("signs a tag: the digest is signed, the identity is the reference as written, the file is where registries.d's lookaside-staging says", async () => {
    const image = `${registry.host}/cli/app:v1`;
    const result = await sign(["--registries-d", registriesD, image]);
    assert.equal(result.status, 0, result.stderr);
    const path = lookasidePath(sigs, "cli/app", digest, 1);
    assert.match(result.stderr, new RegExp(`Resolved ${image} to digest ${digest}`));
    assert.ok(result.stderr.includes(`Signed ${digest} as ${image} with GPG key ${signer.fingerprint}; signature written to ${path}`), result.stderr);
    assert.equal(result.stdout, "");
    const payload = await verifiedPayload(path);
    assert.equal(payload.dockerReference, image);
    assert.equal(payload.manifestDigest, digest);
    assert.equal(payload.creator, `signet ${version}`);
    assert.ok(Math.abs(payload.timestamp! - Date.now() / 1000) < 120, "timestamp is now");
  });

  test("signing again adds signature-2 and leaves signature-1 untouched; --output json says where", async () => {
    const image = `${registry.host}/cli/app:v1`;
    const first = readFileSync(lookasidePath(sigs, "cli/app", digest, 1));
    const { result, output } = await signJson(["--registries-d", registriesD, image]);
    assert.equal(result.status, 0, result.stderr);
    const path = lookasidePath(sigs, "cli/app", digest, 2);
    assert.deepEqual(output, [
      { image, digest, resolvedTag: "v1", identity: image, signer: signer.fingerprint, path, url: pathToFileURL(path).href, lookasideStaging: pathToFileURL(sigs).href },
    ]);
    assert.deepEqual(readFileSync(lookasidePath(sigs, "cli/app", digest, 1)), first);
    assert.notDeepEqual(readFileSync(path), first);
    assert.equal((await verifiedPayload(path)).manifestDigest, digest);
  });

  test("a digest reference is signed as REPO@DIGEST without resolving anything", async () => {
    const image = `${registry.host}/cli/app@${digest}`;
    const { result, output } = await signJson(["--registries-d", registriesD, image]);
    assert.equal(result.status, 0, result.stderr);
    const signed = output[0] as SignedJson;
    assert.equal(signed.resolvedTag, null);
    assert.equal(signed.identity, image);
    assert.equal((await verifiedPayload(signed.path)).dockerReference, image);
  });

  test("--lookaside-staging (a path or a file: URL) overrides registries.d; --sign-container-identity names another reference", async () => {
    const other = join(work, "other-store");
    const image = `${registry.host}/cli/app:v1`;
    for (const staging of [other, pathToFileURL(other).href]) {
      const { result, output } = await signJson(["--registries-d", registriesD, "--lookaside-staging", staging, "--sign-container-identity", "registry.example.test/mirror/app:1.0", image]);
      assert.equal(result.status, 0, result.stderr);
      const signed = output[0] as SignedJson;
      assert.equal(signed.lookasideStaging, pathToFileURL(other).href);
      assert.equal(signed.identity, "registry.example.test/mirror/app:1.0");
      assert.equal((await verifiedPayload(signed.path)).dockerReference, "registry.example.test/mirror/app:1.0");
    }
    assert.ok(existsSync(lookasidePath(other, "cli/app", digest, 2)));
  });

  test("registries.d: the most specific namespace's staging store is used", async () => {
    const namespaced = join(work, "registries-ns.d");
    const teamStore = join(work, "team-sigs");
    mkdirSync(namespaced);
    writeFileSync(join(namespaced, "a.yaml"), `default-docker:\n  lookaside-staging: ${pathToFileURL(sigs).href}\n`);
    writeFileSync(join(namespaced, "b.yaml"), `docker:\n  ${registry.host}/cli:\n    lookaside-staging: ${pathToFileURL(teamStore).href}\n`);
    const result = await sign(["--registries-d", namespaced, `${registry.host}/cli/app:v1`]);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(existsSync(lookasidePath(teamStore, "cli/app", digest, 1)));
  });

  test("an armored secret key (gpg --export-secret-keys --armor) signs too", async () => {
    const armoredPath = join(work, "secret.asc");
    const exported = await runProgram("gpg", ["--batch", "--pinentry-mode", "loopback", "--passphrase-file", signer.passphraseFile, "--armor", "--output", armoredPath, "--export-secret-keys", signer.fingerprint], { env: signer.env });
    assert.equal(exported.status, 0, exported.stderr);
    const { result, output } = await signJson(["--registries-d", registriesD, `${registry.host}/cli/app:v1`], { gpgKey: armoredPath });
    assert.equal(result.status, 0, result.stderr);
    assert.equal((output[0] as SignedJson).signer, signer.fingerprint);
  });

  test("several images: each is signed, and one that does not exist fails alone (exit 1, REGISTRY_NOT_FOUND)", async () => {
    const second = await pushTestImage(registry.host, "cli/second", "v1", "second image");
    const images = [`${registry.host}/cli/second:v1`, `${registry.host}/cli/missing:v1`, `${registry.host}/cli/app@sha256:${"0".repeat(64)}`];
    const { result, output } = await signJson(["--registries-d", registriesD, ...images]);
    assert.equal(result.status, 11, "an image that does not exist: exit 11");
    assert.equal((output[0] as SignedJson).digest, second);
    assert.equal((output[1] as ErrorJson).image, images[1]);
    assert.equal((output[1] as ErrorJson).error.code, "REGISTRY_NOT_FOUND");
    assert.equal((output[2] as ErrorJson).error.code, "REGISTRY_NOT_FOUND", "a digest that is not in the registry is not signed");
    assert.ok(!existsSync(join(sigs, "cli", `app@sha256=${"0".repeat(64)}`)));
  });

  test("a staging store that is not file: cannot be written (USAGE), and nothing is signed there", async () => {
    const httpOnly = join(work, "registries-http.d");
    mkdirSync(httpOnly);
    writeFileSync(join(httpOnly, "default.yaml"), "default-docker:\n  lookaside: https://sigs.example.test/\n");
    const { result, output } = await signJson(["--registries-d", httpOnly, `${registry.host}/cli/app:v1`]);
    assert.equal(result.status, 2, "a usage error: exit 2");
    assert.equal((output[0] as ErrorJson).error.code, "USAGE");
    assert.match((output[0] as ErrorJson).error.message, /only file: lookaside stores can be written/);
  });

  test("what cannot be signed this way: an OCI layout, a reference with both tag and digest", async () => {
    const layout = join(work, "layout");
    await createTestImage(await openLayout(layout, { create: true }), "v1");
    const { output } = await signJson(["--registries-d", registriesD, `oci:${layout}:v1`, `${registry.host}/cli/app:v1@${digest}`]);
    assert.equal((output[0] as ErrorJson).error.code, "USAGE");
    assert.match((output[0] as ErrorJson).error.message, /OCI layout: GPG signatures live in lookaside stores/);
    assert.equal((output[1] as ErrorJson).error.code, "REF_INVALID");
  });

  test("key problems fail the command, each with its code", async () => {
    const wrong = join(work, "wrong-pass");
    writeFileSync(wrong, "not the passphrase\n");
    const image = `${registry.host}/cli/app:v1`;
    const cases: [Parameters<typeof sign>[1], string][] = [
      [{ passphraseFile: wrong }, "KEY_PASSWORD_WRONG"],
      [{ passphraseFile: null }, "KEY_PASSWORD_MISSING"],
      [{ gpgKey: join(work, "missing.gpg") }, "KEY_NOT_FOUND"],
      [{ gpgKey: signer.publicKeyPath }, "KEY_INVALID"],
      [{ passphraseFile: join(work, "missing-pass") }, "FILE_NOT_FOUND"],
    ];
    for (const [options, code] of cases) {
      const result = await sign(["--registries-d", registriesD, "--output-format", "json", image], options);
      assert.equal(result.status, 1, `${code}: ${result.stdout}`);
      assert.equal((JSON.parse(result.stdout) as ErrorJson).error.code, code);
    }
  });

  test("options of the other signing method are refused (USAGE, exit 2)", async () => {
    const image = `${registry.host}/cli/app:v1`;
    for (const extra of [["--key", "cosign.key"], ["-a", "k=v"], ["--recursive"], ["--fulcio-url", "https://fulcio.example.test"]]) {
      const result = await sign(["--output-format", "json", ...extra, image]);
      assert.equal(result.status, 2, result.stdout);
      assert.equal((JSON.parse(result.stdout) as ErrorJson).error.code, "USAGE");
    }
    const withoutGpg = await runSignet(["sign", "--tlog-upload=false", "--key", "cosign.key", "--passphrase-file", "p", "--output-format", "json", image]);
    assert.equal(withoutGpg.status, 2);
    assert.match((JSON.parse(withoutGpg.stdout) as ErrorJson).error.message, /--passphrase-file is for GPG signing: it needs --gpg-key/);
  });
});
