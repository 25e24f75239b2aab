/**
 * `signet trust`: show or refresh the sigstore trust root. Also the options every keyless verification takes
 * (cosign's names) and how they become an identity policy and trust material, shared by the commands.
 */
import { SignetError } from "../../errors/index.js";
import type { IdentityPolicy } from "../../signatures/bundle/policy.js";
import type { TrustMaterial } from "../../trust/trust-material.js";
import type { Command, CommandContext, OptionSpec } from "../command.js";
import { OUTPUT_OPTION, outputFormat, readTextFile, stringOption } from "../options.js";
import { writeJson } from "../output.js";

/** cosign's identity flags. */
export const IDENTITY_OPTIONS: OptionSpec = {
  "certificate-identity": { type: "string", value: "ID", description: "keyless: the certificate's subject (email, URI), compared exactly" },
  "certificate-identity-regexp": {
    type: "string",
    value: "RE",
    description: "keyless: or a regular expression (RE2); signet anchors it: it must match the WHOLE subject (cosign accepts a match anywhere: see the -unanchored flag)",
  },
  "certificate-identity-regexp-unanchored": {
    type: "string",
    value: "RE",
    description: "keyless: a regular expression read as cosign reads --certificate-identity-regexp: a match anywhere in the subject is enough",
  },
  "certificate-oidc-issuer": { type: "string", value: "URL", description: "keyless: the OIDC issuer, compared exactly" },
  "certificate-oidc-issuer-regexp": { type: "string", value: "RE", description: "keyless: or a regular expression; signet anchors it: it must match the WHOLE issuer (cosign: anywhere)" },
  "certificate-oidc-issuer-regexp-unanchored": { type: "string", value: "RE", description: "keyless: a regular expression read as cosign reads --certificate-oidc-issuer-regexp: a match anywhere" },
  "certificate-github-workflow-repository": { type: "string", value: "VALUE", description: "keyless: the GitHub Actions repository claim, exact" },
  "certificate-github-workflow-ref": { type: "string", value: "VALUE", description: "keyless: the GitHub Actions ref claim, exact" },
  "certificate-github-workflow-trigger": { type: "string", value: "VALUE", description: "keyless: the GitHub Actions trigger claim, exact" },
  "certificate-github-workflow-sha": { type: "string", value: "VALUE", description: "keyless: the GitHub Actions commit claim, exact" },
  "certificate-github-workflow-name": { type: "string", value: "VALUE", description: "keyless: the GitHub Actions workflow name claim, exact" },
};

/** Where the trust root comes from. */
export const TRUST_ROOT_OPTIONS: OptionSpec = {
  "trusted-root": {
    type: "string",
    value: "FILE",
    description: "a trusted_root.json (private deployment); default: the sigstore public-good root (TUF cache, else embedded), or cosign's SIGSTORE_ROOT_FILE, SIGSTORE_REKOR_PUBLIC_KEY, SIGSTORE_CT_LOG_PUBLIC_KEY_FILE",
  },
  offline: { type: "boolean", description: "never update the trust root over the network (use the cached or embedded one)" },
  staging: { type: "boolean", description: "use the sigstore staging instance's trust root" },
};

/** True when any identity flag is given. */
export function hasIdentityOptions(context: CommandContext): boolean {
  return Object.keys(IDENTITY_OPTIONS).some((name) => stringOption(context, name) !== undefined);
}

/** The identity policy the flags describe; the policy's own checks say what is missing. */
export async function identityPolicyFrom(context: CommandContext): Promise<IdentityPolicy> {
  const unanchored = await unanchoredRegexps(context);
  const pick = (name: string): string | undefined => stringOption(context, name);
  const fields: [keyof IdentityPolicy, string][] = [
    ["subject", "certificate-identity"],
    ["subjectRegExp", "certificate-identity-regexp"],
    ["issuer", "certificate-oidc-issuer"],
    ["issuerRegExp", "certificate-oidc-issuer-regexp"],
    ["githubWorkflowRepository", "certificate-github-workflow-repository"],
    ["githubWorkflowRef", "certificate-github-workflow-ref"],
    ["githubWorkflowTrigger", "certificate-github-workflow-trigger"],
    ["githubWorkflowSha", "certificate-github-workflow-sha"],
    ["githubWorkflowName", "certificate-github-workflow-name"],
  ];
  const policy: Record<string, string> = {};
  for (const [field, option] of fields) {
    const value = pick(option);
    if (value !== undefined) policy[field] = value;
  }
  for (const [field, flag] of [["subjectRegExp", "certificate-identity-regexp"], ["issuerRegExp", "certificate-oidc-issuer-regexp"]] as const) {
    const value = unanchored[field];
    if (value === undefined) continue;
    if (policy[field] !== undefined) throw new SignetError("OPTION_CONFLICT", `give --${flag} or --${flag}-unanchored, not both`);
    policy[field] = value;
  }
  return { kind: "identity", ...policy };
}

