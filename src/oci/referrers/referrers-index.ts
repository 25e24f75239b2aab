import { SignetError } from "../../errors/index.js";
import { goJsonStringify } from "../../internal/go-json.js";
import { isRecord, parseJsonBytes } from "../../internal/strict-json.js";
import type { Descriptor } from "../manifest/descriptor.js";
import { MediaType } from "../manifest/media-types.js";
import { toDescriptor } from "../manifest/parse.js";
import { LIMITS } from "../../internal/limits.js";

/** Referrers examined per subject; a longer list (hostile pagination, a spammed tag) is refused. */
export const MAX_REFERRERS = LIMITS.referrers;

/**
 * Reads the descriptors of a referrers index (the referrers API's answer or the tag schema's index). The
 * bytes were digest-checked (tag) or bounded (API); the descriptors stay untrusted: each manifest they name
 * is fetched by digest and checked.
 */
export function parseReferrersIndex(bytes: Uint8Array, where: string): Descriptor[] {
  const untrustedIndex = parseJsonBytes(bytes, `the referrers index ${where}`, "REFERRERS_INVALID");
  if (!isRecord(untrustedIndex)) throw invalid(where, "is not a JSON object");
  if (untrustedIndex["schemaVersion"] !== 2) throw invalid(where, `has schemaVersion ${JSON.stringify(untrustedIndex["schemaVersion"])}, not 2`);
  const mediaType = untrustedIndex["mediaType"];
  if (mediaType !== undefined && mediaType !== MediaType.OciIndex) throw invalid(where, `has media type ${JSON.stringify(String(mediaType).slice(0, 100))}, not an OCI index`);
  const manifests = untrustedIndex["manifests"];
  // An empty API answer may carry `"manifests": null` (Go's nil slice).
  if (manifests === null || manifests === undefined) return [];
  if (!Array.isArray(manifests)) throw invalid(where, "has a manifests field that is not an array");
  if (manifests.length > MAX_REFERRERS) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `the referrers index ${where} lists ${manifests.length} manifests; at most ${MAX_REFERRERS} are examined`, {
      details: { referrers: manifests.length, limit: MAX_REFERRERS },
    });
  }
  return manifests.map((item, index) => {
    try {
      return toDescriptor(item, `manifests[${index}]`);
    } catch (error) {
      if (SignetError.is(error)) throw invalid(where, error.message.replace(/^manifest /, ""));
      throw error;
    }
  });
}

/** The tag schema's index for these referrers, laid out as go-containerregistry writes it. */
export function buildReferrersIndex(descriptors: readonly Descriptor[]): Buffer {
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: descriptors.map((d) => {
      const entry: Record<string, unknown> = { mediaType: d.mediaType, size: d.size, digest: d.digest };
      if (d.annotations !== undefined && Object.keys(d.annotations).length > 0) entry["annotations"] = d.annotations;
      if (d.artifactType !== undefined) entry["artifactType"] = d.artifactType;
      return entry;
    }),
  };
  return Buffer.from(goJsonStringify(index), "utf8");
}

function invalid(where: string, problem: string): SignetError {
  return new SignetError("REFERRERS_INVALID", `the referrers index ${where} ${problem}`);
}
