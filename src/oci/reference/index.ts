export {
  canonicalRegistry,
  familiarName,
  formatImageReference,
  isNameOnly,
  isValidTag,
  parseImageReference,
  parseNormalizedName,
  registryHost,
  repositoryName,
  toPolicyReference,
  withDigest,
  withTag,
  type ImageReference,
} from "./image-reference.js";
export { formatImageLocation, parseImageLocation, type ImageLocation } from "./transport.js";
