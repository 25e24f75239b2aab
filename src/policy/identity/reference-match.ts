/**
 * The comparisons behind every `signedIdentity` rule (containers/image policy_reference_match.go), over signet's
 * normalised references. Both sides are normalised first ("busybox" is "docker.io/library/busybox"), and all
 * comparisons are whole-string equality: no prefixes, no patterns.
 */
import { SignetError } from "../../errors/index.js";
import { formatImageReference, isNameOnly, parseNormalizedName, repositoryName, type ImageReference } from "../../oci/reference/index.js";

/** Parses a reference as docker's ParseNormalizedNamed; undefined when it is not a valid reference. */
export function tryParseDockerReference(text: string): ImageReference | undefined {
  try {
    return parseNormalizedName(text);
  } catch (error) {
    if (SignetError.is(error)) return undefined;
    throw error;
  }
}

/** matchExact / exactReference: both name a tag or digest and are the same reference. */
export function matchesExactly(intended: ImageReference, signature: ImageReference): boolean {
  if (isNameOnly(intended) || isNameOnly(signature)) return false;
  return formatImageReference(signature) === formatImageReference(intended);
}

/**
 * matchRepoDigestOrExact: an image named by tag needs a signature for exactly that tag; an image named only by
 * digest accepts a signature for any tag or digest of the same repository (the digest itself is checked against
 * the signed manifest digest elsewhere).
 */
export function matchesRepoDigestOrExactly(intended: ImageReference, signature: ImageReference): boolean {
  if (isNameOnly(signature)) return false;
  if (intended.tag !== undefined) return formatImageReference(signature) === formatImageReference(intended);
  if (intended.digest !== undefined) return repositoryName(signature) === repositoryName(intended);
  return false;
}

/** matchRepository / exactRepository: the same repository, whatever the tag or digest. */
export function matchesRepository(intended: ImageReference, signature: ImageReference): boolean {
  return repositoryName(signature) === repositoryName(intended);
}

/** remapIdentity's prefix test: the repository name equals the prefix or continues it at a "/" boundary. */
export function referenceMatchesPrefix(reference: ImageReference, prefix: string): boolean {
  const name = repositoryName(reference);
  if (name.length < prefix.length) return false;
  if (name.length === prefix.length) return name === prefix;
  return name.startsWith(prefix) && name[prefix.length] === "/";
}

/**
 * Rewrites `prefix` to `signedPrefix` at the start of the reference (unchanged when the prefix does not match).
 * The result must be a reference in canonical (fully expanded) form, as docker's ParseNamed requires; otherwise
 * the rewrite fails (e.g. "vendor.example:5000@sha256:…" would mean a tag, not a port).
 */
export function remapReferencePrefix(reference: ImageReference, prefix: string, signedPrefix: string): ImageReference {
  if (!referenceMatchesPrefix(reference, prefix)) return reference;
  const original = formatImageReference(reference);
  const rewritten = signedPrefix + original.slice(prefix.length);
  const parsed = tryParseDockerReference(rewritten);
  if (parsed === undefined || formatImageReference(parsed) !== rewritten) {
    throw new SignetError("POLICY_CONFIG_INVALID", `remapIdentity rewrites ${original} to ${JSON.stringify(rewritten)}, which is not a canonical image reference`, {
      details: { original, rewritten, prefix, signedPrefix },
      hint: "Fix the remapIdentity prefixes: both must be host[:port] or host[:port]/namespace in the fully expanded form.",
    });
  }
  return parsed;
}
