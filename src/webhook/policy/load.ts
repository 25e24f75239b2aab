/**
 * Reads ClusterImagePolicy documents from YAML text, files and folders (multi-document files welcome), and
 * reports every problem with its file, document, field path and line. A `kind: List` (kubectl's output) is
 * read item by item. Documents of other kinds (a TrustRoot, a Deployment in the same folder) are skipped with
 * a warning; anything that says it is a ClusterImagePolicy must be a valid one.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { LineCounter, parseAllDocuments, type Document } from "yaml";
import { SignetError } from "../../errors/index.js";
import type { FieldPath } from "./field-error.js";
import type { LoadedClusterImagePolicy, PolicyDocumentReport, PolicyProblem, PolicySource, ValidatePolicyOptions } from "./types.js";
import { validateClusterImagePolicy } from "./validate.js";
import { appendAll } from "../../internal/arrays.js";

export const POLICY_FILE_MAX_BYTES = 4 * 1024 * 1024;
export const POLICY_DOCUMENTS_MAX = 10_000;
const POLICY_EXTENSIONS: ReadonlySet<string> = new Set([".yaml", ".yml", ".json"]);

export interface LoadPoliciesOptions extends ValidatePolicyOptions {
  file?: string;
}

/** Checks every document of a YAML text; never throws for bad content. */
export function checkClusterImagePolicyText(text: string, options: LoadPoliciesOptions = {}): PolicyDocumentReport[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const reports: PolicyDocumentReport[] = [];
  const sourceOf = (document: number) => (options.file === undefined ? { document } : { file: options.file, document });
  if (!Array.isArray(documents)) {
    // An empty stream (only comments) parses to an empty-stream marker: no documents.
    return reports;
  }
  if (documents.length > POLICY_DOCUMENTS_MAX) {
    return [{ source: sourceOf(0), name: undefined, kind: undefined, problems: [problem("error", `the file holds ${documents.length} documents; at most ${POLICY_DOCUMENTS_MAX} are read`)] }];
  }
  documents.forEach((document, index) => {
    const source = sourceOf(index);
    if (document.errors.length > 0) {
      const problems = document.errors.map((error) => problem("error", `YAML: ${error.message.split("\n")[0]}`, lineCounter.linePos(error.pos[0]).line));
      reports.push({ source, name: undefined, kind: undefined, problems });
      return;
    }
    let untrusted: unknown;
    try {
      untrusted = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      reports.push({ source, name: undefined, kind: undefined, problems: [problem("error", `YAML: ${(error as Error).message}`)] });
      return;
    }
    if (untrusted === null || untrusted === undefined) return; // an empty document ("---" alone)
    const documentLine = document.contents?.range === undefined ? undefined : lineCounter.linePos(document.contents.range[0]).line;
    if (isListKind(untrusted)) {
      appendAll(reports, checkList(untrusted, source, documentLine, (path) => lineOf(document, lineCounter, path), options));
      return;
    }
    reports.push(checkObject(untrusted, source, documentLine, (path) => lineOf(document, lineCounter, path), options));
  });
  return withDuplicateNames(reports);
}

/**
 * One object of a document (or of a List's items): a ClusterImagePolicy is validated, anything else is
 * skipped with a warning that names it (never dropped without a word).
 */
function checkObject(untrusted: unknown, source: PolicySource, line: number | undefined, lineOfPath: (path: FieldPath) => number | undefined, options: LoadPoliciesOptions): PolicyDocumentReport {
  const { kind, name, apiVersion } = headerOf(untrusted);
  if (!claimsToBeClusterImagePolicy(kind, apiVersion)) {
    return { source, name, kind, problems: [problem("warning", `skipped: ${kind ?? "a document without kind"} is not a ClusterImagePolicy`, line)] };
  }
  const result = validateClusterImagePolicy(untrusted, options, lineOfPath);
  return { source, name, kind, problems: result.problems, ...(result.policy === undefined ? {} : { policy: result.policy }) };
}

/**
 * `kind: List` (what `kubectl get clusterimagepolicies -o yaml` writes) and typed lists such as
 * `ClusterImagePolicyList`: each item is read as if it were a document of its own (security: a policy in a
 * List must never be skipped). A List inside a List, or `items` that is not a list, is an error.
 */
