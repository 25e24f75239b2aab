import { createHash, type KeyObject } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { SignetError } from "../../errors/index.js";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import { ImageAccess } from "../../oci/image-access.js";
import { createPolicyChecker, createSignerChecker, type ImageChecker } from "../audit/check.js";
import { renderAuditHtml } from "../audit/html.js";
import type { AuditReport, AuditTarget, AuditVerdict } from "../audit/model.js";
import { buildAuditReport } from "../audit/report.js";
import { renderAuditSarif } from "../audit/sarif.js";
import { createAuditStateWriter, readAuditState } from "../audit/state.js";
import { describeSource, listTargets, type AuditSource } from "../audit/targets.js";
import type { Command, CommandContext } from "../command.js";
import { REGISTRY_OPTIONS, maxWorkers, parseDurationMs, registryOptions, stringOption } from "../options.js";
import { createProgress, exitCodeOf } from "../output.js";
import { SIGNER_OPTIONS, signerSetupFrom, warnIfTlogIgnored } from "../signer-options.js";
import { openPolicyEvaluator } from "./policy.js";

/**
 * Verdicts per atomic rewrite of the state file: 25, or 0.5% of the images when that is more (each rewrite writes
 * every verdict, so a fixed batch would make a large audit quadratic). A kill re-does at most one batch.
 */
const stateBatch = (images: number): number => Math.max(25, Math.ceil(images / 200));
const DEFAULT_MAX_IMAGES = 100_000;
const DEFAULT_MAX_REPOSITORIES = 10_000;
const SOURCE_FLAGS = ["registry", "oci-layout", "cluster", "pods"] as const;
const POLICY_ONLY_FLAGS = ["registries-d", "use-sigstore-attachments", "platform", "kbs-url"] as const;

