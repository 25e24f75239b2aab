/** What every `signet notation` subcommand shares: the configuration directory, keys, and image access. */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createPrivateKey, type KeyObject } from "node:crypto";
import { SignetError } from "../../../errors/index.js";
import { ImageAccess } from "../../../oci/image-access.js";
import type { Descriptor } from "../../../oci/manifest/descriptor.js";
import { parseImageLocation, type ImageLocation } from "../../../oci/reference/index.js";
import { notationConfigDir, readSigningKeys, type SigningKeyEntry } from "../../../signatures/notation/notation-config.js";
import type { RevocationCheckOptions } from "../../../signatures/notation/revocation.js";
import { parseCertificateFile } from "../../../signatures/notation/trust-store-files.js";
import type { ManifestBytes } from "../../../oci/repository.js";
import type { CommandContext } from "../../command.js";
import { registryOptions, stringOption } from "../../options.js";

export function configDir(context: CommandContext): string {
  return notationConfigDir(context.io.env);
}

/** CRLs are cached where notation caches them: `$XDG_CACHE_HOME/notation/crl` (else ~/.cache/notation/crl). */
export function revocationOptions(context: CommandContext): RevocationCheckOptions {
  const env = context.io.env;
  const base = env["XDG_CACHE_HOME"] !== undefined && env["XDG_CACHE_HOME"] !== "" ? env["XDG_CACHE_HOME"] : join(env["HOME"] ?? homedir(), ".cache");
  return { cacheDir: join(base, "notation", "crl"), onCacheFault: (message) => context.io.stderr.write(`Warning: ${message} (the CRL is fetched again)\n`) };
}

/** The signing key by name, or the default one. */
export function signingKeyEntry(dir: string, name: string | undefined): SigningKeyEntry {
  const keys = readSigningKeys(dir);
  const wanted = name ?? keys.default;
  if (wanted === undefined) throw new SignetError("NOTATION_KEY_NOT_FOUND", "no signing key was named and there is no default key");
  const entry = keys.keys.find((key) => key.name === wanted);
  if (entry === undefined) throw new SignetError("NOTATION_KEY_NOT_FOUND", `signing key "${wanted}" is not in ${dir}/signingkeys.json`);
  if (entry.pluginName !== undefined) {
    throw new SignetError("NOTATION_KEY_NOT_FOUND", `signing key "${wanted}" is held by the notation plugin "${entry.pluginName}", which signet cannot run`, {
      hint: "Sign with a local key, or with a KMS/PKCS#11 key reference where signet supports one.",
    });
  }
  return entry;
}

export function loadLocalKey(entry: SigningKeyEntry): { privateKey: KeyObject; chain: Buffer[] } {
  const keyPath = entry.keyPath!;
  const certPath = entry.certPath!;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(keyPath));
  } catch (error) {
    throw new SignetError("KEY_INVALID", `cannot read the private key of "${entry.name}" at ${keyPath}: ${(error as Error).message}`);
  }
  let chainText: Buffer;
  try {
    chainText = readFileSync(certPath);
  } catch (error) {
    throw new SignetError("FILE_NOT_FOUND", `cannot read the certificate chain of "${entry.name}" at ${certPath}: ${(error as NodeJS.ErrnoException).code ?? ""}`);
  }
  const chain = parseCertificateFile(chainText, certPath).map((certificate) => certificate.der);
  return { privateKey, chain };
}

/** notation names an OCI layout image `PATH:TAG` or `PATH@DIGEST` with --oci-layout; signet as `oci:…`. */
export function imageLocation(context: CommandContext, text: string): ImageLocation {
  if (context.values["oci-layout"] === true && !text.startsWith("oci:")) return parseImageLocation(`oci:${text}`);
  return parseImageLocation(text);
}

export interface NotationImage {
  readonly access: ImageAccess;
  readonly location: ImageLocation;
  readonly repository: Awaited<ReturnType<ImageAccess["resolve"]>>["repository"];
  readonly descriptor: Descriptor;
  /** The manifest's bytes and media type, fetched once. */
  readonly manifest: ManifestBytes;
  readonly resolvedTag: string | undefined;
  /** `registry/repository@sha256:…` or `PATH@sha256:…`, as notation prints it. */
  readonly display: string;
  /** The trust policy scope: `registry/repository`, or `--scope` for a layout. */
  readonly scope: string | undefined;
}

export async function openImage(context: CommandContext, text: string): Promise<NotationImage> {
  const access = new ImageAccess(registryOptions(context));
  const location = imageLocation(context, text);
  const resolved = await access.resolve(location);
  // A tag was resolved with a GET of its manifest: those bytes are kept, not fetched again.
  const manifest = resolved.manifest ?? (await resolved.repository.getManifest(resolved.digest));
  const descriptor: Descriptor = { mediaType: manifest.mediaType, digest: resolved.digest, size: manifest.bytes.length };
  const base = location.transport === "oci" ? location.path : `${location.reference.registry}/${location.reference.repository}`;
  const scope = location.transport === "oci" ? stringOption(context, "scope") : base;
  return { access, location, repository: resolved.repository, descriptor, manifest, resolvedTag: resolved.resolvedTag, display: `${base}@${resolved.digest}`, scope };
}

/** Repeated `-m key=value` (`--user-metadata`). */
export function userMetadata(context: CommandContext): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of (context.values["user-metadata"] as string[] | undefined) ?? []) {
    const at = item.indexOf("=");
    if (at <= 0) throw new SignetError("USAGE", `--user-metadata takes key=value, not ${JSON.stringify(item)}`);
    const key = item.slice(0, at);
    if (key in result) throw new SignetError("USAGE", `--user-metadata names "${key}" twice`);
    result[key] = item.slice(at + 1);
  }
  return result;
}

/** notation's durations: "24h", "30m", "90s", "1h30m". */
export function parseExpiry(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (match === null || text === "") throw new SignetError("USAGE", `invalid --expiry ${JSON.stringify(text)}: use e.g. 24h, 30m or 1h30m`);
  return ((Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 60 + Number(match[3] ?? 0)) * 1000;
}
