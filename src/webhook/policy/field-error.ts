/**
 * Validation problems in policy-controller's words (knative's FieldError): a message and the field paths it
 * concerns, merged and printed the way its webhook prints them, so a problem reported here reads like the one
 * `kubectl apply` shows for the same document.
 */
import type { PolicyProblem } from "./types.js";
import { appendAll } from "../../internal/arrays.js";

export type FieldPath = readonly (string | number)[];

/** `spec.authorities[0].keyless.identities` from ["spec", "authorities", 0, "keyless", "identities"]. */
export function formatFieldPath(path: FieldPath): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text === "" ? part : `.${part}`;
  }
  return text;
}

/** Collects problems for one document; each path is given as an array so a YAML position can be found for it. */
export class ProblemList {
  private readonly entries: { level: "error" | "warning"; message: string; paths: FieldPath[]; details?: string }[] = [];

  /** `missing field(s): a, b` */
  missing(...paths: FieldPath[]): void {
    this.add("missing field(s)", paths);
  }

  /** `expected exactly one, got neither: a, b` */
  missingOneOf(...paths: FieldPath[]): void {
    this.add("expected exactly one, got neither", paths);
  }

  /** `expected exactly one, got both: a, b` */
  multipleOneOf(...paths: FieldPath[]): void {
    this.add("expected exactly one, got both", paths);
  }

  /** `invalid value: VALUE: path` with details on why. */
  invalidValue(value: unknown, path: FieldPath, details?: string, level: "error" | "warning" = "error"): void {
    this.add(`invalid value: ${String(value)}`, [path], details, level);
  }

  /** `must not set the field(s): a` */
  disallowed(...paths: FieldPath[]): void {
    this.add("must not set the field(s)", paths);
  }

  /** A structural (schema) problem as the API server reports it: `path: Invalid value: "x": reason`. */
  schema(path: FieldPath, value: string, reason: string): void {
    this.entries.push({ level: "error", message: `${formatFieldPath(path)}: Invalid value: ${value}: ${reason}`, paths: [path] });
  }

  add(message: string, paths: FieldPath[], details?: string, level: "error" | "warning" = "error"): void {
    this.entries.push({ level, message, paths, ...(details === undefined ? {} : { details }) });
  }

  get hasErrors(): boolean {
    return this.entries.some((entry) => entry.level === "error");
  }

  /**
   * Problems with the same message, details and level are merged into one with all their paths, and sorted by
   * message, as knative does; `locate` gives the YAML line of a path when the caller can.
   */
  toProblems(locate: (path: FieldPath) => number | undefined = () => undefined): PolicyProblem[] {
    const merged = new Map<string, { level: "error" | "warning"; message: string; paths: FieldPath[]; details?: string }>();
    for (const entry of this.entries) {
      const key = `${entry.level}\u0000${entry.message}\u0000${entry.details ?? ""}`;
      const existing = merged.get(key);
      if (existing === undefined) merged.set(key, { ...entry, paths: [...entry.paths] });
      else appendAll(existing.paths, entry.paths);
    }
    return [...merged.values()]
      .sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0))
      .map((entry) => {
        const paths = [...new Set(entry.paths.map(formatFieldPath))].sort();
        const isSchema = entry.message.includes(": Invalid value: ");
        const text = isSchema ? entry.message : `${entry.message}: ${paths.join(", ")}`;
        const line = entry.paths.map((path) => locate(path)).find((found) => found !== undefined);
        const problem: PolicyProblem = { level: entry.level, message: entry.message, paths, text: entry.details === undefined ? text : `${text} (${entry.details})` };
        if (entry.details !== undefined) problem.details = entry.details;
        if (line !== undefined) problem.line = line;
        return problem;
      });
  }
}
