/**
 * Notation's OCI trust policy (trustpolicy.json / trustpolicy.oci.json, version 1.0): parsed and validated as
 * the Notary Project specification and notation's CLI do, with notation's messages, and the statement that
 * applies to a repository chosen (an exact registry scope first, then the wildcard `*`).
 */
import { SignetError } from "../../errors/index.js";
import { isRecord } from "../../internal/strict-json.js";
import { DOMAIN_NAME, IPV6_HOST, PATH_COMPONENT, PORT } from "../../oci/reference/grammar.js";
import { DistinguishedNameError, parseTrustedIdentityName, sameName, type DistinguishedName } from "./distinguished-name.js";

export type VerificationLevel = "strict" | "permissive" | "audit" | "skip";
export type CheckName = "integrity" | "authenticity" | "authenticTimestamp" | "expiry" | "revocation";
export type CheckAction = "enforce" | "log" | "skip";
export type TrustStoreType = "ca" | "signingAuthority" | "tsa";

export interface TrustStoreName {
  readonly type: TrustStoreType;
  readonly name: string;
}

export interface TrustPolicyStatement {
  readonly name: string;
  /** Blob policies: the statement used when `--policy-name` is not given. */
  readonly globalPolicy?: boolean;
  readonly registryScopes: readonly string[];
  readonly level: VerificationLevel;
  /** What each check does, after the level's defaults and the statement's overrides. */
  readonly actions: Readonly<Record<CheckName, CheckAction>>;
  readonly verifyTimestamp: "always" | "afterCertExpiry";
  readonly trustStores: readonly TrustStoreName[];
  /** `"*"` for any identity, else the parsed `x509.subject` names. */
  readonly trustedIdentities: "*" | readonly DistinguishedName[];
}

export interface TrustPolicyDocument {
  readonly version: "1.0";
  readonly statements: readonly TrustPolicyStatement[];
}

/** The specification's table: what each level does with each check. */
const LEVELS: Readonly<Record<VerificationLevel, Readonly<Record<CheckName, CheckAction>>>> = {
  strict: { integrity: "enforce", authenticity: "enforce", authenticTimestamp: "enforce", expiry: "enforce", revocation: "enforce" },
  permissive: { integrity: "enforce", authenticity: "enforce", authenticTimestamp: "log", expiry: "log", revocation: "log" },
  audit: { integrity: "enforce", authenticity: "log", authenticTimestamp: "log", expiry: "log", revocation: "log" },
  skip: { integrity: "skip", authenticity: "skip", authenticTimestamp: "skip", expiry: "skip", revocation: "skip" },
};
const CHECKS: readonly CheckName[] = ["integrity", "authenticity", "authenticTimestamp", "expiry", "revocation"];
const ACTIONS: readonly CheckAction[] = ["enforce", "log", "skip"];
const STORE_TYPES: readonly TrustStoreType[] = ["ca", "signingAuthority", "tsa"];
const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;

/** `registry[:port]/path`, as notation's reference parser reads a scope: no scheme, tag or digest. */
function isRepositoryScope(scope: string): boolean {
  const [registry, ...path] = scope.split("/");
  if (registry === undefined || path.length === 0 || !path.every((component) => PATH_COMPONENT.test(component))) return false;
  const colon = registry.startsWith("[") ? registry.indexOf(":", registry.indexOf("]")) : registry.lastIndexOf(":");
  const host = colon < 0 ? registry : registry.slice(0, colon);
  if (colon >= 0 && !PORT.test(registry.slice(colon + 1))) return false;
  return DOMAIN_NAME.test(host) || IPV6_HOST.test(host);
}

function invalid(message: string): never {
  throw new SignetError("NOTATION_POLICY_INVALID", message);
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === "string")) invalid(`${what} must be a list of strings`);
  return value;
}

