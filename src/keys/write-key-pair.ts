import { randomBytes } from "node:crypto";
import { chmod, link, lstat, open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { SignetError } from "../errors/index.js";
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
 * cosign.key and cosign.pub) or the two paths. Each file is written to a temporary file and renamed into place;
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

  const privateTemp = await writeTemporary(paths.privatePath, privatePem, 0o600);
  let publicTemp: string | undefined;
  let placedPrivate = false;
  try {
    publicTemp = await writeTemporary(paths.publicPath, publicPem, 0o644);
    await place(privateTemp, paths.privatePath, options.force === true);
    placedPrivate = true;
    await place(publicTemp, paths.publicPath, options.force === true);
    return paths;
  } catch (error) {
    if (placedPrivate) await unlink(paths.privatePath).catch(() => undefined);
    throw toWriteError(error, paths);
  } finally {
    await unlink(privateTemp).catch(() => undefined);
    if (publicTemp) await unlink(publicTemp).catch(() => undefined);
  }
}

async function checkWritable(path: string, force: boolean): Promise<void> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing && !force) {
    throw new SignetError("KEY_EXISTS", `${path} already exists`, { details: { path } });
  }
  if (existing?.isDirectory()) throw new SignetError("KEY_EXISTS", `${path} is a directory`, { details: { path } });
  const directory = dirname(path);
  const parent = await stat(directory).catch(() => undefined);
  if (!parent?.isDirectory()) {
    throw new SignetError("FILE_NOT_FOUND", `directory ${directory} does not exist`, { details: { path: directory } });
  }
}

/** A new file next to `path` (same filesystem, so rename is atomic), flushed to disk. */
async function writeTemporary(path: string, content: string, mode: number): Promise<string> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temporary, "wx", mode);
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(temporary, mode); // the umask may have removed bits; it never adds any
  return temporary;
}

async function place(temporary: string, path: string, force: boolean): Promise<void> {
  if (force) return rename(temporary, path);
  try {
    await link(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new SignetError("KEY_EXISTS", `${path} already exists`, { details: { path } });
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
    // No hard links on this filesystem: check again and rename (a narrow race instead of none).
    if (await lstat(path).catch(() => undefined)) throw new SignetError("KEY_EXISTS", `${path} already exists`, { details: { path } });
    await rename(temporary, path);
  }
}

function toWriteError(error: unknown, paths: KeyPairPaths): unknown {
  if (SignetError.is(error)) return error;
  return new SignetError("IO_ERROR", `cannot write the key pair (${paths.privatePath}, ${paths.publicPath}): ${(error as Error).message}`, {
    details: { ...paths },
    cause: error,
  });
}
