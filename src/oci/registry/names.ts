import { SignetError } from "../../errors/index.js";
import { parseDigest, type Digest } from "../../internal/digest.js";

// The distribution reference grammar: lower-case path components joined by ".", "_", "__" or dashes.
const PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY_PATTERN = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_REPOSITORY_LENGTH = 255;

/** Checks a repository name before it reaches a URL: "org/app", never "../x", "A/b" or "a//b". */
export function validateRepositoryName(untrustedName: string): string {
  if (!isValidRepositoryName(untrustedName)) {
    throw new SignetError("REF_INVALID", `invalid repository name ${JSON.stringify(shorten(untrustedName))}`, {
      details: { repository: shorten(untrustedName) },
    });
  }
  return untrustedName;
}

export function isValidRepositoryName(value: string): boolean {
  return value.length <= MAX_REPOSITORY_LENGTH && REPOSITORY_PATTERN.test(value);
}

export function isValidTag(value: string): boolean {
  return TAG_PATTERN.test(value);
}

/** Checks a tag before it reaches a URL: up to 128 of [A-Za-z0-9_.-], not starting with "." or "-". */
export function validateTag(untrustedTag: string): string {
  if (!isValidTag(untrustedTag)) {
    throw new SignetError("REF_INVALID", `invalid tag ${JSON.stringify(shorten(untrustedTag))}`, { details: { tag: shorten(untrustedTag) } });
  }
  return untrustedTag;
}

export type ManifestReference = { kind: "digest"; digest: Digest } | { kind: "tag"; tag: string };

/** A manifest reference is a digest when it contains ":" (then it must be a valid digest), else a tag. */
export function parseManifestReference(untrustedReference: string): ManifestReference {
  if (untrustedReference.includes(":")) return { kind: "digest", digest: parseDigest(untrustedReference) };
  return { kind: "tag", tag: validateTag(untrustedReference) };
}

function shorten(value: string): string {
  return value.length > 300 ? `${value.slice(0, 300)}…` : value;
}
