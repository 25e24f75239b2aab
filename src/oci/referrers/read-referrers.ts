import { SignetError, toSignetError } from "../../errors/index.js";
import { appendAll } from "../../internal/arrays.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import type { Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import type { Descriptor } from "../manifest/descriptor.js";
import { parseManifest } from "../manifest/parse.js";
import type { ManifestBytes, Repository } from "../repository.js";
import { listReferrers, type ReferrersListing } from "./list-referrers.js";
import { MAX_REFERRERS } from "./referrers-index.js";

/** A referrer whose manifest was fetched by digest and names the subject: its descriptor is built from those bytes. */
export interface CheckedReferrer {
  /** mediaType, digest and size of the manifest; artifactType and annotations from inside it (as the spec lists them). */
  readonly descriptor: Descriptor;
  readonly manifest: ManifestBytes;
}

export interface SubjectReferrers {
  readonly listing: Omit<ReferrersListing, "descriptors">;
  readonly referrers: CheckedReferrer[];
  /** Listed entries that are not referrers of this subject (another subject, none, unreadable), with the reason. */
  readonly skipped: { readonly digest: Digest; readonly code: string; readonly reason: string }[];
}

/**
 * Every referrer of `subject`, whatever its type (sigstore bundles, in-toto attestations, Notation signatures,
 * SBOMs), for the tools that show or copy them: listed through the referrers API or the tag schema, each manifest
 * fetched by digest, and kept only if its own `subject` names this digest (the listing is untrusted: a referrer
 * transplanted from another image is skipped with the reason). Counts are bounded by the listing (MAX_REFERRERS).
 */
export async function readReferrers(repository: Repository, subject: Digest): Promise<SubjectReferrers> {
  const { descriptors, ...listing } = await listReferrers(repository, subject);
  const outcomes = await mapConcurrently(descriptors, 8, async (listed) => {
    try {
      return await readReferrer(repository, subject, listed);
    } catch (error) {
      const failure = toSignetError(error);
      // A registry that cannot answer is not a fact about this referrer: let it surface.
      if (failure.category === "unavailable" && failure.code !== "REGISTRY_NOT_FOUND") throw failure;
      return { digest: listed.digest, code: failure.code, reason: failure.message };
    }
  });
  const referrers: CheckedReferrer[] = [];
  const skipped: SubjectReferrers["skipped"][number][] = [];
  for (const outcome of outcomes) {
    if ("reason" in outcome) skipped.push(outcome);
    else referrers.push(outcome);
  }
  return { listing, referrers, skipped };
}

async function readReferrer(repository: Repository, subject: Digest, listed: Descriptor): Promise<CheckedReferrer> {
  if (listed.size > LIMITS.manifestBytes) {
    throw new SignetError("SIZE_LIMIT_EXCEEDED", `the referrer manifest ${listed.digest} declares ${listed.size} bytes; at most ${LIMITS.manifestBytes} are accepted`);
  }
  const manifest = await repository.getManifest(listed.digest);
  const parsed = parseManifest(manifest.bytes, manifest.mediaType);
  if (parsed.subject?.digest !== subject) {
    throw new SignetError("REFERRERS_INVALID", `the listed manifest ${listed.digest} names ${parsed.subject?.digest ?? "no subject"}, not ${subject}`);
  }
  const artifactType = parsed.kind === "image" ? (parsed.artifactType ?? parsed.config.mediaType) : undefined;
  const descriptor: Descriptor = {
    mediaType: parsed.mediaType,
    digest: manifest.digest,
    size: manifest.bytes.length,
    ...(artifactType !== undefined ? { artifactType } : {}),
    ...(parsed.annotations !== undefined && Object.keys(parsed.annotations).length > 0 ? { annotations: parsed.annotations } : {}),
  };
  return { descriptor, manifest };
}

/** A referrer with the referrers of its own (a signature of an SBOM of the image). */
export interface ReferrerNode extends CheckedReferrer {
  readonly subject: Digest;
  readonly referrers: ReferrerNode[];
}

export interface ReferrerTree {
  readonly listing: Omit<ReferrersListing, "descriptors">;
  readonly referrers: ReferrerNode[];
  readonly skipped: SubjectReferrers["skipped"];
}

/** Referrers of referrers are followed this deep (a Notation signature of an SBOM of the image is depth 2). */
export const REFERRER_DEPTH = 3;

/**
 * The referrers of `subject` and, up to REFERRER_DEPTH, theirs: what `tree` shows and `copy` copies. Each manifest
 * is read once (a cycle or a repeat is not followed again) and MAX_REFERRERS bounds the whole tree.
 */
export async function readReferrerTree(repository: Repository, subject: Digest): Promise<ReferrerTree> {
  const seen = new Set<Digest>([subject]);
  const skipped: SubjectReferrers["skipped"][number][] = [];
  const read = async (current: Digest, depth: number): Promise<{ listing: Omit<ReferrersListing, "descriptors">; referrers: ReferrerNode[] }> => {
    const found = await readReferrers(repository, current);
    appendAll(skipped, found.skipped);
    const referrers: ReferrerNode[] = [];
    for (const referrer of found.referrers) {
      if (seen.has(referrer.descriptor.digest)) continue;
      seen.add(referrer.descriptor.digest);
      if (seen.size > MAX_REFERRERS) {
        throw new SignetError("COUNT_LIMIT_EXCEEDED", `${repository.displayName}@${subject} has more than ${MAX_REFERRERS} referrers in all`, { details: { limit: MAX_REFERRERS } });
      }
      const children = depth + 1 < REFERRER_DEPTH ? (await read(referrer.descriptor.digest, depth + 1)).referrers : [];
      referrers.push({ ...referrer, subject: current, referrers: children });
    }
    return { listing: found.listing, referrers };
  };
  const top = await read(subject, 0);
  return { listing: top.listing, referrers: top.referrers, skipped };
}