function parseStatement(value: unknown, index: number, kind: "oci" | "blob"): TrustPolicyStatement {
  if (!isRecord(value)) invalid(`trust policy statement ${index} is not an object`);
  const name = value["name"];
  if (typeof name !== "string" || name.trim() === "") invalid("a trust policy statement is missing a name, every statement requires a name");
  const fields = kind === "oci" ? ["name", "registryScopes", "signatureVerification", "trustStores", "trustedIdentities"] : ["name", "globalPolicy", "signatureVerification", "trustStores", "trustedIdentities"];
  for (const key of Object.keys(value)) {
    if (!fields.includes(key)) invalid(`trust policy statement "${name}" has an unknown field "${key}"`);
  }
  const globalPolicy = value["globalPolicy"];
  if (globalPolicy !== undefined && typeof globalPolicy !== "boolean") invalid(`globalPolicy of trust policy statement "${name}" must be true or false`);
  const scopes = kind === "blob" ? [] : stringList(value["registryScopes"], `the registry scopes of trust policy statement "${name}"`);
  if (kind === "oci" && scopes.length === 0) invalid(`trust policy statement "${name}" has zero registry scopes, it must specify registry scopes with at least one value`);
  if (scopes.includes("*") && scopes.length > 1) invalid(`trust policy statement "${name}" uses wildcard registry scope '*', a wildcard scope cannot be used in conjunction with other scope values`);
  for (const scope of scopes) {
    if (scope !== "*" && !isRepositoryScope(scope)) {
      invalid(`registry scope "${scope}" is not valid, make sure it is a fully qualified repository without the scheme, protocol or tag. For example domain.com/my/repository or a local scoped repository such as local/myOCILayout`);
    }
  }

  const verification = value["signatureVerification"];
  if (!isRecord(verification)) invalid(`trust policy statement "${name}" is missing signatureVerification`);
  const level = verification["level"];
  if (typeof level !== "string" || !(level in LEVELS)) invalid(`trust policy statement "${name}" uses invalid signatureVerification value "${String(level)}"`);
  const actions: Record<CheckName, CheckAction> = { ...LEVELS[level as VerificationLevel] };
  const override = verification["override"];
  if (override !== undefined) {
    if (!isRecord(override)) invalid(`the override of trust policy statement "${name}" must be an object`);
    if (level === "skip") invalid(`trust policy statement "${name}" uses verification level "skip", which cannot be overridden`);
    for (const [check, action] of Object.entries(override)) {
      if (!CHECKS.includes(check as CheckName)) invalid(`trust policy statement "${name}" has invalid signatureVerification: verification type "${check}" is not valid`);
      if (!ACTIONS.includes(action as CheckAction)) invalid(`trust policy statement "${name}" has invalid signatureVerification: verification action "${String(action)}" is not valid`);
      if (check === "integrity") invalid(`trust policy statement "${name}" has invalid signatureVerification: "integrity" verification can not be overridden in custom signature verification`);
      if (check === "authenticity" && action === "skip") invalid(`trust policy statement "${name}" has invalid signatureVerification: "authenticity" verification can not have "skip" action`);
      actions[check as CheckName] = action as CheckAction;
    }
  }
  const verifyTimestamp = verification["verifyTimestamp"] ?? "always";
  if (verifyTimestamp !== "always" && verifyTimestamp !== "afterCertExpiry") invalid(`trust policy statement "${name}" has invalid verifyTimestamp "${String(verifyTimestamp)}", it must be "always" or "afterCertExpiry"`);

  const stores = stringList(value["trustStores"], `the trust stores of trust policy statement "${name}"`);
  const identities = stringList(value["trustedIdentities"], `the trusted identities of trust policy statement "${name}"`);
  if (level === "skip") {
    if (stores.length > 0 || identities.length > 0) invalid(`trust policy statement "${name}" is set to skip signature verification but configured with trust stores and/or trusted identities, remove them as they are not needed`);
    return { name, ...(globalPolicy === true ? { globalPolicy } : {}), registryScopes: scopes, level, actions, verifyTimestamp, trustStores: [], trustedIdentities: [] };
  }
  if (stores.length === 0 || identities.length === 0) invalid(`trust policy statement "${name}" is either missing trust stores or trusted identities, both must be specified`);
  const trustStores = stores.map((store): TrustStoreName => {
    const colon = store.indexOf(":");
    if (colon < 0) invalid(`trust policy statement "${name}" has malformed trust store value "${store}". The required format is <TrustStoreType>:<TrustStoreName>`);
    const type = store.slice(0, colon);
    const storeName = store.slice(colon + 1);
    if (!STORE_TYPES.includes(type as TrustStoreType)) invalid(`trust policy statement "${name}" uses an unsupported trust store type "${type}" in trust store value "${store}"`);
    if (!STORE_NAME.test(storeName)) invalid(`trust policy statement "${name}" uses an unsupported trust store name "${storeName}" in trust store value "${store}". Named store name needs to follow [a-zA-Z0-9_.-]+ format`);
    return { type: type as TrustStoreType, name: storeName };
  });
  return { name, ...(globalPolicy === true ? { globalPolicy } : {}), registryScopes: scopes, level: level as VerificationLevel, actions, verifyTimestamp, trustStores, trustedIdentities: parseIdentities(name, identities) };
}

