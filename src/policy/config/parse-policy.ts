import { childPath, configIssue, PolicyConfigIssueError, toPolicyConfigError, type PolicyConfigIssue } from "./config-issue.js";
import { JsonSyntaxError, describeJsonKind, parseJsonDocument, type JsonNode } from "../../internal/json-reader.js";
import { ObjectReader } from "./object-reader.js";
import { parseRequirement } from "./parse-requirement.js";
import { sourceLocation, type ParsedPolicy, type PolicySemantics, type PolicyRequirementConfig, type PolicyRequirementList, type PolicyTransportScopes } from "./policy-config.js";
import { POLICY_TRANSPORTS, scopeSyntaxProblem } from "./transports.js";

/** A policy larger than this is refused before parsing (10,000 scopes fit in about 2 MiB). */
export const POLICY_MAX_BYTES = 16 * 1024 * 1024;

export interface ParsePolicyOptions {
  /** How to name the policy in messages: a file path, "kbs:///…", "<stdin>". */
  source?: string;
  /** Read it as containers/image does (default) or as image-rs, the Confidential Containers guest, does. */
  semantics?: PolicySemantics;
}

export interface PolicyParseResult {
  /** Undefined when the document is not valid JSON or not an object (nothing could be read). */
  policy: ParsedPolicy | undefined;
  issues: PolicyConfigIssue[];
}

/**
 * Parses containers-policy.json(5) strictly: unknown fields, wrong types, duplicate keys, trailing data, empty
 * requirement lists, unknown transports and scopes a transport cannot have are errors. Throws
 * POLICY_CONFIG_INVALID naming the first problem's JSON path, line and column.
 */
export function parsePolicy(input: string | Uint8Array, options: ParsePolicyOptions = {}): ParsedPolicy {
  const result = parsePolicyCollectingIssues(input, options);
  if (result.issues.length > 0 || result.policy === undefined) throw toPolicyConfigError(result.issues);
  return result.policy;
}

/**
 * Like parsePolicy, but goes on after a bad requirement or scope to report every problem (for `policy lint`).
 * JSON syntax errors still stop parsing: nothing after them can be trusted.
 */