function checkList(untrusted: Record<string, unknown>, source: PolicySource, line: number | undefined, lineOfPath: (path: FieldPath) => number | undefined, options: LoadPoliciesOptions): PolicyDocumentReport[] {
  const kind = untrusted["kind"] as string;
  const items = untrusted["items"];
  if (!Array.isArray(items)) {
    return [{ source, name: undefined, kind, problems: [problem("error", `${kind}: items must be a list of objects (as \`kubectl get ... -o yaml\` writes it)`, lineOfPath(["items"]) ?? line)] }];
  }
  if (items.length === 0) return [{ source, name: undefined, kind, problems: [problem("warning", `${kind} has no items: no ClusterImagePolicy in it`, line)] }];
  if (items.length > POLICY_DOCUMENTS_MAX) {
    return [{ source, name: undefined, kind, problems: [problem("error", `${kind} holds ${items.length} items; at most ${POLICY_DOCUMENTS_MAX} are read`, line)] }];
  }
  return items.map((item: unknown, index) => {
    const itemSource: PolicySource = { ...source, item: index };
    const itemLineOf = (path: FieldPath) => lineOfPath(["items", index, ...path]);
    if (isListKind(item)) {
      const { name } = headerOf(item);
      return { source: itemSource, name, kind: item["kind"] as string, problems: [problem("error", "a List inside a List is not read: flatten it into one list of ClusterImagePolicy items", itemLineOf([]))] };
    }
    return checkObject(item, itemSource, itemLineOf([]), itemLineOf, options);
  });
}

/** `kind: List` or `kind: <Something>List` with `items`: a Kubernetes list of objects. */
function isListKind(untrusted: unknown): untrusted is Record<string, unknown> {
  if (typeof untrusted !== "object" || untrusted === null || Array.isArray(untrusted)) return false;
  const kind = (untrusted as Record<string, unknown>)["kind"];
  return typeof kind === "string" && (kind === "List" || (kind.endsWith("List") && "items" in untrusted));
}

/** Reads files, and the .yaml/.yml/.json files of folders (sorted by name, not recursive), and checks each. */
export interface CheckPolicyFilesOptions extends ValidatePolicyOptions {
  /**
   * Two files defining the same policy name: an error when they are loaded together (the default, what the
   * webhook does), or a warning when each file is checked as something applied on its own (`kubectl apply`
   * replaces a policy of the same name). Within one file a repeated name is always an error.
   */
  duplicateNamesAcrossFiles?: "error" | "warning";
}

export async function checkClusterImagePolicyFiles(paths: readonly string[], options: CheckPolicyFilesOptions = {}): Promise<PolicyDocumentReport[]> {
  const reports: PolicyDocumentReport[] = [];
  for (const file of await expandPolicyPaths(paths)) {
    let text: string;
    try {
      text = await readPolicyFile(file);
    } catch (error) {
      const message = SignetError.is(error) ? error.message : (error as Error).message;
      reports.push({ source: { file, document: 0 }, name: undefined, kind: undefined, problems: [problem("error", message)] });
      continue;
    }
    appendAll(reports, checkClusterImagePolicyText(text, { ...options, file }));
  }
  return withDuplicateNames(reports, options.duplicateNamesAcrossFiles ?? "error");
}

/**
 * Loads the policies of files and folders; throws CLUSTER_IMAGE_POLICY_INVALID naming the first problem (all
 * problems are in `details.problems`) when any document is invalid. Use at start-up: nothing loads half.
 */
export async function loadClusterImagePolicies(paths: readonly string[], options: ValidatePolicyOptions & { onWarning?: (text: string) => void } = {}): Promise<LoadedClusterImagePolicy[]> {
  const { onWarning, ...validateOptions } = options;
  const reports = await checkClusterImagePolicyFiles(paths, validateOptions);
  const policies = policiesOrThrow(reports);
  // Warnings (a skipped document of another kind, an empty List) are told, so nothing is dropped silently.
  for (const report of reports) for (const item of report.problems) if (item.level === "warning") onWarning?.(formatPolicyProblem(report, item));
  return policies;
}

/** Parses a YAML text of policies; throws CLUSTER_IMAGE_POLICY_INVALID when any document is invalid. */
export function parseClusterImagePolicies(text: string, options: LoadPoliciesOptions = {}): LoadedClusterImagePolicy[] {
  return policiesOrThrow(checkClusterImagePolicyText(text, options));
}

/** `FILE (document 2, line 14): missing field(s): spec.images` */
export function formatPolicyProblem(report: Pick<PolicyDocumentReport, "source" | "name">, item: PolicyProblem): string {
  const where = [report.source.file ?? "<text>", `document ${report.source.document + 1}`];
  if (report.source.item !== undefined) where.push(`item ${report.source.item + 1}`);
  if (item.line !== undefined) where.push(`line ${item.line}`);
  const name = report.name === undefined ? "" : ` ClusterImagePolicy ${JSON.stringify(report.name)}:`;
  return `${where[0]} (${where.slice(1).join(", ")}):${name} ${item.level === "warning" ? "warning: " : ""}${item.text}`;
}