function parseIdentities(statement: string, identities: readonly string[]): "*" | DistinguishedName[] {
  if (identities.includes("*")) {
    if (identities.length > 1) invalid(`trust policy statement "${statement}" uses a wildcard trusted identity '*', a wildcard identity cannot be used in conjunction with other values`);
    return "*";
  }
  const names: DistinguishedName[] = [];
  for (const identity of identities) {
    if (identity.trim() === "") invalid(`trust policy statement "${statement}" has an empty trusted identity`);
    const colon = identity.indexOf(":");
    if (colon < 0) invalid(`trust policy statement "${statement}" has trusted identity "${identity}" missing separator`);
    const prefix = identity.slice(0, colon).trim();
    const value = identity.slice(colon + 1).trim();
    if (prefix !== "x509.subject") invalid(`trust policy statement "${statement}" uses an unsupported trusted identity type "${prefix}" (only x509.subject is defined)`);
    if (value === "") invalid(`trust policy statement "${statement}" has trusted identity "${identity}" without an identity value`);
    try {
      names.push(parseTrustedIdentityName(value));
    } catch (error) {
      if (error instanceof DistinguishedNameError) invalid(`trust policy statement "${statement}" has trusted identity "${identity}" with invalid identity value: ${error.message}`);
      throw error;
    }
  }
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      if (sameName(names[i]!, names[j]!)) invalid(`trust policy statement "${statement}" has overlapping x509 trustedIdentities, "${identities[i]}" overlaps with "${identities[j]}"`);
    }
  }
  return names;
}

/** Parses and validates a trust policy document (already decoded JSON). */
export function parseTrustPolicy(document: unknown): TrustPolicyDocument {
  if (!isRecord(document)) invalid("the trust policy is not a JSON object");
  if (document["version"] !== "1.0") invalid(`trust policy document uses unsupported version "${String(document["version"])}"`);
  const list = document["trustPolicies"];
  if (!Array.isArray(list) || list.length === 0) invalid("trust policy document can not have zero trust policy statements");
  const statements = list.map((statement, index) => parseStatement(statement, index, "oci"));
  const names = new Set<string>();
  const scopes = new Map<string, string>();
  for (const statement of statements) {
    if (names.has(statement.name)) invalid(`multiple oci trust policy statements use the same name "${statement.name}", statement names must be unique`);
    names.add(statement.name);
    for (const scope of statement.registryScopes) {
      if (scopes.has(scope)) invalid(`registry scope "${scope}" is present in multiple oci trust policy statements, one registry scope value can only be associated with one statement`);
      scopes.set(scope, statement.name);
    }
  }
  return { version: "1.0", statements };
}

/** A blob trust policy (trustpolicy.blob.json): no registry scopes; at most one statement is the global one. */
export function parseBlobTrustPolicy(document: unknown): TrustPolicyDocument {
  if (!isRecord(document)) invalid("the blob trust policy is not a JSON object");
  if (document["version"] !== "1.0") invalid(`trust policy document uses unsupported version "${String(document["version"])}"`);
  const list = document["trustPolicies"];
  if (!Array.isArray(list) || list.length === 0) invalid("trust policy document can not have zero trust policy statements");
  const statements = list.map((statement, index) => parseStatement(statement, index, "blob"));
  const names = new Set<string>();
  for (const statement of statements) {
    if (names.has(statement.name)) invalid(`multiple blob trust policy statements use the same name "${statement.name}", statement names must be unique`);
    names.add(statement.name);
  }
  if (statements.filter((statement) => statement.globalPolicy === true).length > 1) invalid("multiple blob trust policy statements have globalPolicy set to true, only one global policy is allowed");
  return { version: "1.0", statements };
}

/** The blob statement: the named one, else the global one. */
export function blobStatement(policy: TrustPolicyDocument, name: string | undefined): TrustPolicyStatement {
  const statement = name === undefined ? policy.statements.find((candidate) => candidate.globalPolicy === true) : policy.statements.find((candidate) => candidate.name === name);
  if (statement !== undefined) return statement;
  throw new SignetError("NOTATION_NO_APPLICABLE_POLICY", name === undefined ? "the blob trust policy has no global statement: pass --policy-name" : `the blob trust policy has no statement named "${name}" (statements: ${policy.statements.map((s) => s.name).join(", ")})`);
}

/**
 * The statement for a repository (`registry/path`, no tag): the one that names it, else the wildcard one.
 * Without either, the error names the scope looked for and the scopes that exist (notation says only that
 * there is "no applicable trust policy").
 */
export function applicableStatement(policy: TrustPolicyDocument, repository: string): TrustPolicyStatement {
  const exact = policy.statements.find((statement) => statement.registryScopes.includes(repository));
  if (exact !== undefined) return exact;
  const wildcard = policy.statements.find((statement) => statement.registryScopes.includes("*"));
  if (wildcard !== undefined) return wildcard;
  const known = policy.statements.flatMap((statement) => statement.registryScopes);
  throw new SignetError("NOTATION_NO_APPLICABLE_POLICY", `artifact "${repository}" has no applicable oci trust policy statement: no statement has the registry scope "${repository}" or "*" (scopes in the policy: ${known.join(", ")})`, {
    details: { scope: repository, scopes: known },
  });
}
