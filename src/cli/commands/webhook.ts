import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { SignetError } from "../../errors/index.js";
import { checkDestination, stageFile, type StagedFile } from "../../internal/atomic-file.js";
import type { Command, CommandContext } from "../command.js";
import { GLOBAL_OPTIONS, OUTPUT_OPTION, outputFormat, requireString, stringOption } from "../options.js";
import { writeJson } from "../output.js";

/** Flags of `webhook serve`, each also a `--config` key (camelCase). */
const SERVE_FLAGS = {
  port: "port",
  address: "address",
  "tls-cert-file": "tlsCertFile",
  "tls-key-file": "tlsKeyFile",
  policy: "policy",
  "policy-json": "policyJson",
  "no-match-action": "noMatchAction",
  "multi-arch": "multiArch",
  platform: "platform",
  "registries-d": "registriesD",
  "redis-url": "redisUrl",
  "redis-hmac-key-file": "redisHmacKeyFile",
  "registry-cacert": "registryCacert",
  "allow-http-registry": "allowHttpRegistry",
  "allow-insecure-registry": "allowInsecureRegistry",
  "registry-auth-file": "registryAuthFile",
  kubeconfig: "kubeconfig",
  namespace: "namespace",
  "identity-annotations": "identityAnnotations",
  "trusted-root": "trustedRoot",
  offline: "offline",
  deadline: "deadline",
  "log-level": "logLevel",
  "metrics-port": "metricsPort",
  "metrics-address": "metricsAddress",
  "watch-cluster-image-policies": "watchClusterImagePolicies",
} as const;

const SUBCOMMAND_OPTIONS: Record<string, readonly string[]> = {
  serve: ["config", ...Object.keys(SERVE_FLAGS), ...Object.keys(GLOBAL_OPTIONS)],
  certs: ["service", "namespace", "out-dir", "days", "ca-cert", "ca-key", "force", "output-format", ...Object.keys(GLOBAL_OPTIONS)],
  "check-policy": ["output-format", ...Object.keys(GLOBAL_OPTIONS), "namespace"],
};