export const auditCommand: Command = {
  name: "audit",
  summary: "Verify every image of a registry namespace, an OCI layout or a cluster and write an HTML, JSON and SARIF report",
  usage: `signet audit (--registry HOST[/NAMESPACE] | --oci-layout DIR | --cluster [--kubeconfig F] | --pods FILE)
             (--policy policy.json | --key cosign.pub | --certificate-identity ID --certificate-oidc-issuer URL)
             --output-dir DIR [--state FILE [--resume]] [--max-workers N]

  What is audited (one of):
    --registry HOST[/NAMESPACE]  every tag of every repository of the registry's catalog (GET /v2/_catalog) under
                                 NAMESPACE (all of them without one); signature and attachment tags
                                 (sha256-<hex>[.sig|.att|.sbom]) are left out
    --oci-layout DIR             every tagged image of an OCI image layout
    --cluster                    every image the cluster's pods run (containers, init and ephemeral containers,
                                 image volumes), through --kubeconfig (default: the in-cluster service account)
    --pods FILE                  the same from a dump: kubectl's JSON list of the pods of all namespaces
  Against (one of): --policy FILE (a containers-policy.json, evaluated as \`signet policy verify\` does, with
  --registries-d, --use-sigstore-attachments, --platform, --kbs-url), or who must have signed, as \`signet verify\`
  (--key, or --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]; --insecure-ignore-tlog).

  Writes DIR/audit.json (the report: totals, coverage by namespace, signer and format, a verdict per image with
  its error code, reason and fix), DIR/audit.html (one self-contained page rendered from it: charts, tables, no
  external assets) and DIR/audit.sarif (SARIF 2.1.0, one result per image that did not verify). Verdicts are saved
  as they come to --state (default DIR/audit-state.json, replaced atomically); after an interruption, run the same
  command with --resume to keep them and verify only the rest. Progress goes to stderr on a terminal.
  Exits 0 when every image verified, else with the code of the most telling failure (docs/errors.md).`,
  options: {
    registry: { type: "string", value: "HOST[/NAMESPACE]", description: "audit the repositories of a registry namespace (catalog API)" },
    "oci-layout": { type: "string", value: "DIR", description: "audit every tagged image of an OCI image layout" },
    cluster: { type: "boolean", description: "audit every image the cluster's pods run (--kubeconfig, else in-cluster)" },
    pods: { type: "string", value: "FILE", description: "audit the images of a JSON dump of kubectl get pods (all namespaces)" },
    kubeconfig: { type: "string", value: "FILE", description: "the cluster of --cluster (and of k8s:// keys)" },
    policy: { type: "string", value: "FILE", description: "verify against a containers-policy.json (as signet policy verify)" },
    "registries-d": { type: "string", value: "DIR", description: "with --policy: lookaside configuration" },
    "use-sigstore-attachments": { type: "boolean", description: "with --policy: read cosign signatures of every image" },
    platform: { type: "string", value: "os/arch[/variant]", description: "with --policy: the platform whose instance of an index is checked" },
    "kbs-url": { type: "string", value: "URL", description: "with --policy: Key Broker Service for kbs:/// keys" },
    ...SIGNER_OPTIONS,
    "output-dir": { type: "string", value: "DIR", description: "where audit.html, audit.json and audit.sarif are written" },
    state: { type: "string", value: "FILE", description: "the verdicts so far (default DIR/audit-state.json)" },
    resume: { type: "boolean", description: "keep the verdicts of --state and verify only the other images" },
    "max-workers": { type: "string", value: "N", default: "32", description: "images verified at once" },
    "max-images": { type: "string", value: "N", default: String(DEFAULT_MAX_IMAGES), description: "refuse to audit more images than this" },
    "max-repositories": { type: "string", value: "N", default: String(DEFAULT_MAX_REPOSITORIES), description: "refuse a registry catalog longer than this" },
    ...REGISTRY_OPTIONS,
  },
  async run(context) {
    const started = Date.now();
    const source = sourceFrom(context);
    const outputDir = stringOption(context, "output-dir");
    if (outputDir === undefined) throw new SignetError("USAGE", "audit needs --output-dir DIR (where the reports are written)");
    if (context.positionals.length > 0) throw new SignetError("USAGE", `audit takes no arguments (got ${JSON.stringify(context.positionals[0])}): name what to audit with --registry, --oci-layout, --cluster or --pods`);
    const workers = maxWorkers(context, 32);
    const limits = { maxImages: countOption(context, "max-images", DEFAULT_MAX_IMAGES), maxRepositories: countOption(context, "max-repositories", DEFAULT_MAX_REPOSITORIES) };
    const statePath = stringOption(context, "state") ?? join(outputDir, "audit-state.json");
    const access = new ImageAccess(registryOptions(context));
    try {
      const { checker, fingerprintMaterial } = await checkerFrom(context, access);
      const fingerprint = createHash("sha256")
        .update(JSON.stringify({ source: describeSource(source), ...fingerprintMaterial }))
        .digest("hex");
      const targets = await listTargets(source, access, limits);
      await mkdir(outputDir, { recursive: true });
      const previous = context.values["resume"] === true ? await readAuditState(statePath, fingerprint) : new Map<string, AuditVerdict>();
      const state = createAuditStateWriter(statePath, fingerprint, [], stateBatch(targets.length));
      const carried: AuditVerdict[] = [];
      const toCheck: AuditTarget[] = [];
      for (const target of targets) {
        const earlier = previous.get(target.image);
        if (earlier === undefined) toCheck.push(target);
        else carried.push({ ...earlier, namespace: target.namespace, workloads: target.workloads });
      }
      for (const verdict of carried) await state.add(verdict);
      const progress = createProgress(context.io, "Auditing", toCheck.length);
      const fresh = await mapConcurrently(toCheck, workers, async (target) => {
        const verdict = await checker.check(target);
        progress.done(verdict.status === "verified" ? undefined : new SignetError(verdict.code ?? "INTERNAL", verdict.reason ?? ""));
        await state.add(verdict);
        return verdict;
      });
      await state.flush();
      progress.finish();
      const byImage = new Map([...carried, ...fresh].map((verdict) => [verdict.image, verdict]));
      const verdicts = targets.map((target) => byImage.get(target.image)!);
      const report = buildAuditReport(verdicts, {
        source: describeSource(source),
        policy: checker.description,
        generatedAt: new Date(),
        resumed: carried.length,
        durationMs: Date.now() - started,
        registryRequests: access.requestCount(),
      });
      await writeReports(outputDir, report);
      const t = report.totals;
      context.io.stdout.write(
        `${t.total} images: ${t.verified} verified, ${t.unsigned} unsigned, ${t.failed} failed, ${t.error} could not be checked` +
          `${carried.length > 0 ? ` (${carried.length} carried over from ${statePath})` : ""}\nReport: ${join(outputDir, "audit.html")} (audit.json, audit.sarif)\n`,
      );
      return exitCodeOf(verdicts.filter((v) => v.status !== "verified").map((v) => new SignetError(v.code ?? "INTERNAL", v.reason ?? v.image)));
    } finally {
      await access.close();
    }
  },
};