export function parsePolicyCollectingIssues(input: string | Uint8Array, options: ParsePolicyOptions = {}): PolicyParseResult {
  const source = options.source ?? "policy.json";
  const semantics = options.semantics ?? "containers-image";
  const issues: PolicyConfigIssue[] = [];
  let document: JsonNode;
  try {
    document = parseJsonDocument(decodePolicyText(input, source));
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      issues.push({ source, path: "", line: error.position.line, column: error.position.column, message: `not valid JSON: ${error.message}` });
      return { policy: undefined, issues };
    }
    if (error instanceof PolicyConfigIssueError) return { policy: undefined, issues: [error.issue] };
    throw error;
  }
  const collect = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof PolicyConfigIssueError) {
        issues.push(error.issue);
        return undefined;
      }
      throw error;
    }
  };

  const root = collect(() => new ObjectReader(source, "", document, "the policy"));
  if (root === undefined) return { policy: undefined, issues };
  collect(() => root.allowOnly(["default", "transports"], "the policy"));

  const defaultMember = root.member("default");
  let defaultRequirements: PolicyRequirementList | undefined;
  if (defaultMember === undefined) {
    issues.push({ source, path: "", line: document.position.line, column: document.position.column, message: 'the policy needs a "default" list of requirements (e.g. [{"type": "reject"}])' });
  } else {
    defaultRequirements = parseRequirementList(source, "default", defaultMember.value, undefined, undefined, sourceLocation(source, "default", defaultMember.keyPosition), collect, semantics);
  }

  const transports = new Map<string, PolicyTransportScopes>();
  const transportsMember = root.member("transports");
  if (transportsMember === undefined && semantics === "image-rs") {
    // image-rs's Policy struct has no serde default for `transports`: the guest refuses such a file (InvalidPolicyFile).
    issues.push({ source, path: "", line: document.position.line, column: document.position.column, message: 'image-rs needs a "transports" object (it refuses a policy without one); write "transports": {} at least' });
  }
  if (transportsMember !== undefined) {
    const transportsReader = collect(() => new ObjectReader(source, "transports", transportsMember.value, '"transports"'));
    for (const member of transportsReader?.node.members ?? []) {
      const transportPath = childPath("transports", member.key);
      if (!POLICY_TRANSPORTS.has(member.key)) {
        issues.push({
          source,
          path: transportPath,
          line: member.keyPosition.line,
          column: member.keyPosition.column,
          message: `unknown transport ${JSON.stringify(member.key)}; known transports: ${[...POLICY_TRANSPORTS.keys()].join(", ")}`,
        });
        continue;
      }
      const scopesReader = collect(() => new ObjectReader(source, transportPath, member.value, `the scopes of transport ${member.key}`));
      if (scopesReader === undefined) continue;
      const scopes = new Map<string, PolicyRequirementList>();
      for (const scopeMember of scopesReader.node.members) {
        const scopePath = childPath(transportPath, scopeMember.key);
        const problem = scopeSyntaxProblem(member.key, scopeMember.key);
        if (problem !== undefined) {
          issues.push({ source, path: scopePath, line: scopeMember.keyPosition.line, column: scopeMember.keyPosition.column, message: problem });
          continue;
        }
        const list = parseRequirementList(source, scopePath, scopeMember.value, member.key, scopeMember.key, sourceLocation(source, scopePath, scopeMember.keyPosition), collect, semantics);
        if (list !== undefined) scopes.set(scopeMember.key, list);
      }
      transports.set(member.key, { transport: member.key, location: sourceLocation(source, transportPath, member.keyPosition), scopes });
    }
  }

  if (defaultRequirements === undefined) return { policy: undefined, issues };
  return { policy: { source, semantics, defaultRequirements, transports }, issues };
}

function parseRequirementList(
  source: string,
  path: string,
  node: JsonNode,
  transport: string | undefined,
  scope: string | undefined,
  location: ReturnType<typeof sourceLocation>,
  collect: <T>(parse: () => T) => T | undefined,
  semantics: PolicySemantics,
): PolicyRequirementList | undefined {
  if (node.kind !== "array") {
    collect(() => {
      throw configIssue(source, path, node.position, `expected a list of requirements (a JSON array), found ${describeJsonKind(node)}`);
    });
    return undefined;
  }
  // image-rs: an empty list parses, and check_image_signature allows the image ("no policy covers the image").
  if (node.items.length === 0 && semantics === "containers-image") {
    collect(() => {
      throw configIssue(source, path, node.position, 'the list of requirements must not be empty (write [{"type": "reject"}] or [{"type": "insecureAcceptAnything"}])');
    });
    return undefined;
  }
  const requirements: PolicyRequirementConfig[] = [];
  let complete = true;
  node.items.forEach((item, index) => {
    const requirement = collect(() => parseRequirement(source, childPath(path, index), item, semantics));
    if (requirement === undefined) complete = false;
    else requirements.push(requirement);
  });
  // A list with a bad requirement is dropped whole: using the rest would weaken what the author wrote.
  return complete ? { transport, scope, location, requirements } : undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function decodePolicyText(input: string | Uint8Array, source: string): string {
  const size = typeof input === "string" ? input.length : input.byteLength;
  if (size > POLICY_MAX_BYTES) {
    throw new PolicyConfigIssueError({ source, path: "", line: 1, column: 1, message: `the policy is ${size} bytes; at most ${POLICY_MAX_BYTES} are accepted` });
  }
  if (typeof input === "string") return input;
  try {
    return utf8.decode(input);
  } catch {
    throw new PolicyConfigIssueError({ source, path: "", line: 1, column: 1, message: "the policy is not valid UTF-8 text" });
  }
}
