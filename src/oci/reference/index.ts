export {
  familiarName,
  formatImageReference,
  isNameOnly,
  isValidTag,
  parseImageReference,
  parseNormalizedName,
  registryHost,
  repositoryName,
  withDigest,
  withTag,
  type ImageReference,
} from "./image-reference.js";
export { formatImageLocation, parseImageLocation, type ImageLocation } from "./transport.js";
