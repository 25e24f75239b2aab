import { stat, unlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { SignetError } from "../errors/index.js";
import { checkDestination, stageFile, type StagedFile } from "../internal/atomic-file.js";
import { encryptPrivateKey, type DeriveKey } from "./cosign-encrypted.js";
import { passwordFromInput, type PasswordInput } from "./password.js";
import { publicKeyToPem } from "./public-key.js";
import type { SigningKey } from "./signing-key.js";

export interface KeyPairPaths {
  privatePath: string;
  publicPath: string;
}

export interface WriteKeyPairOptions {
  /** Replace existing files. Without it an existing file is KEY_EXISTS, found before any work is done. */
  force?: boolean;
  /** Write `ENCRYPTED COSIGN PRIVATE KEY` with scrypt N=2^15 (cosign <= 2.1, podman 4.4, Debian's skopeo). */
  legacy?: boolean;
  deriveKey?: DeriveKey;
}

/** cosign's file names: `cosign generate-key-pair` writes cosign.key and cosign.pub. */
export function keyPairPathsIn(directory: string, prefix = "cosign"): KeyPairPaths {
  return { privatePath: join(directory, `${prefix}.key`), publicPath: join(directory, `${prefix}.pub`) };
}

/**
 * Writes `key` as a cosign encrypted private key (mode 0600) and its PEM public key. `target` is a directory (for
 * cosign.key and cosign.pub) or the two paths. A symbolic link, a non-file or another user's file at either path
 * is refused (FILE_SYMLINK, FILE_NOT_REGULAR, FILE_FOREIGN_OWNER) even with `force`. Each file is written to a
 * temporary file (internal/atomic-file.ts) and renamed into place;
 * if the second cannot be placed the first is removed again, so a failure never leaves half a pair. Without
 * `force`, a file that appears meanwhile is not overwritten either (placed with link(2), which refuses to replace).
 * With `force`, a failure after the private key was placed leaves neither file.
 */
export async function writeKeyPair(target: string | KeyPairPaths, key: SigningKey, password: PasswordInput, options: WriteKeyPairOptions = {}): Promise<KeyPairPaths> {
  const paths = typeof target === "string" ? keyPairPathsIn(target) : target;
  if (resolve(paths.privatePath) === resolve(paths.publicPath)) {
    throw new SignetError("USAGE", `the private and public key would both be written to ${paths.privatePath}`);
  }
  await checkWritable(paths.privatePath, options.force === true);
  await checkWritable(paths.publicPath, options.force === true);

  const privatePem = await encryptPrivateKey(key, await passwordFromInput(password), { legacy: options.legacy === true, deriveKey: options.deriveKey });
  const publicPem = publicKeyToPem(key.publicKey);

  const privateFile = await stageFile(paths.privatePath, privatePem, { mode: 0o600, replace: options.force === true, guard: true });
  let publicFile: StagedFile | undefined;
  let placedPrivate = false;
  try {
    publicFile = await stageFile(paths.publicPath, publicPem, { mode: 0o644, replace: options.force === true, guard: true });
    if (!(await privateFile.place())) throw keyExists(paths.privatePath);
    placedPrivate = true;
    if (!(await publicFile.place())) throw keyExists(paths.publicPath);
    return paths;
  } catch (error) {
    if (placedPrivate) await unlink(paths.privatePath).catch(() => undefined);
    throw toWriteError(error, paths);
  } finally {
    await privateFile.discard();
    await publicFile?.discard();
  }
}

/** Refuses links, non-files and other users' files (checkDestination), then an existing file without --force. */
async function checkWritable(path: string, force: boolean): Promise<void> {
  if ((await checkDestination(path)) && !force) throw keyExists(path);
  const directory = dirname(path);
  const parent = await stat(directory).catch(() => undefined);
  if (!parent?.isDirectory()) {
    throw new SignetError("FILE_NOT_FOUND", `directory ${directory} does not exist`, { details: { path: directory } });
  }
}

function keyExists(path: string): SignetError {
  return new SignetError("KEY_EXISTS", `${path} already exists`, { details: { path } });
}

function toWriteError(error: unknown, paths: KeyPairPaths): unknown {
  if (SignetError.is(error)) return error;
  return new SignetError("IO_ERROR", `cannot write the key pair (${paths.privatePath}, ${paths.publicPath}): ${(error as Error).message}`, {
    details: { ...paths },
    cause: error,
  });
}
