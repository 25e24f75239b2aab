export { formatConfigIssue, toPolicyConfigError, type PolicyConfigIssue } from "./config-issue.js";
export {
  JsonSyntaxError,
  describeJsonKind,
  memberOf,
  parseJsonDocument,
  toPlainJson,
  type JsonMember,
  type JsonNode,
  type JsonObjectNode,
  type JsonPosition,
} from "../../internal/json-reader.js";
export { POLICY_MAX_BYTES, parsePolicy, parsePolicyCollectingIssues, type ParsePolicyOptions, type PolicyParseResult } from "./parse-policy.js";
export { REQUIREMENT_TYPES } from "./parse-requirement.js";
export { SIGNED_IDENTITY_TYPES, isValidRemapPrefix } from "./parse-identity.js";
export {
  SIGNED_BY_KEY_TYPES,
  formatSourceLocation,
  type FulcioConfig,
  type KeySourceConfig,
  type ParsedPolicy,
  type PkiConfig,
  type PolicyRequirementConfig,
  type PolicyRequirementList,
  type PolicySourceLocation,
  type PolicyTransportScopes,
  type SignedByConfig,
  type SignedByKeyType,
  type SignedIdentityConfig,
  type SigstoreSignedConfig,
  type NotationSignedConfig,
} from "./policy-config.js";
export { POLICY_TRANSPORTS, cleanPath, dockerScopeProblem, isPolicyTransport, scopeSyntaxProblem } from "./transports.js";