export const webhookCommand: Command = {
  name: "webhook",
  summary: "Run the Kubernetes admission webhook, make its certificates, check its policies",
  usage: `signet webhook serve --tls-cert-file F --tls-key-file F (--policy FILE|DIR... | --policy-json F) [options]
       signet webhook certs --service NAME --namespace NS [--out-dir DIR] [--days N] [--ca-cert F --ca-key F]
       signet webhook check-policy FILE|DIR... [--output json]

  serve    answers AdmissionReview (admission.k8s.io/v1) over HTTPS on /validate and /mutate, with /healthz,
           /readyz and /metrics. Every image of a Pod or pod template (containers, initContainers,
           ephemeralContainers) must pass every ClusterImagePolicy that matches it; anything that cannot be
           verified in time is denied. Stops gracefully on SIGTERM (drains requests in flight).
    --config FILE             YAML with the settings below in camelCase (tlsCertFile, noMatchAction, cache: …);
                              flags override it
    --port N                  default 8443 (0: any free port; the log says which)
    --address ADDR            listen address (default: every interface)
    --tls-cert-file F, --tls-key-file F
                              serving certificate and key (PEM), reloaded when the files change
    --policy FILE|DIR         ClusterImagePolicy YAML (files or folders; repeat for more)
    --policy-json F           a containers-policy.json, evaluated for every image too
    --no-match-action deny|allow|warn
                              for an image no policy matches (default deny)
    --multi-arch index|instance|either
                              for a multi-arch image, the ClusterImagePolicies verify the index (default), the
                              --platform instance a node pulls, or accept either (policy.json always checks the
                              instance, as containers/image does)
    --platform os/arch[/variant]  the nodes' platform (default linux/amd64)
    --registries-d DIR        lookaside stores for policy.json's GPG signatures (as signet policy verify)
    --redis-url URL           share the verdict cache between replicas: redis://host:6379, unix:///path.sock
    --redis-hmac-key-file F   key that authenticates Redis records (required with --redis-url; or
                              SIGNET_REDIS_HMAC_KEY); SIGNET_REDIS_PASSWORD is Redis's password
    --deadline 8s             answer within this time (below the webhook's timeoutSeconds); later: denied
    --registry-cacert F, --registry-auth-file F, --allow-http-registry, --allow-insecure-registry
    --kubeconfig F            cluster for secretRef keys and pods' imagePullSecrets (default: in-cluster
                              when KUBERNETES_SERVICE_HOST is set; otherwise pull secrets are not read)
    --namespace NS            the webhook's namespace (default $POD_NAMESPACE or signet-system)
    --identity-annotations    honour subject/issuer.cosign.sigstore.dev/<container> annotations
    --trusted-root F          sigstore trusted_root.json for keyless authorities (default: public-good via TUF)
    --offline                 never fetch the public-good root: use the TUF cache, else the embedded copy
    --log-level info          fatal, error, warn, info, debug, trace, silent
    --metrics-port 9090       plain-HTTP port of GET /metrics (Prometheus); --metrics-address ADDR
    --watch-cluster-image-policies
                              also enforce the ClusterImagePolicy objects of the cluster (list and watch
                              policy.sigstore.dev; kubectl apply -f policy.yaml)
  certs    writes ca.crt, ca.key, tls.crt, tls.key for the Service NAME.NS.svc into --out-dir (default .) and
           prints the caBundle (base64 of ca.crt) for the webhook configurations. With --ca-cert/--ca-key,
           issues a new serving certificate from the existing CA (the caBundle does not change).
  check-policy
           validates ClusterImagePolicy documents as the webhook loads them, without serving`,
  options: {
    config: { type: "string" },
    port: { type: "string" },
    address: { type: "string" },
    "tls-cert-file": { type: "string" },
    "tls-key-file": { type: "string" },
    policy: { type: "string", multiple: true },
    "policy-json": { type: "string" },
    "no-match-action": { type: "string" },
    "multi-arch": { type: "string" },
    platform: { type: "string" },
    "registries-d": { type: "string" },
    "redis-url": { type: "string" },
    "redis-hmac-key-file": { type: "string" },
    "registry-cacert": { type: "string", multiple: true },
    "allow-http-registry": { type: "boolean" },
    "allow-insecure-registry": { type: "boolean" },
    "registry-auth-file": { type: "string" },
    kubeconfig: { type: "string" },
    namespace: { type: "string" },
    "identity-annotations": { type: "boolean" },
    "trusted-root": { type: "string" },
    offline: { type: "boolean" },
    deadline: { type: "string" },
    "log-level": { type: "string" },
    "metrics-port": { type: "string" },
    "metrics-address": { type: "string" },
    "watch-cluster-image-policies": { type: "boolean" },
    service: { type: "string" },
    "out-dir": { type: "string" },
    days: { type: "string" },
    "ca-cert": { type: "string" },
    "ca-key": { type: "string" },
    force: { type: "boolean", short: "f" },
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const [subcommand, ...rest] = context.positionals;
    if (subcommand === undefined || !Object.hasOwn(SUBCOMMAND_OPTIONS, subcommand)) {
      throw new SignetError("USAGE", subcommand === undefined ? "webhook needs a subcommand: serve, certs or check-policy" : `unknown webhook subcommand ${JSON.stringify(subcommand)}`, {
        hint: "Run `signet webhook --help`.",
      });
    }
    for (const [name, value] of Object.entries(context.values)) {
      if (value !== undefined && !SUBCOMMAND_OPTIONS[subcommand]!.includes(name)) throw new SignetError("USAGE", `webhook ${subcommand} does not take --${name}`);
    }
    const sub = { ...context, positionals: rest };
    switch (subcommand) {
      case "serve":
        return serve(sub);
      case "certs":
        return certs(sub);
      default: {
        const { runCheckPolicy } = await import("./webhook-check-policy.js");
        return runCheckPolicy(sub);
      }
    }
  },
};

async function serve(context: CommandContext): Promise<number> {
  if (context.positionals.length > 0) throw new SignetError("USAGE", `webhook serve takes no arguments, not ${JSON.stringify(context.positionals[0])}`);
  const flags: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(SERVE_FLAGS)) {
    const value = context.values[flag];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    flags[key] = flag === "port" || flag === "metrics-port" ? parsePort(value as string, `--${flag}`) : value;
  }
  flags["namespace"] ??= nonEmpty(context.io.env["POD_NAMESPACE"]);
  const { runWebhook } = await import("../../webhook/server/run-webhook.js");
  return runWebhook({ configFile: stringOption(context, "config"), flags, env: context.io.env });
}

