import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProgram } from "./cli.js";

/** A throwaway GnuPG home with one secret key, for interop tests with gpg and skopeo. */
export interface GpgHome {
  /** The GNUPGHOME directory (mode 0700). */
  readonly home: string;
  /** Primary key fingerprint, upper-case hex. */
  readonly fingerprint: string;
  /** A file holding the passphrase (no newline), for --passphrase-file / --sign-passphrase-file. */
  readonly passphraseFile: string;
  readonly passphrase: string;
  /** `gpg --export FPR` (binary public key). */
  readonly publicKeyPath: string;
  /** `gpg --export-secret-keys FPR` (binary, still protected by the passphrase). */
  readonly secretKeyPath: string;
  /** process.env with GNUPGHOME set to this home. */
  readonly env: NodeJS.ProcessEnv;
  /** Stops the gpg-agent this home started and removes the directory. */
  close(): Promise<void>;
}

export interface GpgKeyOptions {
  /** A user ID; default "Signet Test <test@example.test>". */
  userId?: string;
  /** gpg --quick-gen-key algorithm: "ed25519" (default), "rsa3072", "nistp256"… */
  algorithm?: string;
  passphrase?: string;
}

/**
 * Creates a GnuPG home in a temp dir and generates a signing key in it, as peers.md shows
 * (`gpg --batch --pinentry-mode loopback --quick-gen-key …`). Call close() afterwards: gpg leaves an agent
 * running per home.
 */
export async function createGpgHome(options: GpgKeyOptions = {}): Promise<GpgHome> {
  const home = mkdtempSync(join(tmpdir(), "signet-gnupg-"));
  const passphrase = options.passphrase ?? "gpg-test-passphrase";
  const passphraseFile = join(home, "passphrase");
  writeFileSync(passphraseFile, passphrase, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...process.env, GNUPGHOME: home };
  const gpg = async (args: string[]): Promise<string> => {
    const result = await runProgram("gpg", ["--batch", "--no-tty", "--pinentry-mode", "loopback", "--passphrase-file", passphraseFile, ...args], { env });
    if (result.status !== 0) throw new Error(`gpg ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  };
  const close = async (): Promise<void> => {
    await runProgram("gpgconf", ["--kill", "gpg-agent"], { env }).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await gpg(["--quick-gen-key", options.userId ?? "Signet Test <test@example.test>", options.algorithm ?? "ed25519", "sign", "never"]);
    const listing = await gpg(["--list-secret-keys", "--with-colons"]);
    const fingerprint = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(listing)?.[1];
    if (fingerprint === undefined) throw new Error(`no fingerprint in gpg's key listing:\n${listing}`);
    const publicKeyPath = join(home, "public.gpg");
    const secretKeyPath = join(home, "secret.gpg");
    await gpg(["--output", publicKeyPath, "--export", fingerprint]);
    await gpg(["--output", secretKeyPath, "--export-secret-keys", fingerprint]);
    if (readFileSync(publicKeyPath).length === 0) throw new Error("gpg exported an empty public key");
    return { home, fingerprint, passphraseFile, passphrase, publicKeyPath, secretKeyPath, env, close };
  } catch (error) {
    await close();
    throw error;
  }
}
