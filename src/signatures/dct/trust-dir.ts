/**
 * The local trust directory (I/O): the metadata last verified for each repository, laid out as Docker's
 * `~/.docker/trust` is (`tuf/<GUN>/metadata/<role>.json`), so `--trust-dir ~/.docker/trust` reads the roots Docker
 * pinned. Its root.json is the pin (trust on first use); the other roles' versions guard against rollback. Files
 * are written atomically and only after they verified.
 */
import { mkdir, open } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { SignetError } from "../../errors/index.js";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import { LIMITS } from "../../internal/limits.js";

/** signet's own trust directory: $XDG_CONFIG_HOME/signet/trust (else ~/.config/signet/trust). */
export function defaultTrustDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env["XDG_CONFIG_HOME"] !== undefined && env["XDG_CONFIG_HOME"] !== "" ? env["XDG_CONFIG_HOME"] : join(env["HOME"] ?? homedir(), ".config");
  return join(base, "signet", "trust");
}

export class TrustDirectory {
  constructor(readonly path: string) {}

  private fileOf(gun: string, role: string): string {
    // The GUN comes from a parsed image reference (registry host and path components: no "..", no empty part).
    return join(this.path, "tuf", ...gun.split("/"), "metadata", ...role.split("/")) + ".json";
  }

  /** The role's metadata as last stored, or undefined when there is none. */
  async read(gun: string, role: string): Promise<Buffer | undefined> {
    const path = this.fileOf(gun, role);
    let handle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new SignetError("DCT_TRUST_DIR_INVALID", `cannot read ${path}: ${(error as Error).message}`, { details: { path }, cause: error });
    }
    try {
      const limit = role === "timestamp" ? LIMITS.notaryTimestampBytes : LIMITS.notaryMetadataBytes;
      const { size } = await handle.stat();
      if (size > limit) throw new SignetError("DCT_TRUST_DIR_INVALID", `${path} is ${size} bytes; at most ${limit} are read`, { details: { path } });
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async write(gun: string, role: string, bytes: Buffer): Promise<void> {
    const path = this.fileOf(gun, role);
    try {
      await mkdir(join(path, ".."), { recursive: true, mode: 0o700 });
      await writeFileAtomic(path, bytes, { mode: 0o644 });
    } catch (error) {
      if (SignetError.is(error)) throw error;
      throw new SignetError("IO_ERROR", `cannot write ${path}: ${(error as Error).message}`, { details: { path }, cause: error });
    }
  }
}
