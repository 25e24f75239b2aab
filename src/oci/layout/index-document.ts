import { SignetError } from "../../errors/index.js";
import { isDigest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import { isRecord, parseJsonBytes } from "../../internal/strict-json.js";
import type { Descriptor } from "../manifest/descriptor.js";
import { MediaType } from "../manifest/media-types.js";

/** The annotation that names a manifest in an image layout's index.json (what skopeo and umoci call a tag). */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

/** index.json of an image layout. Fields signet does not know are kept as read and written back. */
export interface OciIndexDocument {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export function createEmptyIndex(): OciIndexDocument {
  return { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
}

/** Parses untrusted index.json bytes; anything malformed is LAYOUT_INVALID, too many entries COUNT_LIMIT_EXCEEDED. */
export function parseIndexDocument(untrustedBytes: Uint8Array, what: string): OciIndexDocument {
  const untrusted = parseJsonBytes(untrustedBytes, what, "LAYOUT_INVALID");
  checkIndexDocument(untrusted, what);
  return untrusted;
}

/** Checks the shape of an index document (also run before writing one a caller changed). */
export function checkIndexDocument(untrusted: unknown, what: string): asserts untrusted is OciIndexDocument {
  if (!isRecord(untrusted)) throw invalid(what, "is not a JSON object");
  if (untrusted.schemaVersion !== 2) throw invalid(what, `has schemaVersion ${JSON.stringify(untrusted.schemaVersion)}, not 2`);
  if (untrusted.mediaType !== undefined && typeof untrusted.mediaType !== "string") throw invalid(what, "has a mediaType that is not a string");
  checkStringMap(untrusted.annotations, what, "annotations");
  const manifests = untrusted.manifests;
  if (!Array.isArray(manifests)) throw invalid(what, 'has no "manifests" array');
  if (manifests.length > LIMITS.indexManifests) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `${what} lists ${manifests.length} manifests, more than the limit of ${LIMITS.indexManifests}`, {
      details: { limit: LIMITS.indexManifests, count: manifests.length },
    });
  }
  manifests.forEach((entry: unknown, position: number) => checkDescriptor(entry, what, position));
}

/** The tag of a descriptor in index.json, if it has one. */
export function refNameOf(descriptor: Descriptor): string | undefined {
  return descriptor.annotations?.[REF_NAME_ANNOTATION];
}

export function serializeIndexDocument(index: OciIndexDocument): Buffer {
  return Buffer.from(JSON.stringify(index), "utf8");
}

function checkDescriptor(untrusted: unknown, what: string, position: number): void {
  const entry = `${what} manifests[${position}]`;
  if (!isRecord(untrusted)) throw invalid(entry, "is not a JSON object");
  if (typeof untrusted.mediaType !== "string" || untrusted.mediaType === "") throw invalid(entry, "has no mediaType");
  if (typeof untrusted.digest !== "string" || !isDigest(untrusted.digest)) {
    throw invalid(entry, `has an invalid digest ${JSON.stringify(String(untrusted.digest).slice(0, 100))}`);
  }
  if (typeof untrusted.size !== "number" || !Number.isSafeInteger(untrusted.size) || untrusted.size < 0) {
    throw invalid(entry, "has a size that is not a non-negative integer");
  }
  checkStringMap(untrusted.annotations, entry, "annotations");
}

function checkStringMap(value: unknown, what: string, field: string): void {
  if (value === undefined) return;
  if (!isRecord(value) || !Object.values(value).every((item) => typeof item === "string")) {
    throw invalid(what, `has ${field} that are not a map of strings`);
  }
}

function invalid(what: string, problem: string): SignetError {
  return new SignetError("LAYOUT_INVALID", `${what} ${problem}`);
}
