import { SignetError } from "../../errors/index.js";
import { parseDigest, type Digest } from "../../internal/digest.js";
import {
  DEFAULT_REGISTRY,
  DEFAULT_REGISTRY_HOST,
  DEFAULT_TAG,
  DIGEST_ALGORITHM_PREFIX,
  DOMAIN_NAME,
  IMAGE_ID,
  IPV6_HOST,
  LEGACY_DEFAULT_REGISTRY,
  NAME_TOTAL_LENGTH_MAX,
  OFFICIAL_REPOSITORY_NAMESPACE,
  PATH_COMPONENT,
  PORT,
  REFERENCE_TEXT_LENGTH_MAX,
  isValidTag,
} from "./grammar.js";

/** A normalised image reference: `registry` is never empty, `repository` never starts with the registry. */
export interface ImageReference {
  /** "docker.io", "ghcr.io", "localhost:5000", "[::1]:5000". */
  readonly registry: string;
  /** "library/nginx", "org/app". */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

/**
 * Parses and normalises an image reference as docker does (`reference.ParseNormalizedNamed` followed by
 * `TagNameOnly`): "nginx" is "docker.io/library/nginx:latest". The tag "latest" is added only when the text
 * has neither a tag nor a digest.
 */
export function parseImageReference(text: string): ImageReference {
  const reference = parseNormalizedName(text);
  if (reference.tag === undefined && reference.digest === undefined) {
    return freeze({ registry: reference.registry, repository: reference.repository, tag: DEFAULT_TAG });
  }
  return reference;
}

/**
 * Like docker's `reference.ParseNormalizedNamed`: normalises the registry and repository but adds no
 * default tag, so callers that must tell "nginx" from "nginx:latest" (policy matching) can.
 */
export function parseNormalizedName(text: string): ImageReference {
  if (typeof text !== "string" || text.length === 0) {
    throw invalid(String(text), "the image reference is empty");
  }
  if (text.length > REFERENCE_TEXT_LENGTH_MAX) {
    throw invalid(text, `it is ${text.length} characters long; no image reference is longer than ${REFERENCE_TEXT_LENGTH_MAX}`);
  }
  if (IMAGE_ID.test(text)) {
    throw invalid(text, "a 64-hex-character string cannot be used as a repository name (it looks like an image ID; write NAME@sha256:<hex>)");
  }

  // Neither names nor tags contain "@", so the first "@" starts the digest.
  const at = text.indexOf("@");
  const nameAndTag = at === -1 ? text : text.slice(0, at);
  const digest = at === -1 ? undefined : parseReferenceDigest(text, text.slice(at + 1));

  // A ":" followed by no "/" separates the tag; any other ":" belongs to the registry's port.
  const colon = nameAndTag.lastIndexOf(":");
  let name = nameAndTag;
  let tag: string | undefined;
  if (colon !== -1 && !nameAndTag.includes("/", colon)) {
    name = nameAndTag.slice(0, colon);
    tag = nameAndTag.slice(colon + 1);
    if (tag === "") throw invalid(text, 'it ends with ":" but no tag follows');
    if (!isValidTag(tag)) {
      throw invalid(
        text,
        `tag ${quote(tag)} is not valid (a tag is 1 to 128 letters, digits, "_", "." and "-", and does not start with "." or "-")`,
      );
    }
  }
  if (name === "") throw invalid(text, "the repository name is missing");

  const { registry, repository, writtenRepository } = splitRegistry(name);
  if (writtenRepository.toLowerCase() !== writtenRepository) {
    throw invalid(text, `repository name ${quote(writtenRepository)} must be lower-case`);
  }
  checkRegistry(text, registry);
  checkRepository(text, repository);
  const fullName = `${registry}/${repository}`;
  if (fullName.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(text, `the name ${quote(fullName)} is ${fullName.length} characters long; the limit is ${NAME_TOTAL_LENGTH_MAX}`);
  }
  return freeze({ registry, repository, tag, digest });
}

/** "docker.io/library/nginx:latest", "ghcr.io/org/app:1@sha256:…": the full, normalised form. */
export function formatImageReference(reference: ImageReference): string {
  return repositoryName(reference) + suffix(reference);
}

/** "docker.io/library/nginx": registry and repository, no tag or digest. */
export function repositoryName(reference: ImageReference): string {
  return `${reference.registry}/${reference.repository}`;
}

/** The reference to one digest of the same repository; the tag is dropped. */
export function withDigest(reference: ImageReference, digest: Digest | string): ImageReference {
  const checked = parseDigest(digest);
  return freeze({ registry: reference.registry, repository: reference.repository, digest: checked });
}

/**
 * The reference to one tag of the same repository; the digest is dropped (unlike docker's `WithTag`) because
 * the result names what the tag points to now, e.g. a signature tag "sha256-<hex>.sig".
 */
export function withTag(reference: ImageReference, tag: string): ImageReference {
  if (!isValidTag(tag)) {
    throw new SignetError("REF_INVALID", `tag ${quote(tag)} is not valid (a tag is 1 to 128 letters, digits, "_", "." and "-", and does not start with "." or "-")`, {
      details: { tag: truncate(tag) },
    });
  }
  return freeze({ registry: reference.registry, repository: reference.repository, tag });
}

/** True when the reference has neither a tag nor a digest (only `parseNormalizedName` makes such). */
export function isNameOnly(reference: ImageReference): boolean {
  return reference.tag === undefined && reference.digest === undefined;
}

/** The short form docker prints: "nginx:latest", "user/app:1", "ghcr.io/org/app@sha256:…". */
export function familiarName(reference: ImageReference): string {
  let name = repositoryName(reference);
  if (reference.registry === DEFAULT_REGISTRY) {
    name = reference.repository;
    const parts = name.split("/");
    if (parts.length === 2 && parts[0] === OFFICIAL_REPOSITORY_NAMESPACE) name = parts[1]!;
  }
  return name + suffix(reference);
}

/** The host (and port) to connect to: "docker.io" is served by "registry-1.docker.io", as docker does. */
export function registryHost(reference: ImageReference): string {
  return reference.registry === DEFAULT_REGISTRY ? DEFAULT_REGISTRY_HOST : reference.registry;
}

/** Spellings of Docker Hub's registry: all of them name docker.io. */
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([DEFAULT_REGISTRY, LEGACY_DEFAULT_REGISTRY, DEFAULT_REGISTRY_HOST]);

/**
 * The one spelling of a registry that policies are matched against: the host in lower case (DNS names are
 * case-insensitive), without the default port of HTTPS (443) or HTTP (80) that names the same endpoint, and
 * Docker Hub's aliases (index.docker.io, registry-1.docker.io) as docker.io. distribution's grammar keeps
 * these spellings apart (a reference keeps them as written, and so do its pulls); only policy matching folds
 * them, so a governed registry cannot be escaped by writing it differently (`LOCALHOST:5000`, `host:443`).
 */
export function canonicalRegistry(registry: string): string {
  let host = registry;
  let port: string | undefined;
  const close = registry.startsWith("[") ? registry.indexOf("]") : -1;
  const colon = registry.indexOf(":", close === -1 ? 0 : close);
  if (colon !== -1) {
    host = registry.slice(0, colon);
    port = registry.slice(colon + 1);
  }
  host = host.toLowerCase();
  if (port !== undefined && PORT.test(port) && (Number(port) === 443 || Number(port) === 80)) port = undefined;
  if (port === undefined && DOCKER_HUB_ALIASES.has(host)) return DEFAULT_REGISTRY;
  return port === undefined ? host : `${host}:${port}`;
}

/**
 * The reference as policies see it: its registry canonical (canonicalRegistry), and a one-component Docker Hub
 * repository under "library/" as docker names it. Everything else is unchanged; the result is for matching
 * policies, never for pulling (pull what was written).
 */
export function toPolicyReference(reference: ImageReference): ImageReference {
  const registry = canonicalRegistry(reference.registry);
  if (registry === reference.registry) return reference;
  const repository = registry === DEFAULT_REGISTRY && !reference.repository.includes("/") ? `${OFFICIAL_REPOSITORY_NAMESPACE}/${reference.repository}` : reference.repository;
  return freeze({ registry, repository, tag: reference.tag, digest: reference.digest });
}

export { isValidTag };

/** docker's splitDockerDomain: the first component is a registry only when it looks like a host. */
function splitRegistry(name: string): { registry: string; repository: string; writtenRepository: string } {
  const slash = name.indexOf("/");
  let registry = DEFAULT_REGISTRY;
  let repository = name;
  if (slash !== -1) {
    const first = name.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost") {
      registry = first;
      repository = name.slice(slash + 1);
    }
  }
  const writtenRepository = repository;
  if (registry === LEGACY_DEFAULT_REGISTRY) registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes("/")) {
    repository = `${OFFICIAL_REPOSITORY_NAMESPACE}/${repository}`;
  }
  return { registry, repository, writtenRepository };
}

