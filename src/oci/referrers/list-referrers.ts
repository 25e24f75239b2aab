import type { Digest } from "../../internal/digest.js";
import type { Descriptor } from "../manifest/descriptor.js";
import { MediaType } from "../manifest/media-types.js";
import type { Repository } from "../repository.js";
import { hasReferrersApi } from "./referrers-api.js";
import { parseReferrersIndex } from "./referrers-index.js";
import { referrersTag } from "./referrers-tag.js";

export interface ReferrersListing {
  /** Where the list came from: the registry's referrers API, or the tag schema's index (`sha256-<hex>`). */
  readonly source: "referrers-api" | "tag-schema";
  /** For messages: the API path or `repo:sha256-<hex>`. */
  readonly where: string;
  /** Why the API was not used, when it was not. */
  readonly apiUnavailable?: string;
  /** Untrusted descriptors of the manifests that claim `subject`; each must be fetched by digest and checked. */
  readonly descriptors: Descriptor[];
}

/**
 * Lists the referrers of `subject`: through the referrers API when the repository's registry offers it, else
 * through the referrers tag schema (an OCI layout, or a registry that answers the API with 404 or non-JSON).
 * With `artifactType`, keeps the entries of that type and the entries whose type cannot be told from the index.
 */
export async function listReferrers(repository: Repository, subject: Digest, options: { readonly artifactType?: string } = {}): Promise<ReferrersListing> {
  let apiUnavailable: string | undefined;
  if (hasReferrersApi(repository)) {
    const answer = await repository.fetchReferrers(subject, options);
    if (answer.supported) return { source: "referrers-api", where: answer.where, descriptors: filterReferrers(answer.descriptors, options.artifactType) };
    apiUnavailable = answer.reason;
  }
  const tag = referrersTag(subject);
  const where = `${repository.displayName}:${tag}`;
  const index = await repository.tryGetManifest(tag);
  const descriptors = index === undefined ? [] : parseReferrersIndex(index.bytes, where);
  return { source: "tag-schema", where, ...(apiUnavailable !== undefined ? { apiUnavailable } : {}), descriptors: filterReferrers(descriptors, options.artifactType) };
}

/**
 * Keeps the referrers of `artifactType`. go-containerregistry's tag-schema index records the config's media type
 * (`application/vnd.oci.empty.v1+json`) as the artifact type of cosign 2.x's bundles, and some writers record
 * none; such entries are kept too, for the caller to judge by the manifest itself.
 */
export function filterReferrers(descriptors: readonly Descriptor[], artifactType: string | undefined): Descriptor[] {
  if (artifactType === undefined) return [...descriptors];
  return descriptors.filter((d) => d.artifactType === undefined || d.artifactType === artifactType || d.artifactType === MediaType.OciEmpty);
}
