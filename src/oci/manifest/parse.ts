import { SignetError } from "../../errors/index.js";
import { isDigest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import { isRecord, parseJsonBytes } from "../../internal/strict-json.js";
import type { Descriptor, Platform } from "./descriptor.js";
import { isImageManifestMediaType, isIndexMediaType } from "./media-types.js";

export interface ImageManifest {
  kind: "image";
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface ImageIndex {
  kind: "index";
  mediaType: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type Manifest = ImageManifest | ImageIndex;

/**
 * Parses manifest bytes (already digest-checked) of one of the four supported media types. The media type
 * comes from the registry or layout; the document's own `mediaType`, when present, must agree, and a
 * document that is both a manifest and an index (CVE-2021-41190) is refused.
 */
export function parseManifest(bytes: Uint8Array, declaredMediaType: string): Manifest {
  const value = parseJsonBytes(bytes, "manifest");
  if (!isRecord(value)) throw invalid("is not a JSON object");
  const ownMediaType = value["mediaType"];
  if (ownMediaType !== undefined && typeof ownMediaType !== "string") throw invalid("has a mediaType that is not a string");
  const mediaType = ownMediaType ?? declaredMediaType;
  if (ownMediaType !== undefined && declaredMediaType !== "" && ownMediaType !== declaredMediaType && !isGenericJson(declaredMediaType)) {
    throw invalid(`says it is ${ownMediaType} but was served as ${declaredMediaType}`);
  }
  if (value["schemaVersion"] !== 2) throw new SignetError("MANIFEST_UNSUPPORTED", `manifest schemaVersion ${JSON.stringify(value["schemaVersion"])} is not supported`);
  const hasManifests = value["manifests"] !== undefined;
  const hasLayers = value["layers"] !== undefined || value["config"] !== undefined;
  if (hasManifests && hasLayers) throw invalid("has both manifests and layers (ambiguous manifest)");

  if (isIndexMediaType(mediaType) || (ownMediaType === undefined && hasManifests)) {
    const manifests = descriptorList(value["manifests"], "manifests", LIMITS.indexManifests);
    return withOptional({ kind: "index", mediaType, manifests }, value);
  }
  if (isImageManifestMediaType(mediaType) || (ownMediaType === undefined && hasLayers)) {
    const config = toDescriptor(value["config"], "config");
    const layers = descriptorList(value["layers"], "layers", LIMITS.signatureLayers * 10);
    const manifest: ImageManifest = withOptional({ kind: "image", mediaType, config, layers }, value);
    if (typeof value["artifactType"] === "string") manifest.artifactType = value["artifactType"];
    return manifest;
  }
  throw new SignetError("MANIFEST_UNSUPPORTED", `manifest media type ${JSON.stringify(mediaType)} is not supported`);
}

function withOptional<T extends ImageManifest | ImageIndex>(manifest: T, value: Record<string, unknown>): T {
  if (value["subject"] !== undefined) manifest.subject = toDescriptor(value["subject"], "subject");
  if (value["annotations"] !== undefined) manifest.annotations = stringMap(value["annotations"], "annotations");
  return manifest;
}

function descriptorList(value: unknown, path: string, limit: number): Descriptor[] {
  if (!Array.isArray(value)) throw invalid(`has no ${path} array`);
  if (value.length > limit) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `manifest has ${value.length} ${path}; at most ${limit} are accepted`);
  }
  return value.map((item, index) => toDescriptor(item, `${path}[${index}]`));
}

export function toDescriptor(value: unknown, path: string): Descriptor {
  if (!isRecord(value)) throw invalid(`${path} is not an object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== "string") throw invalid(`${path}.mediaType is missing`);
  if (typeof digest !== "string" || !isDigest(digest)) throw invalid(`${path}.digest is not a valid digest`);
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw invalid(`${path}.size is not a valid size`);
  const descriptor: Descriptor = { mediaType, digest, size };
  if (value["annotations"] !== undefined) descriptor.annotations = stringMap(value["annotations"], `${path}.annotations`);
  if (typeof value["artifactType"] === "string") descriptor.artifactType = value["artifactType"];
  if (value["platform"] !== undefined) descriptor.platform = toPlatform(value["platform"], `${path}.platform`);
  return descriptor;
}

function toPlatform(value: unknown, path: string): Platform {
  if (!isRecord(value) || typeof value["architecture"] !== "string" || typeof value["os"] !== "string") {
    throw invalid(`${path} needs architecture and os`);
  }
  const platform: Platform = { architecture: value["architecture"], os: value["os"] };
  if (typeof value["variant"] === "string") platform.variant = value["variant"];
  return platform;
}

function stringMap(value: unknown, path: string): Record<string, string> {
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === "string")) throw invalid(`${path} is not a map of strings`);
  return value as Record<string, string>;
}

function isGenericJson(mediaType: string): boolean {
  return mediaType === "application/json" || mediaType === "application/octet-stream";
}

function invalid(why: string): SignetError {
  return new SignetError("MANIFEST_INVALID", `manifest ${why}`);
}

export function formatPlatform(platform: Platform | undefined): string {
  if (!platform) return "unknown platform";
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join("/");
}
