/**
 * The pieces of docker/distribution's reference grammar (reference/regexp.go), one anchored pattern per
 * piece so a failed check can say which piece is wrong. None of these can backtrack badly: separators and
 * atoms use disjoint characters.
 */

/** A repository path component: lower-case letters and digits, separated by ".", "_", "__" or dashes. */
export const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** One label of a registry host name (upper case is allowed there, as docker allows it). */
const DOMAIN_LABEL = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
export const DOMAIN_NAME = new RegExp(`^${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*$`);

/** A bracketed IPv6 address, as distribution/reference accepts it: "[::1]". */
export const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;

export const PORT = /^[0-9]+$/;

/** A tag: a word character, then up to 127 word characters, dots and dashes. */
export const TAG = /^\w[\w.-]{0,127}$/;

/** The algorithm part of a digest ("sha256:"): tells a digest from a path or a tag before it is checked. */
export const DIGEST_ALGORITHM_PREFIX = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:/;

/** 64 hex characters: an image ID, which docker refuses as a repository name. */
export const IMAGE_ID = /^[a-f0-9]{64}$/;

/** docker: NameTotalLengthMax, counted over "registry/repository". */
export const NAME_TOTAL_LENGTH_MAX = 255;

/** Longer input cannot be a reference (name 255 + tag 128 + a sha512 digest); refused before any parsing. */
export const REFERENCE_TEXT_LENGTH_MAX = 1024;

export const DEFAULT_REGISTRY = "docker.io";
export const LEGACY_DEFAULT_REGISTRY = "index.docker.io";
export const OFFICIAL_REPOSITORY_NAMESPACE = "library";
export const DEFAULT_TAG = "latest";
/** Where docker actually talks to for "docker.io". */
export const DEFAULT_REGISTRY_HOST = "registry-1.docker.io";

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}