/**
 * `--certificate-identity-regexp-unanchored` and `--certificate-oidc-issuer-regexp-unanchored`: cosign's reading of
 * a regexp (Go's MatchString: a match anywhere in the value), turned into the whole-value regexp signet's matcher
 * takes. Each pattern is first checked alone, so that one like "a)|(b" cannot escape the wrapping group.
 */
export async function unanchoredRegexps(context: CommandContext): Promise<{ subjectRegExp?: string; issuerRegExp?: string }> {
  const result: { subjectRegExp?: string; issuerRegExp?: string } = {};
  for (const [field, flag] of [["subjectRegExp", "certificate-identity-regexp-unanchored"], ["issuerRegExp", "certificate-oidc-issuer-regexp-unanchored"]] as const) {
    const pattern = stringOption(context, flag);
    if (pattern === undefined) continue;
    if (pattern === "") throw new SignetError("IDENTITY_POLICY_INVALID", `--${flag} is empty`);
    const { compileIdentityPolicy } = await import("../../signatures/bundle/identity-match.js");
    compileIdentityPolicy({ kind: "identity", subjectRegExp: pattern, issuer: "validation only" });
    result[field] = `[\\s\\S]*(?:${pattern})[\\s\\S]*`;
  }
  return result;
}

/**
 * A CERT_IDENTITY_MISMATCH under an anchored regexp that cosign's unanchored reading would have accepted: say so,
 * and name both ways out, instead of leaving a cosign user to guess why the same command line fails.
 */
export async function explainAnchoring(error: SignetError, context: CommandContext): Promise<SignetError> {
  if (error.code !== "CERT_IDENTITY_MISMATCH") return error;
  const anchoredFlags = (["certificate-identity-regexp", "certificate-oidc-issuer-regexp"] as const).filter((flag) => stringOption(context, flag) !== undefined);
  if (anchoredFlags.length === 0) return error;
  if (!Array.isArray(error.details["subjects"])) {
    // The certificate's values are not at hand (an image's signatures are summarised): say what signet does differently.
    const flags = anchoredFlags.map((f) => `--${f}`).join(" and ");
    return new SignetError("CERT_IDENTITY_MISMATCH", `${error.message} (signet anchors ${flags}: the whole value must match; cosign accepts a match anywhere)`, {
      hint: `If cosign accepts this command line, the regexp matches only part of the value: make it match the whole value (e.g. end it with .*), or pass ${anchoredFlags.map((f) => `--${f}-unanchored`).join(" and ")} to keep cosign's reading on purpose.`,
      details: { ...error.details, anchored: anchoredFlags },
      cause: error,
    });
  }
  const subjects = (error.details["subjects"] as string[]).map((s) => s.slice(s.indexOf(":") + 1));
  const issuer = error.details["issuer"];
  const { compileIdentityPolicy } = await import("../../signatures/bundle/identity-match.js");
  const readByCosign = (pattern: string, values: readonly string[]): boolean => {
    const matches = compileIdentityPolicy({ kind: "identity", subjectRegExp: `[\\s\\S]*(?:${pattern})[\\s\\S]*`, issuer: "x" }).subjectMatches!;
    const whole = compileIdentityPolicy({ kind: "identity", subjectRegExp: pattern, issuer: "x" }).subjectMatches!;
    return values.some((value) => matches(value) && !whole(value));
  };
  const explained: string[] = [];
  for (const [flag, values] of [["certificate-identity-regexp", subjects], ["certificate-oidc-issuer-regexp", typeof issuer === "string" ? [issuer] : []]] as const) {
    const pattern = stringOption(context, flag);
    if (pattern !== undefined && readByCosign(pattern, values)) explained.push(flag);
  }
  if (explained.length === 0) return error;
  const flags = explained.map((f) => `--${f}`).join(" and ");
  return new SignetError("CERT_IDENTITY_MISMATCH", `${error.message}; signet anchors ${flags} (the whole value must match), and the certificate matches only as cosign reads it (a match anywhere)`, {
    hint: `Make the regexp match the whole value (e.g. end it with .*), or pass ${explained.map((f) => `--${f}-unanchored`).join(" and ")} instead to keep cosign's reading on purpose.`,
    details: { ...error.details, anchored: explained },
    cause: error,
  });
}

/**
 * Loads the trust root the flags name: `--trusted-root FILE`; else cosign's `SIGSTORE_ROOT_FILE`,
 * `SIGSTORE_REKOR_PUBLIC_KEY` and `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE` (unless `ignoreSigstoreEnv`); else the
 * public-good (or `--staging`) root, through TUF unless `--offline` (or `offlineByDefault`, as the conformance
 * protocol wants).
 */
