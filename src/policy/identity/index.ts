export {
  matchesExactly,
  matchesRepoDigestOrExactly,
  matchesRepository,
  referenceMatchesPrefix,
  remapReferencePrefix,
  tryParseDockerReference,
} from "./reference-match.js";
export { matchSignedIdentity, type IdentityMatch } from "./signed-identity.js";
