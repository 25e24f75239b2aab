// GPG simple signing against the real peers: skopeo (containers/image with gpgme) signs, signet verifies and
// finds the signature where registries.d says; signet signs and writes the lookaside, skopeo's signedBy policy
// accepts it (and refuses it with another key). Lookaside stores over file: and over http:.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import * as openpgp from "openpgp";
import { parseImageReference } from "../../src/oci/reference/index.js";
import { loadRegistriesD, lookasideFor } from "../../src/signatures/registries-d/index.js";
import { createAtomicPayload, parseAtomicPayload } from "../../src/signatures/simplesigning/payload.js";
import { loadGpgPrivateKey, parseGpgKeyring, signAtomicPayload, verifyGpgSignature } from "../../src/signatures/simplesigning/gpg.js";
import { readLookasideSignatures, writeLookasideSignature } from "../../src/signatures/simplesigning/lookaside.js";
import { assertRejectsWithCode } from "../helpers/assert-code.js";
import { runProgram, type RunResult } from "../helpers/cli.js";
import { createGpgHome, type GpgHome } from "../helpers/gpg.js";
import { pushTestImage } from "../helpers/images.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

describe("GPG simple signing with gpg and skopeo (real registry)", () => {
  let registry: TestRegistry;
  let work: string;
  let signer: GpgHome;
  let stranger: GpgHome;
  let sigs: string;
  let fileRegistriesD: string;
  let httpRegistriesD: string;
  let httpServer: Server;
  let httpBase: string;
  let outputs = 0;

  const skopeo = (args: string[], gpgHome?: GpgHome): Promise<RunResult> =>
    runProgram("skopeo", args, { env: { ...process.env, HOME: work, ...(gpgHome ? { GNUPGHOME: gpgHome.home } : {}) }, cwd: work });

  /** A policy accepting only images signed by the key in `keyPath` (or anything, for pushing). */
  const policy = (keyPath?: string): string => {
    const path = join(work, `policy-${outputs++}.json`);
    const requirement = keyPath === undefined ? { type: "insecureAcceptAnything" } : { type: "signedBy", keyType: "GPGKeys", keyPath };
    writeFileSync(path, JSON.stringify({ default: [requirement] }));
    return path;
  };

  /** `skopeo copy docker://IMAGE dir:OUT` under a signedBy policy: skopeo's verdict on the image's signatures. */
  const skopeoPull = async (image: string, keyPath: string, registriesD: string): Promise<RunResult & { out: string }> => {
    const out = join(work, `out-${outputs++}`);
    const result = await skopeo(["--policy", policy(keyPath), "--registries.d", registriesD, "copy", "--src-tls-verify=false", `docker://${image}`, `dir:${out}`]);
    return { ...result, out };
  };

  before(async () => {
    registry = await startRegistry();
    work = mkdtempSync(join(tmpdir(), "signet-gpg-skopeo-"));
    signer = await createGpgHome({ userId: "Signet Signer <signer@example.test>" });
    stranger = await createGpgHome({ userId: "Someone Else <else@example.test>", algorithm: "rsa3072" });
    sigs = join(work, "sigs");
    mkdirSync(sigs);
    fileRegistriesD = join(work, "registries.d");
    mkdirSync(fileRegistriesD);
    writeFileSync(join(fileRegistriesD, "default.yaml"), `default-docker:\n  lookaside: ${pathToFileURL(sigs).href}\n  lookaside-staging: ${pathToFileURL(sigs).href}\n`);

    // The same store served over http, the way a lookaside web server publishes it.
    httpServer = createServer((request, response) => {
      const path = normalize(join(sigs, decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname)));
      if (!path.startsWith(sigs + sep) || !existsSync(path) || !statSync(path).isFile()) {
        response.writeHead(404).end();
        return;
      }
      response.end(readFileSync(path));
    });
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    httpBase = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    httpRegistriesD = join(work, "registries-http.d");
    mkdirSync(httpRegistriesD);
    writeFileSync(join(httpRegistriesD, "http.yaml"), `docker:\n  ${registry.host}:\n    lookaside: ${httpBase}\n`);
  });

  after(async () => {
    httpServer?.closeAllConnections();
    await new Promise((resolve) => httpServer?.close(resolve));
    await signer?.close();
    await stranger?.close();
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test("skopeo copy --sign-by: signet finds the signature via registries.d, verifies it and reads its payload", async () => {
    const digest = await pushTestImage(registry.host, "test/unsigned", "v1", "skopeo-signed");
    const image = `${registry.host}/test/gpg:v1`;
    const copied = await skopeo(
      [
        "--policy", policy(), "--registries.d", fileRegistriesD, "copy", "--src-tls-verify=false", "--dest-tls-verify=false",
        "--sign-by", signer.fingerprint, "--sign-passphrase-file", signer.passphraseFile,
        `docker://${registry.host}/test/unsigned:v1`, `docker://${image}`,
      ],
      signer,
    );
    assert.equal(copied.status, 0, copied.stderr);

    // Where peers.md says skopeo writes it: <lookaside>/<repository path>@sha256=<hex>/signature-1.
    assert.ok(existsSync(join(sigs, "test", `gpg@sha256=${digest.slice(7)}`, "signature-1")));

    const reference = parseImageReference(image);
    const location = lookasideFor(await loadRegistriesD(fileRegistriesD), reference);
    assert.equal(location.lookaside, pathToFileURL(sigs).href);
    const signatures = await readLookasideSignatures(location.lookaside!, reference, digest);
    assert.equal(signatures.length, 1);

    const keyring = await parseGpgKeyring(readFileSync(signer.publicKeyPath));
    const verified = await verifyGpgSignature(keyring, signatures[0]!);
    assert.equal(verified.signerFingerprint, signer.fingerprint);
    const payload = parseAtomicPayload(verified.payload);
    assert.equal(payload.dockerReference, image);
    assert.equal(payload.manifestDigest, digest);
    assert.match(payload.creator ?? "", /^atomic /);
    assert.ok(Math.abs((payload.timestamp ?? 0) - Date.now() / 1000) < 600);
    // signet writes the same payload bytes for the same claims.
    assert.deepEqual(createAtomicPayload({ dockerReference: image, manifestDigest: digest, creator: payload.creator!, timestamp: payload.timestamp! }), verified.payload);

    // Another key does not verify it.
    const other = await parseGpgKeyring(readFileSync(stranger.publicKeyPath));
    const refused = await assertRejectsWithCode(() => verifyGpgSignature(other, signatures[0]!), "SIG_INVALID");
    assert.equal(refused.details["reason"], "unknown-key");

    // Over http, the same signature is found through the other registries.d.
    const httpLocation = lookasideFor(await loadRegistriesD(httpRegistriesD), reference);
    assert.equal(httpLocation.lookaside, httpBase);
    const overHttp = await readLookasideSignatures(httpLocation.lookaside!, reference, digest);
    assert.deepEqual(overHttp, signatures);
  });

  test("signet signs (gpg's own secret key) and writes the lookaside: skopeo's signedBy accepts it, and refuses it with another key", async () => {
    const digest = await pushTestImage(registry.host, "test/signet", "v1", "signet-signed");
    const image = `${registry.host}/test/signet:v1`;
    const key = await loadGpgPrivateKey(signer.secretKeyPath, signer.passphraseFile);
    assert.equal(key.fingerprint, signer.fingerprint);
    const signature = await signAtomicPayload(key, undefined, createAtomicPayload({ dockerReference: image, manifestDigest: digest, creator: "signet test", timestamp: Math.floor(Date.now() / 1000) }));
    const staging = lookasideFor(await loadRegistriesD(fileRegistriesD), parseImageReference(image)).lookasideStaging!;
    const path = await writeLookasideSignature(staging, parseImageReference(image), digest, signature);
    assert.equal(path, join(sigs, "test", `signet@sha256=${digest.slice(7)}`, "signature-1"));

    const accepted = await skopeoPull(image, signer.publicKeyPath, fileRegistriesD);
    assert.equal(accepted.status, 0, accepted.stderr);
    assert.deepEqual(readFileSync(join(accepted.out, "signature-1")), signature, "skopeo copied signet's signature into dir:");

    const refused = await skopeoPull(image, stranger.publicKeyPath, fileRegistriesD);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /Source image rejected/);
    assert.match(refused.stderr, /Invalid GPG signature|not accepted/);

    // Over http too: skopeo reads signet's signature from the lookaside web server.
    const overHttp = await skopeoPull(image, signer.publicKeyPath, httpRegistriesD);
    assert.equal(overHttp.status, 0, overHttp.stderr);
  });

  test("a signature made with an OpenPGP.js key (not gpg) is accepted by skopeo", async () => {
    const digest = await pushTestImage(registry.host, "test/openpgpjs", "v1", "openpgpjs-signed");
    const image = `${registry.host}/test/openpgpjs:v1`;
    const { privateKey, publicKey } = await openpgp.generateKey({ type: "rsa", rsaBits: 2048, userIDs: [{ name: "OpenPGP.js key" }], format: "binary" });
    const keyPath = join(work, "openpgpjs.gpg");
    writeFileSync(keyPath, publicKey);
    const signature = await signAtomicPayload(privateKey, undefined, createAtomicPayload({ dockerReference: image, manifestDigest: digest }));
    await writeLookasideSignature(pathToFileURL(sigs).href, parseImageReference(image), digest, signature);
    const accepted = await skopeoPull(image, keyPath, fileRegistriesD);
    assert.equal(accepted.status, 0, accepted.stderr);
  });

  test("skopeo refuses what signet also refuses: a signature for another image, and no signature at all", async () => {
    const digest = await pushTestImage(registry.host, "test/wrong", "v1", "wrong-identity");
    const image = `${registry.host}/test/wrong:v1`;
    const key = await loadGpgPrivateKey(signer.secretKeyPath, signer.passphraseFile);
    // Signed for another repository, stored under this image's digest (a transplanted signature).
    const elsewhere = `${registry.host}/test/elsewhere:v1`;
    const signature = await signAtomicPayload(key, undefined, createAtomicPayload({ dockerReference: elsewhere, manifestDigest: digest }));
    await writeLookasideSignature(pathToFileURL(sigs).href, parseImageReference(image), digest, signature);
    const transplanted = await skopeoPull(image, signer.publicKeyPath, fileRegistriesD);
    assert.notEqual(transplanted.status, 0);
    assert.match(transplanted.stderr, /not accepted/);
    const payload = parseAtomicPayload((await verifyGpgSignature(await parseGpgKeyring(readFileSync(signer.publicKeyPath)), signature)).payload);
    assert.notEqual(payload.dockerReference, image, "signet's payload shows the identity a policy would refuse");

    const unsignedDigest = await pushTestImage(registry.host, "test/nosig", "v1", "never-signed");
    const unsigned = await skopeoPull(`${registry.host}/test/nosig:v1`, signer.publicKeyPath, httpRegistriesD);
    assert.notEqual(unsigned.status, 0);
    assert.match(unsigned.stderr, /no signature exists/);
    assert.deepEqual(await readLookasideSignatures(httpBase, parseImageReference(`${registry.host}/test/nosig:v1`), unsignedDigest), []);
    assert.deepEqual(readdirSync(sigs, { recursive: true }).filter((p) => String(p).includes("nosig")), []);
  });
});
