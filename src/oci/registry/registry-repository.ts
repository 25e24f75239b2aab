import { setTimeout as sleep } from "node:timers/promises";
import { SignetError } from "../../errors/index.js";
import { computeDigest, digestAlgorithm, isDigest, parseDigest, sha256Digest, verifyDigest, type Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import { isRecord } from "../../internal/strict-json.js";
import type { Descriptor } from "../manifest/descriptor.js";
import { MANIFEST_ACCEPT, MANIFEST_MEDIA_TYPES } from "../manifest/media-types.js";
import { fetchReferrersFromRegistry, type ReferrersApiAnswer } from "../referrers/referrers-api.js";
import type { ManifestBytes, Repository } from "../repository.js";
import { backoffDelay } from "./backoff.js";
import { checkUrlScheme } from "./endpoint.js";
import { parseNextLink } from "./link-header.js";
import { manifestMediaType } from "./manifest-media-type.js";
import { isValidRepositoryName, isValidTag, parseManifestReference, validateRepositoryName, validateTag, type ManifestReference } from "./names.js";
import { describeUrl } from "./redact.js";
import type { RegistryHttp } from "./registry-http.js";
import { isNotFoundAnswer, registryErrorFromResponse } from "./response-error.js";
import { discard, firstHeader, isConnectionReset, readBody, readCapped, declaredLength, type HttpMethod, type HttpResponse } from "./transport.js";
import { parseWwwAuthenticate } from "./www-authenticate.js";

/** What a registry repository offers beyond the Repository interface. */
export interface RegistryRepositoryExtras {
  /** The registry host as named in references, e.g. "docker.io" or "127.0.0.1:5000". */
  readonly registryHost: string;
  /** The repository name, e.g. "org/app". */
  readonly repositoryName: string;
  /** Checks that the registry answers the distribution API with the credentials at hand. */
  ping(): Promise<void>;
  /**
   * Mounts a blob from another repository of the same registry without uploading it. True when mounted (201).
   * When the registry opens an upload instead (202), it is completed with `fallbackBytes` if given (returning true),
   * or cancelled (returning false).
   */
  mountBlob(digest: Digest, fromRepository: string, fallbackBytes?: Buffer): Promise<boolean>;
  /** The descriptor of a manifest by tag or digest from a HEAD request, or undefined when there is none. */
  headManifest(reference: Digest | string): Promise<Descriptor | undefined>;
  /** The OCI 1.1 referrers API for a subject digest; `supported: false` on registries without it. */
  fetchReferrers(subject: Digest, options?: { readonly artifactType?: string }): Promise<ReferrersApiAnswer>;
  /** The registry's repositories (`GET /v2/_catalog`, paginated); more than `maxRepositories` is COUNT_LIMIT_EXCEEDED. */
  listCatalog(maxRepositories: number): Promise<string[]>;
}

export type RegistryRepository = Repository & RegistryRepositoryExtras;

export interface RegistryRepositoryOptions {
  /** Tags asked for per page of the tag list. */
  readonly tagPageSize: number;
  /** More tags than this is COUNT_LIMIT_EXCEEDED. */
  readonly maxTags: number;
}

type Access = "pull" | "push";

/** A repository in a registry, reached through the client's HTTP stack. Names, tags and digests are checked first. */
/** Blobs up to this size are uploaded without asking whether the registry has them. */
const SMALL_BLOB_BYTES = 64 * 1024;

export function createRegistryRepository(http: RegistryHttp, registry: string, untrustedRepository: string, options: RegistryRepositoryOptions): RegistryRepository {
  const repository = validateRepositoryName(untrustedRepository);
  const displayName = `${registry}/${repository}`;

  function scopesFor(access: Access, extra: readonly string[] = []): string[] {
    return [`repository:${repository}:${access === "push" ? "pull,push" : "pull"}`, ...extra];
  }

  async function url(path: string): Promise<URL> {
    return new URL(path, await http.originFor(registry));
  }

  async function send<T>(
    method: HttpMethod,
    target: URL,
    access: Access | readonly string[],
    handle: (response: HttpResponse) => Promise<T>,
    extra: { headers?: Record<string, string>; body?: Buffer; idempotent?: boolean } = {},
  ): Promise<T> {
    const origin = await http.originFor(registry);
    const scopes = typeof access === "string" ? scopesFor(access) : access;
    const request = {
      method,
      url: target,
      ...(extra.headers ? { headers: extra.headers } : {}),
      ...(extra.body ? { body: extra.body } : {}),
      ...(extra.idempotent !== undefined ? { idempotent: extra.idempotent } : {}),
    };
    return http.send(request, { target: { registry, origin, repository }, scopes }, handle);
  }

  async function failure(response: HttpResponse, method: HttpMethod, what: string): Promise<SignetError> {
    if (response.status >= 400) return failureWithBody(response, method, what, await readCapped(response));
    await discard(response);
    return new SignetError("REGISTRY_PROTOCOL", `${what}: unexpected HTTP ${response.status} from the registry`, {
      details: { status: response.status, method, url: describeUrl(response.url) },
    });
  }

  /** The error for an error answer whose body (capped) has been read. */
  function failureWithBody(response: HttpResponse, method: HttpMethod, what: string, body: Buffer): SignetError {
    const error = registryErrorFromResponse({ status: response.status, url: response.url, method, body }, what);
    const insufficientScope = parseWwwAuthenticate(response.headers["www-authenticate"]).some((c) => c.params.error === "insufficient_scope");
    if (response.status === 401 && insufficientScope) {
      return new SignetError("REGISTRY_DENIED", `${what} was refused: the credentials lack access to ${displayName}`, { details: error.details });
    }
    return error;
  }

  /**
   * A paginated list (the tag list, the catalog): `?n=` pages followed by their Link header, which must stay on
   * the same origin and path and never repeat; at most LIMITS.tagListPages pages of LIMITS.tagListPageBytes, and
   * more than `max` names is COUNT_LIMIT_EXCEEDED. Names that are not valid for their kind are left out.
   */
  async function listPages(listPath: string, access: Access | readonly string[], pageSize: number, max: number, what: string, field: "tags" | "repositories", isValid: (name: string) => boolean): Promise<string[]> {
    const origin = await http.originFor(registry);
    let next: URL | undefined = new URL(`${listPath}?n=${pageSize}`, origin);
    const seen = new Set<string>();
    const names = new Set<string>();
    for (let page = 0; next !== undefined; page++) {
      if (page >= LIMITS.tagListPages) {
        throw new SignetError("COUNT_LIMIT_EXCEEDED", `${what}: more than ${LIMITS.tagListPages} pages`, { details: { limit: LIMITS.tagListPages } });
      }
      seen.add(next.href);
      const current: URL = next;
      next = await send("GET", current, access, async (response) => {
        if (response.status !== 200) throw await failure(response, "GET", what);
        const body = await readBody(response, LIMITS.tagListPageBytes, `a page of ${what}`);
        for (const name of parseNamePage(body, what, field, isValid)) {
          names.add(name);
          if (names.size > max) {
            throw new SignetError("COUNT_LIMIT_EXCEEDED", `${what}: more than ${max} ${field}`, { details: { limit: max } });
          }
        }
        const link = parseNextLink(response.headers.link);
        if (link === undefined) return undefined;
        return nextPageUrl(link, response.url, origin, listPath, seen, what);
      });
    }
    return [...names];
  }

  function manifestPath(reference: ManifestReference): string {
    return `/v2/${repository}/manifests/${reference.kind === "digest" ? reference.digest : reference.tag}`;
  }

  function describeReference(reference: ManifestReference): string {
    return reference.kind === "digest" ? `${displayName}@${reference.digest}` : `${displayName}:${reference.tag}`;
  }

  /** The Docker-Content-Digest header, checked; undefined when absent. */
  function headerDigest(response: HttpResponse): Digest | undefined {
    const value = firstHeader(response.headers["docker-content-digest"]);
    if (value === undefined || value === "") return undefined;
    if (!isDigest(value)) {
      throw new SignetError("REGISTRY_PROTOCOL", "the registry sent an invalid Docker-Content-Digest header", { details: { header: value.slice(0, 200) } });
    }
    return value;
  }

  /** Rejects a Docker-Content-Digest header that names other content than `bytes` (or than the digest asked for). */
  function checkHeaderDigest(response: HttpResponse, bytes: Buffer | undefined, expected: Digest, what: string): void {
    const claimed = headerDigest(response);
    if (claimed === undefined) return;
    const actual = bytes !== undefined && digestAlgorithm(claimed) !== digestAlgorithm(expected) ? computeDigest(bytes, digestAlgorithm(claimed)) : expected;
    if (digestAlgorithm(claimed) === digestAlgorithm(actual) && claimed !== actual) {
      throw new SignetError("DIGEST_MISMATCH", `${what}: the registry's Docker-Content-Digest ${claimed} does not match ${actual}`, {
        details: { expected: actual, claimed },
      });
    }
  }

  /**
   * GETs a manifest. With `missing: "undefined"`, a 404 that is a plain "not found" (REGISTRY_NOT_FOUND, not a
   * denial the registry answered with 404) is undefined, without building the error first: a verify of unsigned
   * images and a first signature look up a `.sig` tag that does not exist, image after image.
   */
  async function fetchManifest(reference: ManifestReference): Promise<ManifestBytes>;
  async function fetchManifest(reference: ManifestReference, missing: "undefined"): Promise<ManifestBytes | undefined>;
  async function fetchManifest(reference: ManifestReference, missing?: "undefined"): Promise<ManifestBytes | undefined> {
    const what = `fetching the manifest ${describeReference(reference)}`;
    return send("GET", await url(manifestPath(reference)), "pull", async (response) => {
      if (response.status === 404 && missing === "undefined") {
        const body = await readCapped(response);
        if (isNotFoundAnswer(response.status, body)) return undefined;
        throw failureWithBody(response, "GET", what, body);
      }
      if (response.status !== 200) throw await failure(response, "GET", what);
      const bytes = await readBody(response, LIMITS.manifestBytes, `the manifest ${describeReference(reference)}`);
      let digest: Digest;
      if (reference.kind === "digest") {
        verifyDigest(bytes, reference.digest, `the manifest ${describeReference(reference)}`);
        digest = reference.digest;
      } else {
        digest = sha256Digest(bytes);
      }
      checkHeaderDigest(response, bytes, digest, what);
      const mediaType = manifestMediaType(firstHeader(response.headers["content-type"]), bytes);
      return { bytes, mediaType, digest };
    }, { headers: { accept: MANIFEST_ACCEPT } });
  }

  async function headManifestByReference(reference: ManifestReference): Promise<Descriptor | undefined> {
    const what = `checking the manifest ${describeReference(reference)}`;
    const head = await send("HEAD", await url(manifestPath(reference)), "pull", async (response) => {
      if (response.status === 404) return { found: false as const };
      if (response.status !== 200) throw await failure(response, "HEAD", what);
      const digest = headerDigest(response);
      if (reference.kind === "digest") checkHeaderDigest(response, undefined, reference.digest, what);
      const contentType = firstHeader(response.headers["content-type"])?.split(";")[0]!.trim().toLowerCase();
      const size = declaredLength(response);
      if (size !== undefined && size > LIMITS.manifestBytes) {
        throw new SignetError("SIZE_LIMIT_EXCEEDED", `the manifest ${describeReference(reference)} is ${size} bytes, more than the limit of ${LIMITS.manifestBytes} bytes`, {
          details: { limit: LIMITS.manifestBytes, declared: size },
        });
      }
      return { found: true as const, digest, contentType, size };
    }, { headers: { accept: MANIFEST_ACCEPT } });
    if (!head.found) return undefined;
    const digest = reference.kind === "digest" ? reference.digest : head.digest;
    if (digest !== undefined && head.size !== undefined && head.contentType !== undefined && MANIFEST_MEDIA_TYPES.includes(head.contentType)) {
      return { mediaType: head.contentType, digest, size: head.size };
    }
    // The HEAD answer is incomplete: fetch and hash the manifest instead.
    const manifest = await fetchManifest(reference);
    return { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length };
  }

  async function hasBlob(digest: Digest): Promise<boolean> {
    const checked = parseDigest(digest);
    const what = `checking the blob ${displayName}@${checked}`;
    return send("HEAD", await url(`/v2/${repository}/blobs/${checked}`), "pull", async (response) => {
      if (response.status === 200) return true;
      if (response.status === 404) return false;
      throw await failure(response, "HEAD", what);
    });
  }

  /** Starts an upload session; returns the URL to PUT the content to. */
  function uploadLocation(response: HttpResponse, what: string): URL {
    const location = firstHeader(response.headers.location);
    if (location === undefined || location === "") {
      throw new SignetError("REGISTRY_PROTOCOL", `${what}: the registry opened an upload without a Location`, { details: { url: describeUrl(response.url) } });
    }
    let target: URL;
    try {
      target = new URL(location, response.url);
    } catch {
      throw new SignetError("REGISTRY_PROTOCOL", `${what}: the registry sent an invalid upload Location`, { details: { url: describeUrl(response.url) } });
    }
    checkUrlScheme(target, http.policy);
    return target;
  }

  async function completeUpload(location: URL, bytes: Buffer, digest: Digest, what: string): Promise<void> {
    // The Location may carry its own query (upload state): append the digest to it.
    const target = new URL(location);
    target.searchParams.append("digest", digest);
    await send("PUT", target, "push", async (response) => {
      if (response.status !== 201 && response.status !== 204 && response.status !== 200) throw await failure(response, "PUT", what);
      checkHeaderDigest(response, bytes, digest, what);
      await discard(response);
      // Content-addressed: a repeat completes the same blob, or fails and putBlob finds the blob there.
    }, { headers: { "content-type": "application/octet-stream" }, body: bytes, idempotent: true });
  }

  async function cancelUpload(location: URL): Promise<void> {
    await send("DELETE", location, "push", async (response) => discard(response)).catch(() => undefined);
  }

  const self: RegistryRepository = {
    displayName,
    registryHost: registry,
    repositoryName: repository,

    async ping() {
      const what = `contacting the registry ${registry}`;
      await send("GET", await url("/v2/"), [], async (response) => {
        if (response.status === 200) return discard(response);
        if (response.status === 404) {
          await discard(response);
          throw new SignetError("REGISTRY_PROTOCOL", `${registry} does not serve the distribution API at /v2/`, { details: { status: 404 } });
        }
        throw await failure(response, "GET", what);
      });
    },

    // A tag is resolved by fetching its manifest and hashing the bytes received (one GET, as many requests as a
    // HEAD): the registry's Docker-Content-Digest header is never the answer, and one that names other bytes is
    // DIGEST_MISMATCH (fetchManifest).
    async resolveTag(tag) {
      const manifest = await self.tryGetManifest(validateTag(tag));
      return manifest === undefined ? undefined : { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length };
    },

    fetchReferrers(subject, options) {
      return fetchReferrersFromRegistry(http, { registry, repository, displayName }, subject, options ?? {});
    },

    async headManifest(reference) {
      return headManifestByReference(parseManifestReference(reference));
    },

    async getManifest(reference) {
      return fetchManifest(parseManifestReference(reference));
    },

    async tryGetManifest(reference) {
      return fetchManifest(parseManifestReference(reference), "undefined");
    },

    async putManifest(bytes, mediaType, tag) {
      if (!MANIFEST_MEDIA_TYPES.includes(mediaType)) {
        throw new SignetError("MANIFEST_UNSUPPORTED", `cannot push a manifest of media type ${JSON.stringify(mediaType.slice(0, 100))}`, { details: { mediaType: mediaType.slice(0, 100) } });
      }
      if (bytes.length > LIMITS.manifestBytes) {
        throw new SignetError("SIZE_LIMIT_EXCEEDED", `the manifest is ${bytes.length} bytes, more than the limit of ${LIMITS.manifestBytes} bytes`, { details: { limit: LIMITS.manifestBytes } });
      }
      const digest = sha256Digest(bytes);
      const reference: ManifestReference = tag === undefined ? { kind: "digest", digest } : { kind: "tag", tag: validateTag(tag) };
      const what = `pushing the manifest ${describeReference(reference)}`;
      await send("PUT", await url(manifestPath(reference)), "push", async (response) => {
        if (response.status < 200 || response.status > 299) throw await failure(response, "PUT", what);
        checkHeaderDigest(response, bytes, digest, what);
        await discard(response);
        // The same bytes under the same name: a repeat has the effect of one PUT (a signer re-reads its tag anyway).
      }, { headers: { "content-type": mediaType }, body: bytes, idempotent: true });
      return digest;
    },

    hasBlob,

    async deleteManifest(digest) {
      const checked = parseDigest(digest);
      const what = `deleting the manifest ${displayName}@${checked}`;
      await send("DELETE", await url(`/v2/${repository}/manifests/${checked}`), "push", async (response) => {
        if (response.status !== 202 && response.status !== 200 && response.status !== 204) throw await failure(response, "DELETE", what);
        await discard(response);
      });
    },

    async getBlob(digest, maxBytes) {
      const checked = parseDigest(digest);
      const what = `fetching the blob ${displayName}@${checked}`;
      return send("GET", await url(`/v2/${repository}/blobs/${checked}`), "pull", async (response) => {
        if (response.status !== 200) throw await failure(response, "GET", what);
        const bytes = await readBody(response, maxBytes, `the blob ${checked}`);
        verifyDigest(bytes, checked, `the blob ${displayName}@${checked}`);
        return bytes;
      });
    },

    async putBlob(bytes, digest) {
      const checked = parseDigest(digest);
      verifyDigest(bytes, checked, "the blob to upload");
      // Asking first costs a round trip that a small upload (a signature, a config) does not save.
      if (bytes.length > SMALL_BLOB_BYTES && (await hasBlob(checked))) return;
      const what = `uploading the blob ${displayName}@${checked}`;
      // A blob is named by its content, so a failed upload is simply started again (a session left open expires);
      // after a transient failure the registry may have the blob already, which is asked first.
      for (let attempt = 0; ; attempt++) {
        try {
          const location = await send("POST", await url(`/v2/${repository}/blobs/uploads/`), "push", async (response) => {
            if (response.status !== 202) throw await failure(response, "POST", what);
            await discard(response);
            return uploadLocation(response, what);
          });
          await completeUpload(location, bytes, checked, what);
          return;
        } catch (error) {
          if (attempt + 1 >= UPLOAD_ATTEMPTS || !isTransientFailure(error)) throw error;
          await sleep(backoffDelay(attempt, UPLOAD_BACKOFF));
          if (await hasBlob(checked).catch(() => false)) return;
        }
      }
    },

    async mountBlob(digest, fromRepository, fallbackBytes) {
      const checked = parseDigest(digest);
      const from = validateRepositoryName(fromRepository);
      if (fallbackBytes !== undefined) verifyDigest(fallbackBytes, checked, "the blob to upload");
      const what = `mounting the blob ${checked} from ${registry}/${from} into ${displayName}`;
      const target = await url(`/v2/${repository}/blobs/uploads/`);
      target.searchParams.set("mount", checked);
      target.searchParams.set("from", from);
      const result = await send("POST", target, scopesFor("push", [`repository:${from}:pull`]), async (response) => {
        if (response.status === 201) {
          checkHeaderDigest(response, undefined, checked, what);
          await discard(response);
          return { mounted: true as const };
        }
        if (response.status !== 202) throw await failure(response, "POST", what);
        await discard(response);
        return { mounted: false as const, location: uploadLocation(response, what) };
      });
      if (result.mounted) return true;
      if (fallbackBytes !== undefined) {
        await completeUpload(result.location, fallbackBytes, checked, what);
        return true;
      }
      await cancelUpload(result.location);
      return false;
    },

    listTags() {
      return listPages(`/v2/${repository}/tags/list`, "pull", options.tagPageSize, options.maxTags, `listing the tags of ${displayName}`, "tags", isValidTag);
    },

    listCatalog(maxRepositories) {
      // registry:catalog:* is the scope the token servers (distribution, Harbor, Zot) ask for the catalog.
      return listPages("/v2/_catalog", ["registry:catalog:*"], options.tagPageSize, maxRepositories, `listing the repositories of ${registry}`, "repositories", isValidRepositoryName);
    },
  };
  return self;
}

/** Whole blob uploads (open a session, send the bytes) tried at most this often; each request is also retried. */
const UPLOAD_ATTEMPTS = 3;
const UPLOAD_BACKOFF = { baseMs: 200, maxMs: 2_000 };

/**
 * A failure that another attempt may not meet: the registry's 5xx and 429, a reset connection, or an upload session
 * it lost (BLOB_UPLOAD_UNKNOWN, after a retried PUT whose first attempt had completed or cancelled it).
 */
function isTransientFailure(error: unknown): boolean {
  if (!SignetError.is(error)) return false;
  if (isConnectionReset(error) || error.code === "REGISTRY_TOO_MANY_REQUESTS") return true;
  const status = typeof error.details.status === "number" ? error.details.status : 0;
  if (error.code === "REGISTRY_ERROR") return status >= 500 && status <= 599;
  const errors = Array.isArray(error.details.errors) ? (error.details.errors as { code?: unknown }[]) : [];
  return error.code === "REGISTRY_NOT_FOUND" && errors.some((entry) => entry.code === "BLOB_UPLOAD_UNKNOWN");
}

/** Reads one page of `{"name": …, "tags": [...]}` or `{"repositories": [...]}`; invalid names are left out. */
function parseNamePage(body: Buffer, what: string, field: "tags" | "repositories", isValid: (name: string) => boolean): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new SignetError("REGISTRY_PROTOCOL", `${what}: the answer is not JSON`);
  }
  const list = isRecord(parsed) ? parsed[field] : undefined;
  if (!isRecord(parsed) || (list !== null && list !== undefined && !Array.isArray(list))) {
    throw new SignetError("REGISTRY_PROTOCOL", `${what}: the answer is not a list of ${field}`);
  }
  const names: unknown[] = Array.isArray(list) ? list : [];
  return names.filter((name): name is string => typeof name === "string" && isValid(name));
}

/** The next page's URL: it must stay on the registry's origin and tag-list path, and not repeat. */
function nextPageUrl(link: string, base: URL, origin: string, listPath: string, seen: ReadonlySet<string>, what: string): URL {
  let next: URL;
  try {
    next = new URL(link, base);
  } catch {
    throw new SignetError("REGISTRY_PROTOCOL", `${what}: invalid next-page link`);
  }
  if (next.origin !== origin || next.pathname !== listPath) {
    throw new SignetError("REGISTRY_PROTOCOL", `${what}: the next-page link leaves the tag list`, { details: { link: describeUrl(next) } });
  }
  if (seen.has(next.href)) throw new SignetError("REGISTRY_PROTOCOL", `${what}: the next-page link repeats an earlier page`, { details: { link: describeUrl(next) } });
  return next;
}
