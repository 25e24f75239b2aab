export { compileClusterImagePolicies, DEFAULT_SYSTEM_NAMESPACE } from "./compile.js";
export { formatFieldPath, type FieldPath } from "./field-error.js";
export { compileImageGlob, globProblem, imageMatchCandidates, matchesImageGlob } from "./glob.js";
export { kmsProblem, KMS_PROVIDERS } from "./kms.js";
export {
  checkClusterImagePolicyFiles,
  checkClusterImagePolicyText,
  formatPolicyProblem,
  loadClusterImagePolicies,
  parseClusterImagePolicies,
  POLICY_DOCUMENTS_MAX,
  POLICY_FILE_MAX_BYTES,
  type CheckPolicyFilesOptions,
  type LoadPoliciesOptions,
} from "./load.js";
export { findMatchingPolicies, matchesLabelSelector, policyAppliesToResource } from "./match.js";
export { DEFAULT_FULCIO_URL, MATCHABLE_RESOURCES, validateClusterImagePolicy, type ValidationResult } from "./validate.js";
export type {
  AuthorityConfig,
  ClusterImagePolicy,
  ClusterImagePolicySpec,
  CompiledAttestation,
  CompiledAuthority,
  CompiledIdentity,
  CompiledImagePolicy,
  CompiledMatchResource,
  CompiledPolicySet,
  CompilePoliciesOptions,
  IdentityConfig,
  ImageGlob,
  KeylessTrust,
  LoadedClusterImagePolicy,
  PolicyDocumentReport,
  PolicyMode,
  PolicyProblem,
  PolicySource,
  ResourceContext,
  SecretReader,
  ValidatePolicyOptions,
} from "./types.js";
