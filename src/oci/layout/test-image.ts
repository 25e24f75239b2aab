import { gzipSync } from "node:zlib";
import { SignetError } from "../../errors/index.js";
import { sha256Digest, type Digest } from "../../internal/digest.js";
import type { Descriptor, Platform } from "../manifest/descriptor.js";
import { MediaType } from "../manifest/media-types.js";
import type { Repository } from "../repository.js";
import { createSingleFileTar } from "./minimal-tar.js";

export interface TestImageOptions {
  /** The content of the image's one file; different content gives different digests. */
  content?: string;
  /** "os/arch[/variant]" each; when given, one manifest per platform and an OCI index over them. */
  platforms?: string[];
}

export interface TestImage {
  /** Digest of what `tag` points to: the manifest, or the index when platforms were given. */
  digest: Digest;
  manifest: Descriptor;
  /** The per-platform manifests the index lists (empty for a single-manifest image). */
  platformManifests: Descriptor[];
}

const DEFAULT_CONTENT = "hello from signet\n";
const DEFAULT_PLATFORM = "linux/amd64";

/**
 * Builds a tiny, deterministic image (one gzip layer holding /hello.txt, an OCI config, an OCI manifest) and
 * pushes it through the Repository interface, so it works for a layout and for a registry alike. Used by
 * tests and `make demo`.
 */
export async function createTestImage(repository: Repository, tag: string, options: TestImageOptions = {}): Promise<TestImage> {
  const content = Buffer.from(options.content ?? DEFAULT_CONTENT, "utf8");
  const tar = createSingleFileTar("hello.txt", content);
  const layer = gzipSync(tar, { level: 9 });
  const layerDescriptor: Descriptor = { mediaType: MediaType.OciLayerGzip, digest: sha256Digest(layer), size: layer.byteLength };
  await repository.putBlob(layer, layerDescriptor.digest);
  const diffId = sha256Digest(tar);

  if (options.platforms === undefined) {
    const manifest = await pushPlatformManifest(repository, parsePlatform(DEFAULT_PLATFORM), layerDescriptor, diffId, tag);
    return { digest: manifest.digest, manifest: withoutPlatform(manifest), platformManifests: [] };
  }

  if (options.platforms.length === 0) throw new SignetError("USAGE", "platforms must list at least one platform");
  const platformManifests: Descriptor[] = [];
  for (const platform of options.platforms) {
    platformManifests.push(await pushPlatformManifest(repository, parsePlatform(platform), layerDescriptor, diffId, undefined));
  }
  const index = jsonBytes({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: platformManifests });
  const digest = await repository.putManifest(index, MediaType.OciIndex, tag);
  return { digest, manifest: { mediaType: MediaType.OciIndex, digest, size: index.byteLength }, platformManifests };
}

async function pushPlatformManifest(
  repository: Repository,
  platform: Platform,
  layer: Descriptor,
  diffId: Digest,
  tag: string | undefined,
): Promise<Descriptor> {
  const config = jsonBytes({
    created: "1970-01-01T00:00:00Z",
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    config: { Cmd: ["/hello.txt"] },
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created: "1970-01-01T00:00:00Z", created_by: "signet createTestImage" }],
  });
  const configDescriptor: Descriptor = { mediaType: MediaType.OciConfig, digest: sha256Digest(config), size: config.byteLength };
  await repository.putBlob(config, configDescriptor.digest);
  const manifest = jsonBytes({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDescriptor, layers: [layer] });
  const digest = await repository.putManifest(manifest, MediaType.OciManifest, tag);
  return { mediaType: MediaType.OciManifest, digest, size: manifest.byteLength, platform };
}

function parsePlatform(text: string): Platform {
  const [os, architecture, variant, ...rest] = text.split("/");
  if (os === undefined || os === "" || architecture === undefined || architecture === "" || variant === "" || rest.length > 0) {
    throw new SignetError("USAGE", `platform ${JSON.stringify(text)} is not os/arch[/variant], e.g. linux/arm64`);
  }
  return variant === undefined ? { architecture, os } : { architecture, os, variant };
}

function withoutPlatform(descriptor: Descriptor): Descriptor {
  return { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size };
}

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}
