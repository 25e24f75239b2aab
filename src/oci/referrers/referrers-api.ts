/**
 * The OCI 1.1 referrers API (`GET /v2/<name>/referrers/<digest>`), spoken over a registry client's HTTP stack.
 * A registry that lacks it answers 404 (Debian's docker-registry 2.8: a plain-text "404 page not found"), or
 * something that is not an image index; the caller then falls back to the referrers tag schema.
 */
import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { parseDigest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import type { Descriptor } from "../manifest/descriptor.js";
import { MediaType } from "../manifest/media-types.js";
import type { Repository } from "../repository.js";
import { parseNextLink } from "../registry/link-header.js";
import { describeUrl } from "../registry/redact.js";
import type { RegistryHttp } from "../registry/registry-http.js";
import { registryErrorFromResponse } from "../registry/response-error.js";
import { discard, firstHeader, readBody, readCapped } from "../registry/transport.js";
import { MAX_REFERRERS, parseReferrersIndex } from "./referrers-index.js";
import { appendAll } from "../../internal/arrays.js";

/** Pages of a paginated referrers answer followed before giving up (hostile endless pagination). */
export const MAX_REFERRERS_PAGES = LIMITS.referrersPages;

export type ReferrersApiAnswer =
  | { readonly supported: true; readonly descriptors: Descriptor[]; readonly where: string }
  | { readonly supported: false; readonly reason: string };

/** A repository that can ask its registry's referrers API (registry repositories; never an OCI layout). */
export interface ReferrersApi {
  fetchReferrers(subject: Digest, options?: { readonly artifactType?: string }): Promise<ReferrersApiAnswer>;
}

export function hasReferrersApi(repository: Repository): repository is Repository & ReferrersApi {
  return typeof (repository as Partial<ReferrersApi>).fetchReferrers === "function";
}

export interface ReferrersTarget {
  readonly registry: string;
  readonly repository: string;
  readonly displayName: string;
}

/**
 * Asks the referrers API for the manifests that name `subject`, following `Link` pagination within bounds.
 * `supported: false` when the registry does not implement the API (404, or an answer that is not an index).
 */
export async function fetchReferrersFromRegistry(http: RegistryHttp, target: ReferrersTarget, untrustedSubject: Digest, options: { readonly artifactType?: string } = {}): Promise<ReferrersApiAnswer> {
  const subject = parseDigest(untrustedSubject);
  const origin = await http.originFor(target.registry);
  const path = `/v2/${target.repository}/referrers/${subject}`;
  const first = new URL(path, origin);
  if (options.artifactType !== undefined) first.searchParams.set("artifactType", options.artifactType);
  const where = `${target.displayName}/referrers/${subject}`;
  const auth = { target: { registry: target.registry, origin, repository: target.repository }, scopes: [`repository:${target.repository}:pull`] };
  const descriptors: Descriptor[] = [];
  const seen = new Set<string>();
  let next: URL | undefined = first;
  for (let page = 0; next !== undefined; page++) {
    if (page >= MAX_REFERRERS_PAGES) {
      throw new SignetError("COUNT_LIMIT_EXCEEDED", `the referrers of ${target.displayName}@${subject} span more than ${MAX_REFERRERS_PAGES} pages`, { details: { limit: MAX_REFERRERS_PAGES } });
    }
    seen.add(next.href);
    const current: URL = next;
    const answer: { unsupported: string } | { descriptors: Descriptor[]; next: URL | undefined } = await http.send({ method: "GET", url: current, headers: { accept: MediaType.OciIndex } }, auth, async (response) => {
      if (response.status === 404 && page === 0) {
        const body = await readCapped(response);
        return { unsupported: `the registry answered 404 (${body.subarray(0, 60).toString("utf8").trim() || "no body"})` };
      }
      if (response.status !== 200) {
        const body = await readCapped(response);
        throw registryErrorFromResponse({ status: response.status, url: response.url, method: "GET", body }, `listing the referrers of ${target.displayName}@${subject}`);
      }
      const contentType = firstHeader(response.headers["content-type"])?.split(";")[0]!.trim().toLowerCase();
      if (contentType !== MediaType.OciIndex && page === 0) {
        await discard(response);
        return { unsupported: `the registry answered with ${contentType ?? "no content type"}, not an OCI index` };
      }
      const bytes = await readBody(response, LIMITS.manifestBytes, `the referrers of ${target.displayName}@${subject}`);
      const link = parseNextLink(response.headers.link);
      return { descriptors: parseReferrersIndex(bytes, where), next: link === undefined ? undefined : nextPage(link, response.url, origin, path, seen) };
    });
    if ("unsupported" in answer) return { supported: false, reason: answer.unsupported };
    appendAll(descriptors, answer.descriptors);
    if (descriptors.length > MAX_REFERRERS) {
      throw new SignetError("COUNT_LIMIT_EXCEEDED", `${target.displayName}@${subject} has more than ${MAX_REFERRERS} referrers`, { details: { limit: MAX_REFERRERS } });
    }
    next = answer.next;
  }
  return { supported: true, descriptors, where };
}

/** The next page must stay on the registry's origin and this referrers path, and must not repeat a page. */
function nextPage(link: string, base: URL, origin: string, path: string, seen: ReadonlySet<string>): URL {
  let next: URL;
  try {
    next = new URL(link, base);
  } catch {
    throw new SignetError("REGISTRY_PROTOCOL", "the referrers answer has an invalid next-page link");
  }
  if (next.origin !== origin || next.pathname !== path) {
    throw new SignetError("REGISTRY_PROTOCOL", "the referrers next-page link leaves the referrers list", { details: { link: describeUrl(next) } });
  }
  if (seen.has(next.href)) throw new SignetError("REGISTRY_PROTOCOL", "the referrers next-page link repeats an earlier page", { details: { link: describeUrl(next) } });
  return next;
}
