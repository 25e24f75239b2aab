import { existsSync, readFileSync, statSync } from "node:fs";
import { SignetError } from "../errors/index.js";
import type { ImageAccess, ImageAccessOptions } from "../oci/image-access.js";
import type { Repository } from "../oci/repository.js";
import type { CommandContext, OptionSpec, OutputFormat } from "./command.js";
import { createHelperAwareCredentialStore } from "./credential-helpers.js";

/** cosign's persistent flags: every command takes them. */
export const GLOBAL_OPTIONS: OptionSpec = {
  "output-file": { type: "string", value: "FILE", description: "write what the command prints on stdout to FILE instead (as cosign)" },
  timeout: { type: "string", short: "t", value: "DURATION", description: "time limit of each registry or network request, e.g. 30s, 2m (cosign: 3m0s for the whole command)" },
  verbose: { type: "boolean", short: "d", description: "accepted for cosign command lines; signet has no debug log (errors carry their details)" },
};

/** Options every command that talks to registries takes (cosign's names). */
export const REGISTRY_OPTIONS: OptionSpec = {
  "allow-http-registry": { type: "boolean", description: "allow plain HTTP to registries that are not on loopback" },
  "allow-insecure-registry": { type: "boolean", description: "skip TLS certificate checks of registries (testing only)" },
  "registry-cacert": { type: "string", multiple: true, value: "FILE", description: "a PEM CA certificate to trust for registries" },
  timeout: GLOBAL_OPTIONS["timeout"]!,
  "registry-token": { type: "string", value: "TOKEN", description: "a bearer token sent to every registry the command talks to, as it is (no token exchange)" },
  "registry-username": { type: "string", value: "USER", description: "registry user name, for every registry the command talks to (with --registry-password)" },
  "registry-password": { type: "string", value: "PASSWORD", description: "registry password (visible to other local users in the process list: prefer docker login)" },
};

const OUTPUT_FORMAT: OptionSpec[string] = {
  type: "string",
  value: "text|json",
  choices: ["text", "json"],
  default: "text",
  description: "signet's report: text on stderr, or one JSON document on stdout (errors included, with their code)",
};

/**
 * `--output-format`, signet's report format, for the commands where cosign has no `-o/--output`: there `-o json`
 * and `--output json` are also accepted (signet's earlier spelling).
 */
export const OUTPUT_OPTION: OptionSpec = {
  "output-format": OUTPUT_FORMAT,
  output: { type: "string", short: "o", aliasOf: "output-format", hidden: true },
};

/** `--output-format` alone, for commands where cosign gives `-o`/`--output` another meaning. */
export const OUTPUT_FORMAT_OPTION: OptionSpec = { "output-format": OUTPUT_FORMAT };

/** verify and verify-attestation: cosign's -o/--output (what is printed on stdout) and signet's --output-format. */
export const COSIGN_VERIFY_OUTPUT_OPTIONS: OptionSpec = {
  output: { type: "string", short: "o", value: "json|text", choices: ["json", "text"], default: "json", description: "how the verified payloads are printed on stdout (cosign's -o)" },
  "output-format": { ...OUTPUT_FORMAT, description: "text: cosign's output (-o) and a summary on stderr; json: signet's report on stdout instead of the payloads" },
};

export function cosignOutput(context: CommandContext): "json" | "text" {
  return context.values["output"] === "text" ? "text" : "json";
}

/** cosign's --max-workers (default 10): how many images are processed at once. */
export function maxWorkers(context: CommandContext, defaultValue = 10): number {
  const text = stringOption(context, "max-workers");
  if (text === undefined) return defaultValue;
  if (!/^[1-9]\d{0,3}$/.test(text)) throw new SignetError("USAGE", `--max-workers takes a number from 1 to 9999, not ${JSON.stringify(text)}`);
  return Number(text);
}

export function outputFormat(context: CommandContext): OutputFormat {
  const value = context.values["output-format"] ?? "text";
  if (value !== "text" && value !== "json") throw new SignetError("USAGE", `--output-format must be text or json, not ${JSON.stringify(value)}`);
  return value;
}

/** A boolean flag, with the default the command applies when it is absent (cosign's default). */
export function booleanOption(context: CommandContext, name: string, defaultValue: boolean): boolean {
  const value = context.values[name];
  return typeof value === "boolean" ? value : defaultValue;
}

export function registryOptions(context: CommandContext): ImageAccessOptions {
  const cacerts = (context.values["registry-cacert"] as string[] | undefined) ?? [];
  const username = stringOption(context, "registry-username");
  const password = stringOption(context, "registry-password");
  const token = stringOption(context, "registry-token");
  if ((username === undefined) !== (password === undefined)) throw new SignetError("USAGE", "--registry-username and --registry-password go together");
  if (token !== undefined && username !== undefined) throw new SignetError("OPTION_CONFLICT", "give --registry-token or --registry-username/--registry-password, not both");
  if (token === "") throw new SignetError("USAGE", "--registry-token is empty");
  return {
    // cosign's flags: the same credentials for every registry, instead of the auth files. A registry token is sent
    // as the bearer token itself (go-containerregistry's RegistryToken).
    credentials:
      token !== undefined
        ? { get: async () => ({ registryToken: token }) }
        : username !== undefined && password !== undefined
          ? { get: async () => ({ username, password }) }
          : createHelperAwareCredentialStore(context.io.env),
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

/** A small input file read whole (a payload, a signature), refused before reading when larger than `limit`. */
export function readFileBounded(path: string, what: string, limit: number): Buffer {
  try {
    const info = statSync(path);
    if (!info.isFile()) throw new SignetError("USAGE", `${what} ${path} is not a regular file`);
    if (info.size > limit) throw new SignetError("SIZE_LIMIT_EXCEEDED", `${what} ${path} is ${info.size} bytes; at most ${limit} are read`, { details: { size: info.size, limit } });
    return readFileSync(path);
  } catch (error) {
    if (SignetError.is(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new SignetError(code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot read ${what} ${path}: ${code ?? (error as Error).message}`);
  }
}

/**
 * cosign's COSIGN_REPOSITORY: signatures (and attestations) are written to and read from this repository instead
 * of the image's. The payload still names the image's repository.
 */
export async function signatureRepositoryFrom(context: CommandContext, access: ImageAccess): Promise<Repository | undefined> {
  const name = context.io.env["COSIGN_REPOSITORY"];
  if (name === undefined || name === "") return undefined;
  const { parseImageLocation } = await import("../oci/reference/index.js");
  let location;
  try {
    location = parseImageLocation(name);
  } catch (error) {
    throw new SignetError("USAGE", `COSIGN_REPOSITORY=${JSON.stringify(name)} is not a repository name: ${(error as Error).message}`, { hint: "Set it to a repository such as registry.example/org/signatures, or unset it." });
  }
  if (location.transport === "docker" && /@|:[^/]*$/.test(name.slice(Math.max(0, name.indexOf("/"))))) {
    throw new SignetError("USAGE", `COSIGN_REPOSITORY=${JSON.stringify(name)} names a tag or digest: give the repository only`);
  }
  return access.repositoryFor(location);
}

/** cosign's --signature: a file holding the signature (base64 or raw), or the base64 text itself. */
export function readSignatureArgument(value: string): Buffer {
  if (/^[A-Za-z0-9+/]{16,}={0,2}$/.test(value) && !existsSync(value)) return Buffer.from(value);
  return readFileBounded(value, "the signature", 64 * 1024);
}
