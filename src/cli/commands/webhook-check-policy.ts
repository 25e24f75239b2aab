/**
 * `signet webhook check-policy FILE|DIR...`: validates ClusterImagePolicy documents as the webhook would load
 * them, without serving. Prints every problem with its file, document, line and field path; exits 1 when any
 * document is invalid (warnings alone exit 0).
 */
import { SignetError } from "../../errors/index.js";
import type { CommandContext } from "../command.js";
import { outputFormat, stringOption } from "../options.js";
import { writeJson } from "../output.js";

export async function runCheckPolicy(context: CommandContext): Promise<number> {
  if (context.positionals.length === 0) {
    throw new SignetError("USAGE", "check-policy needs at least one policy file or folder", { hint: "Run `signet webhook check-policy policies/`." });
  }
  const format = outputFormat(context);
  const namespace = stringOption(context, "namespace");
  const { checkClusterImagePolicyFiles, formatPolicyProblem } = await import("../../webhook/policy/index.js");
  // Each file is checked as something `kubectl apply` could take on its own: a name repeated in another file is a warning.
  const reports = await checkClusterImagePolicyFiles(context.positionals, { duplicateNamesAcrossFiles: "warning", ...(namespace === undefined ? {} : { systemNamespace: namespace }) });
  // Valid YAML naming a key the webhook cannot use (a KMS provider not built) would deny every pod: refused here.
  const { checkPolicyKeys } = await import("../../webhook/policy/key-check.js");
  await checkPolicyKeys(reports, { env: context.io.env });
  const errors = reports.reduce((count, report) => count + report.problems.filter((problem) => problem.level === "error").length, 0);
  const valid = reports.filter((report) => report.policy !== undefined).length;
  if (format === "json") {
    writeJson(context.io, {
      valid: errors === 0,
      documents: reports.map((report) => ({
        file: report.source.file,
        document: report.source.document + 1,
        kind: report.kind,
        name: report.name,
        valid: report.policy !== undefined,
        problems: report.problems.map((problem) => ({ level: problem.level, message: problem.text, paths: problem.paths, ...(problem.line === undefined ? {} : { line: problem.line }) })),
      })),
    });
    return errors === 0 ? 0 : 1;
  }
  for (const report of reports) {
    for (const problem of report.problems) context.io.stdout.write(`${formatPolicyProblem(report, problem)}\n`);
  }
  const summary =
    errors === 0
      ? `${valid} ClusterImagePolic${valid === 1 ? "y is" : "ies are"} valid`
      : `${errors} problem${errors === 1 ? "" : "s"} found; ${valid} ClusterImagePolic${valid === 1 ? "y is" : "ies are"} valid`;
  context.io.stderr.write(`${summary}\n`);
  return errors === 0 ? 0 : 1;
}
