import { readFileSync } from "node:fs";
import { SignetError } from "../errors/index.js";
import type { ImageAccessOptions } from "../oci/image-access.js";
import type { CommandContext, OptionSpec, OutputFormat } from "./command.js";

/** Options every command that talks to registries takes (cosign's names). */
export const REGISTRY_OPTIONS: OptionSpec = {
  "allow-http-registry": { type: "boolean" },
  "allow-insecure-registry": { type: "boolean" },
  "registry-cacert": { type: "string", multiple: true },
  timeout: { type: "string" },
};

export const OUTPUT_OPTION: OptionSpec = { output: { type: "string", short: "o" } };

export function outputFormat(context: CommandContext): OutputFormat {
  const value = context.values["output"] ?? "text";
  if (value !== "text" && value !== "json") throw new SignetError("USAGE", `--output must be text or json, not ${JSON.stringify(value)}`);
  return value;
}

export function registryOptions(context: CommandContext): ImageAccessOptions {
  const cacerts = (context.values["registry-cacert"] as string[] | undefined) ?? [];
  return {
    allowHttpRegistry: context.values["allow-http-registry"] === true,
    allowInsecureRegistry: context.values["allow-insecure-registry"] === true,
    caCertificates: cacerts.map((path) => readTextFile(path, "--registry-cacert")),
    timeoutMs: parseDurationMs(stringOption(context, "timeout")),
  };
}

export function stringOption(context: CommandContext, name: string): string | undefined {
  const value = context.values[name];
  return typeof value === "string" ? value : undefined;
}

export function requireString(context: CommandContext, name: string): string {
  const value = stringOption(context, name);
  if (value === undefined || value === "") throw new SignetError("USAGE", `--${name} is required`);
  return value;
}

/** Parses repeated `-a key=value` options. */
export function keyValueOptions(context: CommandContext, name: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of (context.values[name] as string[] | undefined) ?? []) {
    const at = item.indexOf("=");
    if (at <= 0) throw new SignetError("USAGE", `--${name} takes key=value, not ${JSON.stringify(item)}`);
    result[item.slice(0, at)] = item.slice(at + 1);
  }
  return result;
}

/** "30s", "2m", "500ms" or plain seconds. */
export function parseDurationMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!match) throw new SignetError("USAGE", `invalid duration ${JSON.stringify(text)}: use e.g. 30s, 2m or 500ms`);
  const value = Number(match[1]);
  const unit = match[2] ?? "s";
  return Math.round(unit === "ms" ? value : unit === "s" ? value * 1000 : value * 60_000);
}

export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SignetError(code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot read ${what} ${path}: ${code ?? (error as Error).message}`);
  }
}
