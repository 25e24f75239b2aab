export {
  POLICY_TRANSPORTS,
  formatConfigIssue,
  formatSourceLocation,
  parsePolicy,
  parsePolicyCollectingIssues,
  type KeySourceConfig,
  type ParsedPolicy,
  type PolicyConfigIssue,
  type PolicyRequirementConfig,
  type PolicyRequirementList,
  type PolicySemantics,
  type PolicySourceLocation,
  type SignedIdentityConfig,
} from "./config/index.js";
export { compilePolicy, type CompilePolicyOptions, type CompiledPolicy, type CompiledScope } from "./compile.js";
export { evaluatePolicy, policyIdentityOf, type EvaluatePolicyOptions } from "./evaluate.js";
export type { PolicyDecision, RequirementVerdict, ScopeVerdict, SignatureVerdict } from "./decision.js";
export type {
  GpgSignatureSet,
  KeyReader,
  PolicyFetchers,
  SigstoreSignatureSet,
  UntrustedGpgSignature,
  UntrustedSigstoreAttachment,
} from "./evaluation-context.js";
export { createPolicyFetchers, type DefaultPolicyFetchersOptions } from "./fetchers.js";
export { formatDecisionText } from "./format-decision.js";
export { createInitPolicy, type InitPolicyOptions } from "./init.js";
export { formatLintFinding, lintPassed, lintPolicy, type LintPolicyOptions, type LintSeverity, type PolicyLintFinding } from "./lint.js";
export { createLocationReader, type LocationReaderOptions } from "./locations/index.js";
export { dockerPolicyIdentity, lookupScope, pathPolicyIdentity, type PolicyImageIdentity, type ScopeMatch, type ScopeTable } from "./scopes.js";
export { matchSignedIdentity, type IdentityMatch } from "./identity/index.js";
