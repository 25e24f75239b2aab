import { SignetError } from "../../errors/index.js";
import type { JsonPosition } from "../../internal/json-reader.js";

/** One problem found in a policy file: what is wrong, at which JSON path, at which line and column. */
export interface PolicyConfigIssue {
  readonly source: string;
  /** JSON path, e.g. `transports.docker["example.com"][0].keyPath`; "" for the document itself. */
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Thrown inside the parser for one issue; the parser turns it into a SignetError or a lint finding. */
export class PolicyConfigIssueError extends Error {
  readonly issue: PolicyConfigIssue;

  constructor(issue: PolicyConfigIssue) {
    super(issue.message);
    this.name = "PolicyConfigIssueError";
    this.issue = issue;
  }
}

export function configIssue(source: string, path: string, position: JsonPosition, message: string): PolicyConfigIssueError {
  return new PolicyConfigIssueError({ source, path, line: position.line, column: position.column, message });
}

/** "policy.json:12:7: transports.docker[\"x\"][0]: unknown field \"keyPth\"" — one line naming the place. */
export function formatConfigIssue(issue: PolicyConfigIssue): string {
  const where = issue.path === "" ? "" : `${issue.path}: `;
  return `${issue.source}:${issue.line}:${issue.column}: ${where}${issue.message}`;
}

/** The error a caller sees: POLICY_CONFIG_INVALID for the first issue, every issue in details. */
export function toPolicyConfigError(issues: readonly PolicyConfigIssue[]): SignetError {
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length === 2 ? "" : "s"}; \`signet policy lint\` lists them)` : "";
  return new SignetError("POLICY_CONFIG_INVALID", `invalid policy ${formatConfigIssue(first)}${more}`, {
    details: { source: first.source, path: first.path, line: first.line, column: first.column, issues },
  });
}

/** Appends a member name to a JSON path: `a.b`, `a["example.com/x"]`, `a[0]`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) return path === "" ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}