function sourceFrom(context: CommandContext): AuditSource {
  const given = SOURCE_FLAGS.filter((flag) => context.values[flag] !== undefined && context.values[flag] !== false);
  if (given.length !== 1) {
    throw new SignetError(given.length === 0 ? "USAGE" : "OPTION_CONFLICT", given.length === 0 ? "audit needs what to audit: --registry, --oci-layout, --cluster or --pods" : `give one of --${given.join(", --")}`);
  }
  switch (given[0]!) {
    case "registry": {
      const text = stringOption(context, "registry")!.replace(/\/+$/, "");
      const slash = text.indexOf("/");
      const registry = slash < 0 ? text : text.slice(0, slash);
      if (registry === "") throw new SignetError("USAGE", "--registry takes HOST[/NAMESPACE], e.g. ghcr.io/org or 127.0.0.1:5000");
      return { kind: "registry", registry, namespace: slash < 0 ? "" : text.slice(slash + 1) };
    }
    case "oci-layout":
      return { kind: "oci-layout", path: stringOption(context, "oci-layout")! };
    case "cluster":
      return { kind: "kubeconfig", kubeconfig: stringOption(context, "kubeconfig"), env: context.io.env, timeoutMs: parseDurationMs(stringOption(context, "timeout")) ?? 30_000 };
    default:
      return { kind: "pods-file", path: stringOption(context, "pods")! };
  }
}

/** --policy (policy verify's evaluation) or the signer flags (signet verify's requirement), never both. */
async function checkerFrom(context: CommandContext, access: ImageAccess): Promise<{ checker: ImageChecker; fingerprintMaterial: Record<string, unknown> }> {
  const signerFlags = ["key", "certificate-identity", "certificate-identity-regexp", "certificate-oidc-issuer", "certificate-oidc-issuer-regexp"].filter((flag) => context.values[flag] !== undefined);
  if (stringOption(context, "policy") !== undefined) {
    if (signerFlags.length > 0) throw new SignetError("OPTION_CONFLICT", `--policy and --${signerFlags[0]} both say what to verify against; give one`);
    const evaluator = await openPolicyEvaluator(context, access);
    const options = Object.fromEntries(POLICY_ONLY_FLAGS.map((flag) => [flag, context.values[flag] ?? null]));
    return { checker: createPolicyChecker(evaluator), fingerprintMaterial: { policy: evaluator.location, policyDigest: evaluator.policyDigest, options } };
  }
  const misplaced = POLICY_ONLY_FLAGS.filter((flag) => context.values[flag] !== undefined);
  if (misplaced.length > 0) throw new SignetError("USAGE", `--${misplaced[0]} applies to --policy audits only`);
  if (signerFlags.length === 0) {
    throw new SignetError("USAGE", "audit needs what to verify against: --policy FILE, --key, or --certificate-identity with --certificate-oidc-issuer");
  }
  const setup = await signerSetupFrom(context);
  warnIfTlogIgnored(context, setup);
  const keys = setup.requirement.kind === "key" ? setup.requirement.publicKeys.map((key: KeyObject) => key.export({ type: "spki", format: "der" }).toString("base64")) : [];
  return { checker: createSignerChecker(access, setup), fingerprintMaterial: { signer: setup.description, keys, tlogIgnored: setup.tlogIgnored, trust: setup.trust ?? null } };
}

function countOption(context: CommandContext, name: string, fallback: number): number {
  const text = stringOption(context, name);
  if (text === undefined) return fallback;
  if (!/^[1-9]\d{0,8}$/.test(text)) throw new SignetError("USAGE", `--${name} takes a positive number, not ${JSON.stringify(text)}`);
  return Number(text);
}

async function writeReports(dir: string, report: AuditReport): Promise<void> {
  const pkg = JSON.parse(await readFile(new URL("../../../../package.json", import.meta.url), "utf8")) as { version: string };
  await writeFileAtomic(join(dir, "audit.json"), `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(join(dir, "audit.html"), renderAuditHtml(report));
  await writeFileAtomic(join(dir, "audit.sarif"), `${JSON.stringify(renderAuditSarif(report, pkg.version), null, 2)}\n`);
}

