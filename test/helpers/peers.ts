import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (dist/test/helpers -> ../../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** Upstream test vectors, vendored with their MANIFEST (licences and commits): no test reads outside the repository. */
export const VECTORS = join(REPO_ROOT, "test", "vectors");

let cosign: string | undefined;

/**
 * The path of the cosign binary: $SIGNET_TEST_COSIGN (set by `make test`), else scripts/fetch-cosign,
 * which fetches Debian 13's package once into a cache. Throws when neither works: the interop tests need it.
 */
export function cosignPath(): string {
  if (cosign !== undefined) return cosign;
  const fromEnv = process.env["SIGNET_TEST_COSIGN"];
  if (fromEnv && existsSync(fromEnv)) return (cosign = fromEnv);
  cosign = execFileSync(join(REPO_ROOT, "scripts", "fetch-cosign"), { encoding: "utf8" }).trim();
  return cosign;
}

/** Environment for running cosign offline: its TUF cache in a temp dir, never in $HOME. */
export function cosignEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, TUF_ROOT: mkdtempSync(join(tmpdir(), "signet-tuf-")), ...extra };
}

/** The CLI from this checkout, as `bin/signet` runs it. */
export const SIGNET_BIN = join(REPO_ROOT, "bin", "signet");
