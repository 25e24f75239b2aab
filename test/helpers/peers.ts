import { execFileSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (dist/test/helpers -> ../../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** Upstream test vectors, vendored with their MANIFEST (licences and commits): no test reads outside the repository. */
export const VECTORS = join(REPO_ROOT, "test", "vectors");

/**
 * The Debian package of each program the tests run (scripts/install-test-deps.sh installs the same list).
 * A test that needs one that is missing fails at once saying what to install; it is never skipped.
 */
export const PEER_PACKAGES: Readonly<Record<string, string>> = {
  "docker-registry": "docker-registry",
  skopeo: "skopeo",
  podman: "podman",
  umoci: "umoci",
  gpg: "gnupg",
  gpgconf: "gnupg",
  "redis-server": "redis-server",
  "softhsm2-util": "softhsm2",
  "pkcs11-tool": "opensc",
  openssl: "openssl",
  htpasswd: "apache2-utils",
  jq: "jq",
  kubectl: "kubectl",
  /** Headless Chromium for the audit report's browser test (driven by playwright-core, which downloads no browser). */
  chromium: "chromium",
  notary: "notary",
  "notary-server": "notary",
};

/** The one line a test fails with when `command` is not installed. */
export function missingPeerMessage(command: string): string {
  const name = command.includes("/") ? command.slice(command.lastIndexOf("/") + 1) : command;
  const pkg = PEER_PACKAGES[name] ?? name;
  const where = command === name ? "" : ` at ${command}`;
  return `${name} is not installed${where}: install ${pkg} (as root: apt-get install -y ${pkg}; \`make test\` run as root installs every test peer)`;
}

/** Whether `command` is an executable on $PATH (or, given a path, at that path). */
export function isInstalled(command: string): boolean {
  const candidates = command.includes("/") ? [command] : (process.env["PATH"] ?? "").split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  return candidates.some((path) => {
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  });
}

/** Throws missingPeerMessage unless `command` is installed; returns it. Call before starting or running a peer. */
export function requirePeer(command: string): string {
  if (!isInstalled(command)) throw new Error(missingPeerMessage(command));
  return command;
}

let cosign: string | undefined;

/**
 * The path of the cosign binary: $SIGNET_TEST_COSIGN (set by `make test`), else scripts/fetch-cosign,
 * which fetches Debian 13's package once into a cache. Throws "install cosign…" when neither works: the interop
 * tests need it, and fail rather than skip without it.
 */
export function cosignPath(): string {
  if (cosign !== undefined) return cosign;
  const fromEnv = process.env["SIGNET_TEST_COSIGN"];
  if (fromEnv) {
    if (!isInstalled(fromEnv)) throw new Error(`SIGNET_TEST_COSIGN=${fromEnv} is not an executable; install cosign with scripts/fetch-cosign (make test does) and export its output`);
    return (cosign = fromEnv);
  }
  try {
    cosign = execFileSync(join(REPO_ROOT, "scripts", "fetch-cosign"), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 }).trim();
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim().split("\n").pop();
    throw new Error(`cosign is not installed and scripts/fetch-cosign failed (${stderr || (error as Error).message}); install cosign: run \`make test\` (it fetches it), or set SIGNET_TEST_COSIGN to a cosign 2.x binary`);
  }
  return cosign;
}

/** Environment for running cosign offline: its TUF cache in a temp dir, never in $HOME. */
export function cosignEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, TUF_ROOT: mkdtempSync(join(tmpdir(), "signet-tuf-")), ...extra };
}

/** The CLI from this checkout, as `bin/signet` runs it. */
export const SIGNET_BIN = join(REPO_ROOT, "bin", "signet");