function parsePort(text: string, flag: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new SignetError("USAGE", `${flag} must be a port number from 1 to 65535 (0: any free port), not ${JSON.stringify(text)}`);
  return Number(text);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

async function certs(context: CommandContext): Promise<number> {
  if (context.positionals.length > 0) throw new SignetError("USAGE", `webhook certs takes no arguments, not ${JSON.stringify(context.positionals[0])}`);
  const format = outputFormat(context);
  const service = requireString(context, "service");
  const namespace = requireString(context, "namespace");
  const outDir = stringOption(context, "out-dir") ?? ".";
  const daysText = stringOption(context, "days");
  if (daysText !== undefined && !/^\d{1,4}$/.test(daysText)) throw new SignetError("USAGE", `--days must be a whole number of days, not ${JSON.stringify(daysText)}`);
  const caCertPath = stringOption(context, "ca-cert");
  const caKeyPath = stringOption(context, "ca-key");
  if ((caCertPath === undefined) !== (caKeyPath === undefined)) throw new SignetError("USAGE", "give --ca-cert and --ca-key together (or neither, for a new CA)");
  const ca = caCertPath !== undefined && caKeyPath !== undefined ? { certPem: await readText(caCertPath, "--ca-cert"), keyPem: await readText(caKeyPath, "--ca-key") } : undefined;

  const { createServingCertificates } = await import("../../webhook/server/certificates/serving-certificates.js");
  const made = createServingCertificates({ service, namespace, ...(daysText !== undefined ? { days: Number(daysText) } : {}), ...(ca !== undefined ? { ca } : {}) });
  try {
    await mkdir(outDir, { recursive: true });
  } catch (error) {
    throw new SignetError("IO_ERROR", `cannot create --out-dir ${outDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const files: [string, string, boolean][] = [
    ["tls.crt", made.certPem, false],
    ["tls.key", made.keyPem, true],
  ];
  if (ca === undefined) files.push(["ca.crt", made.caCertPem, false], ["ca.key", made.caKeyPem!, true]);
  const force = context.values["force"] === true;
  // Refuse before writing anything: never leave a new key next to an old certificate. A planted symbolic link or
  // another user's file is refused even with --force (FILE_SYMLINK, FILE_FOREIGN_OWNER); each file is written to a
  // temporary file (0600 for keys) and renamed into place, so nothing is ever written through a link.
  const existing: string[] = [];
  for (const [name] of files) if (await checkDestination(join(outDir, name))) existing.push(join(outDir, name));
  if (existing.length > 0 && !force) throw new SignetError("FILE_EXISTS", `${existing.join(", ")} exist${existing.length === 1 ? "s" : ""}`);
  const staged: StagedFile[] = [];
  const written: string[] = [];
  try {
    for (const [name, text, secret] of files) staged.push(await stageFile(join(outDir, name), text, { mode: secret ? 0o600 : 0o644, replace: force, guard: true }));
    for (const file of staged) {
      if (!(await file.place())) throw new SignetError("FILE_EXISTS", `${file.path} exists`);
      written.push(file.path);
    }
  } catch (error) {
    // Without --force every file placed was new: take them away again rather than leave half a set.
    if (!force) for (const path of written) await rm(path, { force: true });
    throw error;
  } finally {
    for (const file of staged) await file.discard();
  }
  if (format === "json") {
    writeJson(context.io, { files: written, dnsNames: made.dnsNames, notAfter: made.notAfter.toISOString(), caBundle: made.caBundle });
  } else {
    context.io.stderr.write(`wrote ${written.join(", ")}\ncertificate for ${made.dnsNames.join(", ")}, valid until ${made.notAfter.toISOString()}\ncaBundle for the webhook configurations:\n`);
    context.io.stdout.write(`${made.caBundle}\n`);
  }
  return 0;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SignetError(code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot read ${what} ${path}: ${code ?? (error as Error).message}`);
  }
}
