/**
 * Turns a parsed policy into one ready to evaluate many images: every key is read and parsed once, up front.
 * A key that cannot be read does not fail the compilation; the requirements that need it reject (fail closed)
 * with the reason, so one broken scope does not take the whole policy down.
 */
import type { ParsedPolicy, PolicyRequirementConfig, PolicyRequirementList, PolicySemantics } from "./config/index.js";
import type { KeyReader } from "./evaluation-context.js";
import { KeyLoader } from "./key-material.js";
import {
  compileDockerContentTrust,
  compileInsecureAcceptAnything,
  compileReject,
  compileSignedBaseLayer,
  compileSignedBy,
  compileSigstoreSigned,
  compileSignetThreshold,
  compileNotationSigned,
  type CompiledRequirement,
} from "./requirements/index.js";
import { SignetError } from "../errors/index.js";
import { canonicalScope, type ScopeTable } from "./scopes.js";

export interface CompiledScope {
  readonly list: PolicyRequirementList;
  readonly requirements: readonly CompiledRequirement[];
}

export interface CompiledPolicy extends ScopeTable<CompiledScope> {
  readonly source: string;
  readonly parsed: ParsedPolicy;
}

export interface CompilePolicyOptions {
  /** Reads a key location (file path, kbs://, k8s://); see createKeyReader. */
  readKey: KeyReader;
}

export async function compilePolicy(parsed: ParsedPolicy, options: CompilePolicyOptions): Promise<CompiledPolicy> {
  const loader = new KeyLoader(options.readKey);
  const compileList = async (list: PolicyRequirementList): Promise<CompiledScope> => ({
    list,
    requirements: await Promise.all(list.requirements.map((requirement) => compileRequirement(requirement, loader, parsed.semantics))),
  });
  const transports = new Map<string, Map<string, CompiledScope>>();
  const pending: Promise<void>[] = [];
  for (const [transport, scopes] of parsed.transports) {
    const compiled = new Map<string, CompiledScope>();
    transports.set(transport, compiled);
    for (const [scope, list] of scopes.scopes) {
      pending.push(compileList(list).then((entry) => void compiled.set(scope, entry)));
    }
  }
  const defaultEntry = await compileList(parsed.defaultRequirements);
  await Promise.all(pending);
  // Map insertion order above follows completion; rebuild so iteration follows the file (lint and output rely on it).
  // Scopes are keyed by their canonical spelling (canonicalScope), as images are looked up by theirs.
  const ordered = new Map<string, ReadonlyMap<string, CompiledScope>>();
  for (const [transport, scopes] of parsed.transports) {
    const compiled = transports.get(transport)!;
    const byCanonical = new Map<string, CompiledScope>();
    for (const scope of scopes.scopes.keys()) {
      const key = canonicalScope(transport, scope);
      const other = byCanonical.get(key);
      if (other !== undefined) {
        throw new SignetError("POLICY_CONFIG_INVALID", `${parsed.source}: scopes ${JSON.stringify(other.list.scope)} and ${JSON.stringify(scope)} of transport ${transport} name the same images (${JSON.stringify(key)})`, {
          hint: "Registry hosts are matched case-insensitively, without :443 or :80, and index.docker.io / registry-1.docker.io are docker.io: keep one of the two scopes.",
          details: { transport, scopes: [other.list.scope, scope], canonical: key },
        });
      }
      byCanonical.set(key, compiled.get(scope)!);
    }
    ordered.set(transport, byCanonical);
  }
  return { source: parsed.source, parsed, defaultEntry, transports: ordered };
}

function compileRequirement(config: PolicyRequirementConfig, loader: KeyLoader, semantics: PolicySemantics): Promise<CompiledRequirement> {
  switch (config.type) {
    case "insecureAcceptAnything":
      return Promise.resolve(compileInsecureAcceptAnything(config));
    case "reject":
      return Promise.resolve(compileReject(config));
    case "signedBaseLayer":
      return Promise.resolve(compileSignedBaseLayer(config));
    case "signedBy":
      return compileSignedBy(config, loader);
    case "sigstoreSigned":
      return compileSigstoreSigned(config, loader, semantics);
    case "signetThreshold":
      return compileSignetThreshold(config, loader);
    case "signetDockerContentTrust":
      return Promise.resolve(compileDockerContentTrust(config));
    case "notationSigned":
      return compileNotationSigned(config, loader);
  }
}
