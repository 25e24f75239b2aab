/**
 * Platforms of a multi-arch image: parsing `os/arch[/variant]`, and choosing the instance of an index that a
 * runtime on that platform would pull (containers/image's ChooseInstance: the first manifest whose os and
 * architecture match, and the variant when one is asked for).
 */
import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import type { Repository } from "../repository.js";
import type { Descriptor, Platform } from "./descriptor.js";
import { formatPlatform, parseManifest } from "./parse.js";

export interface PlatformSpec {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

const PART = /^[a-z0-9._-]+$/;

/** Parses `os/arch[/variant]` (e.g. `linux/arm64/v8`). */
export function parsePlatform(text: string): PlatformSpec {
  const parts = text.split("/");
  if (parts.length < 2 || parts.length > 3 || !parts.every((part) => PART.test(part))) {
    throw new SignetError("USAGE", `invalid platform ${JSON.stringify(text)}: write os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8`);
  }
  return { os: parts[0]!, architecture: parts[1]!, ...(parts[2] === undefined ? {} : { variant: parts[2] }) };
}

export function formatPlatformSpec(platform: PlatformSpec): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join("/");
}

/** True when the descriptor's platform is this one (a variant is compared only when the spec names one). */
export function matchesPlatform(platform: Platform | undefined, spec: PlatformSpec): boolean {
  if (platform === undefined) return false;
  if (platform.os !== spec.os || platform.architecture !== spec.architecture) return false;
  return spec.variant === undefined || platform.variant === spec.variant;
}

/** The platform of the machine signet runs on, as OCI names it. */
export function hostPlatform(): PlatformSpec {
  const arch = process.arch === "x64" ? "amd64" : process.arch === "ia32" ? "386" : process.arch;
  const os = process.platform === "win32" ? "windows" : process.platform;
  return arch === "arm" ? { os, architecture: arch, variant: "v7" } : { os, architecture: arch };
}

export type ImageShape = { readonly kind: "image" } | { readonly kind: "index"; readonly instances: readonly Descriptor[] };

/** Whether a digest names a single image or an index, and the index's platform instances (image manifests only). */
export async function readImageShape(repository: Repository, digest: Digest): Promise<ImageShape> {
  const fetched = await repository.getManifest(digest);
  const manifest = parseManifest(fetched.bytes, fetched.mediaType);
  if (manifest.kind === "image") return { kind: "image" };
  // Attestation manifests (buildkit's "unknown/unknown") are not platforms anyone pulls.
  return { kind: "index", instances: manifest.manifests.filter((d) => d.platform === undefined || d.platform.os !== "unknown") };
}

/** The instance a runtime on `spec` would pull, or a PLATFORM_NOT_FOUND error naming the platforms there are. */
export function chooseInstance(instances: readonly Descriptor[], spec: PlatformSpec, where: string): Descriptor {
  const chosen = instances.find((d) => matchesPlatform(d.platform, spec));
  if (chosen === undefined) {
    const offered = instances.map((d) => formatPlatform(d.platform)).join(", ");
    throw new SignetError("PLATFORM_NOT_FOUND", `${where} has no image for platform ${formatPlatformSpec(spec)} (it has: ${offered || "none"})`);
  }
  return chosen;
}

/**
 * The digest whose signatures containers/image checks when it pulls `digest` on `platform`: the digest itself for a
 * single image, the instance for that platform for an index (copy.Image with the default CopySystemImage checks
 * the policy against the chosen instance, not against the index).
 */
export async function pulledInstance(repository: Repository, digest: Digest, platform: PlatformSpec): Promise<{ digest: Digest; platform?: string }> {
  const shape = await readImageShape(repository, digest);
  if (shape.kind === "image") return { digest };
  const chosen = chooseInstance(shape.instances, platform, `${repository.displayName}@${digest}`);
  return { digest: chosen.digest, platform: formatPlatformSpec(platform) };
}
