/** The JSON report: totals and coverage computed from the verdicts. The HTML and SARIF are rendered from it. */
import { ERROR_CATALOG } from "../../errors/index.js";
import { AUDIT_REPORT_VERSION, type AuditReport, type AuditVerdict, type Tally } from "./model.js";

export interface BuildReportOptions {
  readonly source: string;
  readonly policy: string;
  readonly generatedAt: Date;
  readonly resumed: number;
  readonly durationMs: number;
  readonly registryRequests: number;
}

export function buildAuditReport(verdicts: readonly AuditVerdict[], options: BuildReportOptions): AuditReport {
  const namespaces = new Map<string, AuditVerdict[]>();
  const signers = new Map<string, number>();
  const formats = new Map<string, number>();
  const codes = new Map<string, number>();
  for (const verdict of verdicts) {
    for (const namespace of namespacesOf(verdict)) {
      const list = namespaces.get(namespace);
      if (list === undefined) namespaces.set(namespace, [verdict]);
      else list.push(verdict);
    }
    for (const signer of verdict.signers) increment(signers, signer);
    for (const format of verdict.status === "verified" ? verdict.formats : ["(none)"]) increment(formats, format);
    if (verdict.code !== undefined) increment(codes, verdict.code);
  }
  return {
    signetAudit: AUDIT_REPORT_VERSION,
    source: options.source,
    policy: options.policy,
    generatedAt: options.generatedAt.toISOString(),
    run: { resumed: options.resumed, verifiedNow: verdicts.length - options.resumed, durationMs: options.durationMs, registryRequests: options.registryRequests },
    totals: tally(verdicts),
    byNamespace: sortedKeys(namespaces).map((name) => ({ name, ...tally(namespaces.get(name)!) })),
    bySigner: sortedKeys(signers).map((name) => ({ name, images: signers.get(name)! })),
    byFormat: sortedKeys(formats).map((name) => ({ name, images: formats.get(name)! })),
    byCode: sortedKeys(codes).map((code) => ({ code, images: codes.get(code)!, hint: ERROR_CATALOG[code as keyof typeof ERROR_CATALOG].hint })),
    images: verdicts,
  };
}

/** A cluster image counts in every namespace that runs it; a registry or layout image in its repository. */
export function namespacesOf(verdict: AuditVerdict): string[] {
  if (verdict.workloads.length === 0) return [verdict.namespace];
  return [...new Set(verdict.workloads.map((workload) => workload.namespace))];
}

export function tally(verdicts: readonly AuditVerdict[]): Tally {
  const count = (status: AuditVerdict["status"]): number => verdicts.filter((verdict) => verdict.status === status).length;
  return { total: verdicts.length, verified: count("verified"), unsigned: count("unsigned"), failed: count("failed"), error: count("error") };
}

function increment(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function sortedKeys(map: ReadonlyMap<string, unknown>): string[] {
  return [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