function checkRegistry(text: string, registry: string): void {
  let host = registry;
  let port: string | undefined;
  if (registry.startsWith("[")) {
    const close = registry.indexOf("]");
    if (close !== -1 && registry.length > close + 1) {
      if (registry[close + 1] !== ":") throw invalid(text, `registry ${quote(registry)} is not a valid host`);
      host = registry.slice(0, close + 1);
      port = registry.slice(close + 2);
    }
  } else {
    const colon = registry.indexOf(":");
    if (colon !== -1) {
      host = registry.slice(0, colon);
      port = registry.slice(colon + 1);
    }
  }
  if (!DOMAIN_NAME.test(host) && !IPV6_HOST.test(host)) {
    throw invalid(text, `registry host ${quote(host)} is not a valid host name or [IPv6] address`);
  }
  // docker accepts any digits; a port outside 1-65535 could never be dialled, so it is refused here.
  if (port !== undefined && (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    throw invalid(text, `registry port ${quote(port)} is not a number from 1 to 65535`);
  }
}

function checkRepository(text: string, repository: string): void {
  for (const component of repository.split("/")) {
    if (component === "") {
      throw invalid(text, `repository name ${quote(repository)} has an empty path component (a leading, trailing or doubled "/")`);
    }
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(
        text,
        `repository path component ${quote(component)} is not valid (lower-case letters and digits, separated by ".", "_", "__" or "-")`,
      );
    }
  }
}

