/**
 * Checks a certificate identity against an identity policy. Each rule the policy sets is enforced on its own
 * (A.6); exact values compare by equality and regexps must match the whole value (A.7); the subject is the
 * certificate's one identity SAN, of the type the exact value implies (A.8).
 */
import { SignetError } from "../../errors/index.js";
import { compileFullMatch as compileLinearFullMatch, linearRegexpProblem } from "../../internal/linear-regexp.js";
import type { CertificateIdentity, FulcioExtensions, SubjectAlternativeName } from "./certificate-identity.js";
import type { IdentityPolicy } from "./policy.js";

function policyInvalid(message: string): never {
  throw new SignetError("IDENTITY_POLICY_INVALID", message);
}

export interface CompiledIdentityPolicy {
  readonly policy: IdentityPolicy;
  readonly subjectMatches?: (value: string) => boolean;
  readonly issuerMatches?: (value: string) => boolean;
}

/** Validates the policy (a rule for subject and for issuer, or an explicit waiver) and compiles its regexps. */
export function compileIdentityPolicy(policy: IdentityPolicy): CompiledIdentityPolicy {
  if (policy.subject !== undefined && policy.subjectRegExp !== undefined) policyInvalid("give either a certificate identity or an identity regexp, not both");
  if (policy.issuer !== undefined && policy.issuerRegExp !== undefined) policyInvalid("give either an OIDC issuer or an issuer regexp, not both");
  if (policy.insecureAnyIdentity !== true) {
    if (policy.subject === undefined && policy.subjectRegExp === undefined) policyInvalid("a keyless identity policy needs a certificate identity (exact or regexp)");
    if (policy.issuer === undefined && policy.issuerRegExp === undefined) policyInvalid("a keyless identity policy needs an OIDC issuer (exact or regexp)");
  }
  for (const [name, value] of Object.entries({ subject: policy.subject, issuer: policy.issuer })) {
    if (value === "") policyInvalid(`the ${name} must not be empty`);
  }
  return {
    policy,
    ...(policy.subjectRegExp === undefined ? {} : { subjectMatches: compileFullMatch(policy.subjectRegExp, "identity") }),
    ...(policy.issuerRegExp === undefined ? {} : { issuerMatches: compileFullMatch(policy.issuerRegExp, "issuer") }),
  };
}

function compileFullMatch(pattern: string, what: string): (value: string) => boolean {
  const problem = linearRegexpProblem(pattern);
  if (problem !== undefined) policyInvalid(`the ${what} regexp ${JSON.stringify(pattern.slice(0, 200))} is not a valid RE2 expression: ${problem}`);
  return compileLinearFullMatch(pattern);
}

/** The SAN types that name a signer (DNS names and IP addresses name hosts). */
const IDENTITY_TYPES = new Set(["email", "uri", "otherName"]);

/** The SAN type an exact identity value implies: a URI, an email address, or a Fulcio username. */
function expectedType(value: string): SubjectAlternativeName["type"] {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return "uri";
  if (value.includes("@")) return "email";
  return "otherName";
}

function mismatch(message: string, identity: CertificateIdentity): never {
  throw new SignetError("CERT_IDENTITY_MISMATCH", message, {
    details: { subjects: identity.subjectAlternativeNames.map((san) => `${san.type}:${san.value}`), issuer: identity.extensions.issuer ?? null },
  });
}

/** The certificate's signer: its one identity SAN. */
export function signerSubjectOf(identity: CertificateIdentity): SubjectAlternativeName | undefined {
  const names = identity.subjectAlternativeNames.filter((san) => IDENTITY_TYPES.has(san.type));
  return names.length === 1 ? names[0] : undefined;
}

export function matchIdentity(compiled: CompiledIdentityPolicy, identity: CertificateIdentity): void {
  const { policy } = compiled;
  const names = identity.subjectAlternativeNames.filter((san) => IDENTITY_TYPES.has(san.type));
  if (policy.subject !== undefined || compiled.subjectMatches !== undefined) {
    if (names.length !== 1) mismatch(`the certificate names ${names.length} signer identities; exactly one is required`, identity);
    const san = names[0]!;
    if (policy.subject !== undefined) {
      const type = expectedType(policy.subject);
      if (san.type !== type || san.value !== policy.subject) {
        mismatch(`the certificate identity is ${san.type} ${JSON.stringify(san.value)}, not ${type} ${JSON.stringify(policy.subject)}`, identity);
      }
    } else if (!compiled.subjectMatches!(san.value)) {
      mismatch(`the certificate identity ${JSON.stringify(san.value)} does not match the regexp ${JSON.stringify(policy.subjectRegExp)}`, identity);
    }
  }
  const issuer = identity.extensions.issuer;
  if (policy.issuer !== undefined || compiled.issuerMatches !== undefined) {
    if (issuer === undefined) mismatch("the certificate has no OIDC issuer extension", identity);
    if (policy.issuer !== undefined && issuer !== policy.issuer) mismatch(`the certificate's OIDC issuer is ${JSON.stringify(issuer)}, not ${JSON.stringify(policy.issuer)}`, identity);
    if (compiled.issuerMatches !== undefined && !compiled.issuerMatches(issuer)) {
      mismatch(`the certificate's OIDC issuer ${JSON.stringify(issuer)} does not match the regexp ${JSON.stringify(policy.issuerRegExp)}`, identity);
    }
  }
  const claims: [keyof IdentityPolicy & keyof FulcioExtensions, string][] = [
    ["githubWorkflowRepository", "GitHub workflow repository"],
    ["githubWorkflowRef", "GitHub workflow ref"],
    ["githubWorkflowTrigger", "GitHub workflow trigger"],
    ["githubWorkflowSha", "GitHub workflow SHA"],
    ["githubWorkflowName", "GitHub workflow name"],
  ];
  for (const [key, label] of claims) {
    const expected = policy[key];
    if (expected === undefined) continue;
    const actual = identity.extensions[key];
    if (actual !== expected) mismatch(`the certificate's ${label} is ${actual === undefined ? "absent" : JSON.stringify(actual)}, not ${JSON.stringify(expected)}`, identity);
  }
}
