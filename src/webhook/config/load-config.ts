import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { SignetError } from "../../errors/index.js";
import { isRecord } from "../../internal/strict-json.js";
import { toWebhookConfig, webhookConfigSchema, type WebhookConfig, type WebhookConfigInput } from "./webhook-config.js";

/** A config file is a few lines; refuse anything that is clearly not one. */
const CONFIG_MAX_BYTES = 1024 * 1024;
/** Keys whose values are paths: relative paths in a config file are relative to the file, not to the working directory. */
const PATH_KEYS = ["tlsCertFile", "tlsKeyFile", "policy", "policyJson", "registriesD", "registryCacert", "registryAuthFile", "kubeconfig", "trustedRoot", "redisHmacKeyFile"] as const;

export interface LoadWebhookConfigOptions {
  /** The `--config` file, if any. */
  readonly configFile?: string;
  /** Values from flags; each one given replaces the file's value. */
  readonly flags: WebhookConfigInput | Partial<Record<keyof WebhookConfigInput, unknown>>;
}

/** Reads the config file (if any), lays the flags over it, and validates the result in one place. */
export async function loadWebhookConfig(options: LoadWebhookConfigOptions): Promise<WebhookConfig> {
  const fromFile = options.configFile === undefined ? {} : await readConfigFile(options.configFile);
  const flags = Object.fromEntries(Object.entries(options.flags).filter(([, value]) => value !== undefined));
  return parseWebhookConfig({ ...fromFile, ...flags }, options.configFile ?? "the command line");
}

export function parseWebhookConfig(untrusted: unknown, source: string): WebhookConfig {
  const result = webhookConfigSchema.safeParse(untrusted);
  if (!result.success) {
    throw new SignetError("WEBHOOK_CONFIG_INVALID", `webhook configuration (${source}): ${formatIssues(result.error)}`, {
      details: { issues: result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })) },
    });
  }
  return toWebhookConfig(result.data);
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SignetError(code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot read --config ${path}: ${code ?? (error as Error).message}`);
  }
  if (bytes.length > CONFIG_MAX_BYTES) throw new SignetError("WEBHOOK_CONFIG_INVALID", `--config ${path} is larger than ${CONFIG_MAX_BYTES} bytes`);
  let value: unknown;
  try {
    value = parseYaml(bytes.toString("utf8"), { uniqueKeys: true, maxAliasCount: 0 });
  } catch (error) {
    throw new SignetError("WEBHOOK_CONFIG_INVALID", `--config ${path} is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  if (value === null || value === undefined) return {};
  if (!isRecord(value)) throw new SignetError("WEBHOOK_CONFIG_INVALID", `--config ${path}: the file must hold a mapping of settings`);
  return resolvePaths(value, dirname(resolve(path)));
}

function resolvePaths(config: Record<string, unknown>, base: string): Record<string, unknown> {
  const result = { ...config };
  const fix = (value: unknown): unknown => (typeof value === "string" && value !== "" && !isAbsolute(value) ? resolve(base, value) : value);
  for (const key of PATH_KEYS) {
    const value = result[key];
    if (value !== undefined) result[key] = Array.isArray(value) ? value.map(fix) : fix(value);
  }
  return result;
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.join(".");
      if (issue.code === "unrecognized_keys") return `unknown setting${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => (path ? `${path}.${k}` : k)).join(", ")}`;
      return path && !issue.message.startsWith(path) ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}