function parseReferenceDigest(text: string, untrustedDigest: string): Digest {
  try {
    return parseDigest(untrustedDigest);
  } catch (error) {
    const problem = untrustedDigest === ""
      ? 'nothing follows "@"'
      : DIGEST_ALGORITHM_PREFIX.test(untrustedDigest)
        ? `digest ${quote(untrustedDigest)} is not valid`
        : `${quote(untrustedDigest)} after "@" is not a digest`;
    throw new SignetError("DIGEST_INVALID", `invalid image reference ${quote(text)}: ${problem}`, {
      details: { reference: truncate(text), digest: truncate(untrustedDigest) },
      cause: error,
    });
  }
}

function suffix(reference: ImageReference): string {
  return (reference.tag === undefined ? "" : `:${reference.tag}`) + (reference.digest === undefined ? "" : `@${reference.digest}`);
}

function freeze(reference: { registry: string; repository: string; tag?: string | undefined; digest?: Digest | undefined }): ImageReference {
  const result: { registry: string; repository: string; tag?: string; digest?: Digest } = {
    registry: reference.registry,
    repository: reference.repository,
  };
  if (reference.tag !== undefined) result.tag = reference.tag;
  if (reference.digest !== undefined) result.digest = reference.digest;
  return Object.freeze(result);
}

function invalid(text: string, problem: string): SignetError {
  return new SignetError("REF_INVALID", `invalid image reference ${quote(text)}: ${problem}`, {
    details: { reference: truncate(text) },
  });
}

function quote(value: string): string {
  return JSON.stringify(truncate(value));
}

function truncate(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}