function policiesOrThrow(reports: PolicyDocumentReport[]): LoadedClusterImagePolicy[] {
  const errors = reports.flatMap((report) => report.problems.filter((p) => p.level === "error").map((p) => ({ report, problem: p })));
  if (errors.length > 0) {
    const first = errors[0]!;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length === 2 ? "" : "s"})` : "";
    throw new SignetError("CLUSTER_IMAGE_POLICY_INVALID", `invalid ClusterImagePolicy: ${formatPolicyProblem(first.report, first.problem)}${more}`, {
      details: { problems: errors.map(({ report, problem: p }) => formatPolicyProblem(report, p)) },
    });
  }
  return reports.flatMap((report) => (report.policy === undefined ? [] : [{ policy: report.policy, source: report.source }]));
}

/** Cluster-scoped names are unique: a second policy of the same name is an error (one would shadow the other). */
function withDuplicateNames(reports: PolicyDocumentReport[], acrossFiles: "error" | "warning" = "error"): PolicyDocumentReport[] {
  const seen = new Map<string, PolicyDocumentReport>();
  for (const report of reports) {
    if (report.policy === undefined) continue;
    const name = report.policy.metadata.name;
    const first = seen.get(name);
    if (first === undefined) {
      seen.set(name, report);
      continue;
    }
    const where = `${first.source.file ?? "<text>"} document ${first.source.document + 1}${first.source.item === undefined ? "" : ` item ${first.source.item + 1}`}`;
    const level = first.source.file !== report.source.file && acrossFiles === "warning" ? "warning" : "error";
    const consequence = level === "warning" ? "; loaded together, the webhook refuses them" : "";
    report.problems.push(problem(level, `invalid value: ${name}: metadata.name (another ClusterImagePolicy of this name is in ${where}${consequence})`));
    if (level === "error") delete report.policy;
  }
  return reports;
}

async function expandPolicyPaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      files.push(path); // reported by readPolicyFile with the reason
      continue;
    }
    if (!info.isDirectory()) {
      files.push(path);
      continue;
    }
    const names = (await readdir(path)).filter((name) => POLICY_EXTENSIONS.has(extname(name).toLowerCase()) && !name.startsWith(".")).sort();
    appendAll(files, names.map((name) => join(path, name)));
  }
  return files;
}

async function readPolicyFile(file: string): Promise<string> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    throw new SignetError("FILE_NOT_FOUND", `${file}: no such policy file or folder`, { cause: error });
  }
  if (info.size > POLICY_FILE_MAX_BYTES) {
    throw new SignetError("SIZE_LIMIT_EXCEEDED", `${file} is ${info.size} bytes; policy files of at most ${POLICY_FILE_MAX_BYTES} bytes are read`);
  }
  const bytes = await readFile(file);
  if (bytes.length > POLICY_FILE_MAX_BYTES) throw new SignetError("SIZE_LIMIT_EXCEEDED", `${file} grew past ${POLICY_FILE_MAX_BYTES} bytes while being read`);
  return bytes.toString("utf8");
}

function headerOf(untrusted: unknown): { kind: string | undefined; name: string | undefined; apiVersion: string | undefined } {
  if (typeof untrusted !== "object" || untrusted === null) return { kind: undefined, name: undefined, apiVersion: undefined };
  const record = untrusted as Record<string, unknown>;
  const metadata = record["metadata"];
  const name = typeof metadata === "object" && metadata !== null ? (metadata as Record<string, unknown>)["name"] : undefined;
  return {
    kind: typeof record["kind"] === "string" ? record["kind"] : undefined,
    name: typeof name === "string" ? name : undefined,
    apiVersion: typeof record["apiVersion"] === "string" ? record["apiVersion"] : undefined,
  };
}

/** A ClusterImagePolicy, or something of policy.sigstore.dev that is not a known other kind (a misspelt kind is an error, not a skip). */
function claimsToBeClusterImagePolicy(kind: string | undefined, apiVersion: string | undefined): boolean {
  if (kind === "ClusterImagePolicy") return true;
  return apiVersion !== undefined && apiVersion.startsWith("policy.sigstore.dev/") && kind !== "TrustRoot";
}

/** The line of the field, or of its closest parent present in the YAML. */
function lineOf(document: Document, lineCounter: LineCounter, path: FieldPath): number | undefined {
  for (let length = path.length; length >= 0; length--) {
    const node = document.getIn(path.slice(0, length), true) as { range?: [number, number, number] } | undefined;
    if (node !== undefined && node !== null && typeof node === "object" && node.range !== undefined) {
      return lineCounter.linePos(node.range[0]).line;
    }
  }
  return undefined;
}

function problem(level: "error" | "warning", text: string, line?: number): PolicyProblem {
  return { level, message: text, paths: [], text, ...(line === undefined ? {} : { line }) };
}
