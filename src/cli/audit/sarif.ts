/**
 * The audit as SARIF 2.1.0 (OASIS): one run of the tool "signet", one rule per error code found (its catalog hint
 * as help), one result per image that is not verified (ruleId = the error code), located by a logical location
 * naming the image. Rendered from the JSON report.
 */
import { ERROR_CATALOG, type ErrorCode } from "../../errors/index.js";
import type { AuditReport } from "./model.js";

export const SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

export function renderAuditSarif(report: AuditReport, toolVersion: string): unknown {
  const failing = report.images.filter((image) => image.status !== "verified");
  const codes = [...new Set(failing.map((image) => image.code ?? "INTERNAL"))].sort();
  const ruleIndex = new Map(codes.map((code, index) => [code, index]));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "signet",
            version: toolVersion,
            informationUri: "https://github.com/signet-dev/signet",
            rules: codes.map((code) => ({
              id: code,
              name: ruleName(code),
              shortDescription: { text: `signet ${code}` },
              help: { text: ERROR_CATALOG[code as ErrorCode].hint },
              properties: { category: ERROR_CATALOG[code as ErrorCode].category },
            })),
          },
        },
        invocations: [{ executionSuccessful: true, endTimeUtc: report.generatedAt }],
        properties: { source: report.source, policy: report.policy, totals: report.totals },
        results: failing.map((image) => {
          const code = image.code ?? "INTERNAL";
          return {
            ruleId: code,
            ruleIndex: ruleIndex.get(code)!,
            level: image.status === "error" ? "warning" : "error",
            kind: "fail",
            message: { text: `${image.image}: ${image.status}: ${image.reason ?? code}. Fix: ${image.hint ?? ERROR_CATALOG[code as ErrorCode].hint}` },
            locations: [
              {
                logicalLocations: [{ fullyQualifiedName: image.image, kind: "resource" }],
                ...(image.workloads.length > 0 ? { message: { text: `run by ${image.workloads.map((w) => `${w.namespace}/${w.pod} (${w.container})`).join(", ")}` } } : {}),
              },
            ],
            partialFingerprints: { imageReference: image.image },
            properties: { status: image.status, namespace: image.namespace, ...(image.digest !== undefined ? { digest: image.digest } : {}) },
          };
        }),
      },
    ],
  };
}

/** SIG_MISSING -> SigMissing (SARIF's rule name is an identifier-like string). */
function ruleName(code: string): string {
  return code
    .toLowerCase()
    .split("_")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}
