import { SignetError } from "../../errors/index.js";
import { formatImageReference, repositoryName, type ImageReference } from "../../oci/reference/index.js";
import type { SignedIdentityConfig } from "../config/index.js";
import { matchesExactly, matchesRepoDigestOrExactly, matchesRepository, remapReferencePrefix, tryParseDockerReference } from "./reference-match.js";

export interface IdentityMatch {
  readonly matches: boolean;
  /** What was compared and why it did (not) match, in words. */
  readonly reason: string;
  /** When it did not match: what the user can change. */
  readonly hint?: string;
}

/**
 * Applies a `signedIdentity` rule to the identity a verified signature claims. `image` is the docker reference the
 * image was named by, or undefined for transports with none (oci:, dir:), which only exactReference and
 * exactRepository can serve.
 */
export function matchSignedIdentity(rule: SignedIdentityConfig, image: ImageReference | undefined, untrustedSignedReference: string): IdentityMatch {
  const claimed = JSON.stringify(untrustedSignedReference);
  const signature = tryParseDockerReference(untrustedSignedReference);
  if (signature === undefined) {
    return { matches: false, reason: `the signature claims the identity ${claimed}, which is not a valid image reference`, hint: "The signature is malformed; sign the image again." };
  }
  const name = rule.type + (rule.defaulted === true ? " (the default when signedIdentity is not set)" : "");
  switch (rule.type) {
    case "exactReference": {
      // The parser checked dockerReference; a rule built by hand with a bad one matches nothing.
      const expected = tryParseDockerReference(rule.dockerReference);
      if (expected === undefined) return { matches: false, reason: `the policy's dockerReference ${JSON.stringify(rule.dockerReference)} is not a valid reference` };
      const ok = matchesExactly(expected, signature);
      return ok
        ? { matches: true, reason: `the signature names ${claimed}, exactly the policy's dockerReference` }
        : {
            matches: false,
            reason: `the signature names ${claimed}, but exactReference requires ${JSON.stringify(formatImageReference(expected))}`,
            hint: "Sign the image under the reference the policy names, or change dockerReference.",
          };
    }
    case "exactRepository": {
      const expected = tryParseDockerReference(rule.dockerRepository);
      if (expected === undefined) return { matches: false, reason: `the policy's dockerRepository ${JSON.stringify(rule.dockerRepository)} is not a valid reference` };
      const ok = matchesRepository(expected, signature);
      return ok
        ? { matches: true, reason: `the signature names ${claimed}, in the policy's dockerRepository ${repositoryName(expected)}` }
        : {
            matches: false,
            reason: `the signature names ${claimed}, but exactRepository requires the repository ${repositoryName(expected)}`,
            hint: "Sign the image under the repository the policy names, or change dockerRepository.",
          };
    }
    default:
      break;
  }
  if (image === undefined) {
    return {
      matches: false,
      reason: `${name} compares the signature with the image's registry name, but this image has none (it is not in a registry)`,
      hint: "For images in OCI layouts or directories use signedIdentity exactReference or exactRepository.",
    };
  }
  const intended = formatImageReference(image);
  switch (rule.type) {
    case "matchExact":
      return matchesExactly(image, signature)
        ? { matches: true, reason: `the signature names ${claimed}, exactly this image` }
        : {
            matches: false,
            reason: `the signature names ${claimed}, but matchExact requires exactly ${JSON.stringify(intended)}`,
            hint: hintForExact(image, signature),
          };
    case "matchRepoDigestOrExact":
      return matchesRepoDigestOrExactly(image, signature)
        ? { matches: true, reason: `the signature names ${claimed}, which ${name} accepts for ${intended}` }
        : {
            matches: false,
            reason:
              image.tag !== undefined
                ? `the signature names ${claimed}, but ${name} requires exactly ${JSON.stringify(intended)} for an image named by tag`
                : `the signature names ${claimed}, but ${name} requires a tag or digest of the repository ${repositoryName(image)}`,
            hint: hintForExact(image, signature),
          };
    case "matchRepository":
      return matchesRepository(image, signature)
        ? { matches: true, reason: `the signature names ${claimed}, in the image's repository ${repositoryName(image)}` }
        : {
            matches: false,
            reason: `the signature names ${claimed}, but matchRepository requires the repository ${repositoryName(image)}`,
            hint: "The signature was made for another repository: it may have been copied from another image. Sign this repository, or use remapIdentity for a mirror.",
          };
    case "remapIdentity": {
      let remapped: ImageReference;
      try {
        remapped = remapReferencePrefix(image, rule.prefix, rule.signedPrefix);
      } catch (error) {
        if (!SignetError.is(error)) throw error;
        return { matches: false, reason: error.message, hint: error.hint };
      }
      const rewritten = formatImageReference(remapped);
      const how = rewritten === intended ? `(${rule.prefix} is not a prefix of it, so it is not rewritten)` : `rewritten to ${JSON.stringify(rewritten)}`;
      return matchesRepoDigestOrExactly(remapped, signature)
        ? { matches: true, reason: `the signature names ${claimed}, which matches ${intended} ${how}` }
        : {
            matches: false,
            reason: `the signature names ${claimed}, but remapIdentity requires ${remapped.tag !== undefined ? `exactly ${JSON.stringify(rewritten)}` : `the repository ${repositoryName(remapped)}`} (${intended} ${how})`,
            hint: "Check the remapIdentity prefix and signedPrefix against where the image was signed.",
          };
    }
  }
}

function hintForExact(image: ImageReference, signature: ImageReference): string {
  if (repositoryName(image) !== repositoryName(signature)) {
    return "The signature was made for another repository: it may have been copied from another image. Sign this image under this name, or use remapIdentity for a mirror.";
  }
  if (signature.tag === undefined && signature.digest === undefined) {
    return 'The signature names only the repository (as cosign writes it); accept that with "signedIdentity": {"type": "matchRepository"}.';
  }
  return 'The signature is for another tag of this repository: pull the tag that was signed, or accept any tag with "signedIdentity": {"type": "matchRepository"}.';
}
