// podman enforces policy.json on `podman pull` (containers/image inside podman, no daemon). Images signed by
// `signet sign --gpg-key` must be pulled under a signedBy policy naming signet's key, refused under one naming
// another key, and signet's `policy verify` must decide the same with the same files. podman runs as root with
// a temporary HOME (policy.json and registries.d under $HOME/.config/containers, as peers.md shows), vfs storage
// in a temp dir per pull, and no journald or systemd.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { createGpgHome, type GpgHome } from "../helpers/gpg.js";
import { pushTestImage } from "../helpers/images.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

interface SignetVerdict {
  allowed: boolean;
  outcome: string;
  requirements: { code?: string }[];
}

describe("podman pull enforces the same policy on signatures signet made (real registry, podman 4)", () => {
  let registry: TestRegistry;
  let work: string;
  let signer: GpgHome;
  let stranger: GpgHome;
  let sigs: string;
  let httpServer: Server;
  let httpBase: string;
  let pulls = 0;

  /** A podman "home": policy.json trusting `keyPath` for the registry, registries.d pointing at the lookaside. */
  function podmanHome(keyPath: string, lookaside: string): string {
    const home = join(work, `home-${pulls++}`);
    const config = join(home, ".config", "containers");
    mkdirSync(join(config, "registries.d"), { recursive: true });
    const policy = { default: [{ type: "reject" }], transports: { docker: { [registry.host]: [{ type: "signedBy", keyType: "GPGKeys", keyPath }] } } };
    writeFileSync(join(config, "policy.json"), JSON.stringify(policy, null, 2));
    writeFileSync(join(config, "registries.d", "default.yaml"), `default-docker:\n  lookaside: ${lookaside}\n`);
    return home;
  }

  const podmanPull = (home: string, image: string): Promise<RunResult> =>
    runProgram(
      "podman",
      ["--root", join(home, "root"), "--runroot", join(home, "run"), "--storage-driver", "vfs", "--events-backend", "file", "--cgroup-manager", "cgroupfs", "pull", "-q", "--tls-verify=false", image],
      { env: { ...process.env, HOME: home, XDG_RUNTIME_DIR: join(home, "run") }, cwd: home },
    );

  /** signet's verdict with the very files podman used. */
  async function signetVerify(home: string, image: string): Promise<SignetVerdict> {
    const config = join(home, ".config", "containers");
    const result = await runSignet(["policy", "verify", "--policy", join(config, "policy.json"), "--registries-d", join(config, "registries.d"), "--output-format", "json", image], {
      env: { ...process.env, HOME: home },
    });
    const output = JSON.parse(result.stdout) as { allowed: boolean; images: SignetVerdict[] };
    assert.equal(result.status, output.allowed ? 0 : 1, result.stderr);
    return output.images[0]!;
  }

  async function signetSign(image: string, extra: string[] = []): Promise<{ path: string; identity: string }> {
    const registriesD = join(work, "signing-registries.d");
    const result = await runSignet(["sign", "--gpg-key", signer.secretKeyPath, "--passphrase-file", signer.passphraseFile, "--registries-d", registriesD, "--output-format", "json", ...extra, image], {
      env: { ...process.env, HOME: work },
    });
    assert.equal(result.status, 0, result.stderr + result.stdout);
    return (JSON.parse(result.stdout) as { path: string; identity: string }[])[0]!;
  }

  before(async () => {
    registry = await startRegistry();
    work = mkdtempSync(join(tmpdir(), "signet-podman-"));
    signer = await createGpgHome({ userId: "Signet Signer <signer@example.test>" });
    stranger = await createGpgHome({ userId: "Someone Else <else@example.test>" });
    sigs = join(work, "sigs");
    mkdirSync(join(work, "signing-registries.d"));
    writeFileSync(join(work, "signing-registries.d", "default.yaml"), `default-docker:\n  lookaside-staging: ${pathToFileURL(sigs).href}\n`);
    httpServer = createServer((request, response) => {
      const file = normalize(join(sigs, decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname)));
      if (!file.startsWith(sigs + sep) || !existsSync(file) || !statSync(file).isFile()) {
        response.writeHead(404).end();
        return;
      }
      response.end(readFileSync(file));
    });
    await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
    httpBase = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  });

  after(async () => {
    httpServer?.closeAllConnections();
    await new Promise((resolve) => httpServer?.close(resolve));
    await signer?.close();
    await stranger?.close();
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test("an image signet signed is pulled under a policy trusting signet's key; signet allows it too", async () => {
    await pushTestImage(registry.host, "podman/signed", "v1", "podman signed");
    const image = `${registry.host}/podman/signed:v1`;
    const signed = await signetSign(image);
    assert.equal(signed.identity, image, "the signature names the reference as written, as skopeo does");
    const home = podmanHome(signer.publicKeyPath, pathToFileURL(sigs).href);
    const pulled = await podmanPull(home, image);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.match(pulled.stdout.trim(), /^[0-9a-f]{64}$/, "podman pull -q prints the image ID");
    assert.equal((await signetVerify(home, image)).allowed, true);
  });

  test("the same image is refused under a policy trusting another key: podman exits 125 with Invalid GPG signature; signet denies with SIG_INVALID", async () => {
    const image = `${registry.host}/podman/signed:v1`;
    const home = podmanHome(stranger.publicKeyPath, pathToFileURL(sigs).href);
    const refused = await podmanPull(home, image);
    assert.equal(refused.status, 125);
    assert.match(refused.stderr, /Error: Source image rejected: (None of the signatures were accepted, reasons: )?Invalid GPG signature/);
    const verdict = await signetVerify(home, image);
    assert.equal(verdict.allowed, false);
    assert.equal(verdict.outcome, "denied");
    assert.equal(verdict.requirements[0]!.code, "SIG_INVALID");
  });

  test("an unsigned image is refused: podman says no signature exists; signet SIG_MISSING", async () => {
    await pushTestImage(registry.host, "podman/unsigned", "v1", "podman unsigned");
    const image = `${registry.host}/podman/unsigned:v1`;
    const home = podmanHome(signer.publicKeyPath, pathToFileURL(sigs).href);
    const refused = await podmanPull(home, image);
    assert.equal(refused.status, 125);
    assert.match(refused.stderr, /Error: Source image rejected: A signature was required, but no signature exists/);
    assert.equal((await signetVerify(home, image)).requirements[0]!.code, "SIG_MISSING");
  });

  test("a signet signature naming another image is refused by both: identity not accepted / SIG_IDENTITY_MISMATCH", async () => {
    await pushTestImage(registry.host, "podman/renamed", "v1", "podman renamed");
    const image = `${registry.host}/podman/renamed:v1`;
    await signetSign(image, ["--sign-container-identity", `${registry.host}/podman/elsewhere:v1`]);
    const home = podmanHome(signer.publicKeyPath, pathToFileURL(sigs).href);
    const refused = await podmanPull(home, image);
    assert.equal(refused.status, 125);
    assert.match(refused.stderr, /Error: Source image rejected: Signature for identity "?[^ ]*\/podman\/elsewhere:v1"? is not accepted/);
    assert.equal((await signetVerify(home, image)).requirements[0]!.code, "SIG_IDENTITY_MISMATCH");
  });

  test("signet's signature read from an http:// lookaside is accepted by podman and by signet", async () => {
    const image = `${registry.host}/podman/signed:v1`;
    const home = podmanHome(signer.publicKeyPath, httpBase);
    const pulled = await podmanPull(home, image);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.equal((await signetVerify(home, image)).allowed, true);
  });

  test("a digest reference: signet signs REPO@DIGEST, podman pulls it by digest under matchExact", async () => {
    const digest = await pushTestImage(registry.host, "podman/bydigest", "v1", "podman by digest");
    const image = `${registry.host}/podman/bydigest@${digest}`;
    assert.equal((await signetSign(image)).identity, image);
    const home = podmanHome(signer.publicKeyPath, pathToFileURL(sigs).href);
    const policyPath = join(home, ".config", "containers", "policy.json");
    const policy = JSON.parse(readFileSync(policyPath, "utf8")) as { transports: { docker: Record<string, Record<string, unknown>[]> } };
    policy.transports.docker[registry.host]![0]!["signedIdentity"] = { type: "matchExact" };
    writeFileSync(policyPath, JSON.stringify(policy));
    const pulled = await podmanPull(home, image);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.equal((await signetVerify(home, image)).allowed, true);
    // The tag of the same manifest is not what was signed: matchExact refuses it in both.
    const byTag = await podmanPull(home, `${registry.host}/podman/bydigest:v1`);
    assert.equal(byTag.status, 125);
    assert.match(byTag.stderr, /Signature for identity .* is not accepted/);
    assert.equal((await signetVerify(home, `${registry.host}/podman/bydigest:v1`)).requirements[0]!.code, "SIG_IDENTITY_MISMATCH");
  });
});