export async function trustMaterialFrom(context: CommandContext, options: { offlineByDefault?: boolean; refresh?: boolean; ignoreSigstoreEnv?: boolean } = {}): Promise<TrustMaterial> {
  const { defaultTufCacheDir, loadTrustedRoot } = await import("../../trust/trusted-root.js");
  const trustedRootPath = stringOption(context, "trusted-root");
  const staging = context.values["staging"] === true;
  if (trustedRootPath !== undefined) return loadTrustedRoot({ trustedRootPath });
  const env = context.io.env;
  const rootFile = env["SIGSTORE_ROOT_FILE"];
  const rekorKeyFile = env["SIGSTORE_REKOR_PUBLIC_KEY"];
  const ctKeyFile = env["SIGSTORE_CT_LOG_PUBLIC_KEY_FILE"];
  if (options.ignoreSigstoreEnv !== true && (rootFile || rekorKeyFile || ctKeyFile)) {
    const { trustMaterialFromKeys } = await import("../../trust/keys-trust-material.js");
    return trustMaterialFromKeys({
      ...(rootFile ? { fulcioCaPem: readTextFile(rootFile, "SIGSTORE_ROOT_FILE") } : {}),
      ...(rekorKeyFile ? { rekorPublicKeyPem: readTextFile(rekorKeyFile, "SIGSTORE_REKOR_PUBLIC_KEY") } : {}),
      ...(ctKeyFile ? { ctLogPublicKeyPem: readTextFile(ctKeyFile, "SIGSTORE_CT_LOG_PUBLIC_KEY_FILE") } : {}),
      description: "SIGSTORE_ROOT_FILE / SIGSTORE_REKOR_PUBLIC_KEY / SIGSTORE_CT_LOG_PUBLIC_KEY_FILE",
    });
  }
  return loadTrustedRoot({
    staging,
    offline: context.values["offline"] === true || options.offlineByDefault === true,
    tufCacheDir: defaultTufCacheDir(context.io.env),
    refresh: options.refresh === true,
  });
}

export const trustCommand: Command = {
  name: "trust",
  summary: "Show or update the sigstore trust root",
  usage: `signet trust show [--trusted-root FILE | --staging] [--offline]
       signet trust update [--staging]

  show    prints the CAs, logs and timestamp authorities signet trusts for keyless verification.
  update  refreshes the public-good (or staging) trust root through TUF into signet's cache
          ($SIGNET_TUF_ROOT, else $XDG_CACHE_HOME/signet/tuf, else ~/.cache/signet/tuf).
  Without network, --offline uses the root TUF last cached, else the one shipped with signet.`,
  options: { ...TRUST_ROOT_OPTIONS, ...OUTPUT_OPTION },
  async run(context) {
    const [action, ...rest] = context.positionals;
    if (rest.length > 0 || (action !== "show" && action !== "update")) throw new SignetError("USAGE", "trust takes show or update");
    if (action === "update" && (context.values["offline"] === true || stringOption(context, "trusted-root") !== undefined)) {
      throw new SignetError("OPTION_CONFLICT", "trust update refreshes through TUF: --offline and --trusted-root do not apply");
    }
    const trust = await trustMaterialFrom(context, { refresh: action === "update" });
    const summary = summarize(trust);
    if (outputFormat(context) === "json") writeJson(context.io, summary);
    else context.io.stdout.write(formatSummary(summary));
    return 0;
  },
};

interface TrustSummary {
  source: string;
  certificateAuthorities: { name: string; validFor: string }[];
  transparencyLogs: { url: string; logId: string; validFor: string }[];
  ctLogs: { url: string; logId: string; validFor: string }[];
  timestampAuthorities: { name: string; validFor: string }[];
}

function period(validFor: { start: Date; end: Date }): string {
  const end = validFor.end.getTime() >= 8_640_000_000_000_000 ? "" : validFor.end.toISOString();
  return `${validFor.start.toISOString()}..${end}`;
}

function summarize(trust: TrustMaterial): TrustSummary {
  return {
    source: trust.description,
    certificateAuthorities: trust.certificateAuthorities.map((ca) => ({ name: ca.name, validFor: period(ca.validFor) })),
    transparencyLogs: trust.tlogs.map((log) => ({ url: log.baseURL, logId: log.logID.toString("base64"), validFor: period(log.validFor) })),
    ctLogs: trust.ctlogs.map((log) => ({ url: log.baseURL, logId: log.logID.toString("base64"), validFor: period(log.validFor) })),
    timestampAuthorities: trust.timestampAuthorities.map((tsa) => ({ name: tsa.name, validFor: period(tsa.validFor) })),
  };
}

function formatSummary(summary: TrustSummary): string {
  const section = (title: string, rows: { validFor: string; name?: string; url?: string }[]): string =>
    `${title}:\n${rows.length === 0 ? "  (none)\n" : rows.map((row) => `  ${row.name ?? row.url}  ${row.validFor}\n`).join("")}`;
  return [
    `Trust root: ${summary.source}\n`,
    section("Certificate authorities", summary.certificateAuthorities),
    section("Transparency logs", summary.transparencyLogs),
    section("CT logs", summary.ctLogs),
    section("Timestamp authorities", summary.timestampAuthorities),
  ].join("");
}
