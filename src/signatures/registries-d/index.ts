export {
  DEFAULT_DOCKER_ORIGIN,
  defaultRegistriesDPath,
  emptyRegistriesDConfig,
  loadRegistriesD,
  mergeRegistriesDFiles,
  parseRegistriesDFile,
  type RegistriesDConfig,
  type RegistriesDFile,
  type RegistryNamespace,
} from "./registries-d.js";
export { builtinDefaultLookaside, dockerReferenceIdentity, dockerReferenceNamespaces, lookasideFor, type LookasideLocation } from "./lookaside-for.js";
