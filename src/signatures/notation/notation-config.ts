/**
 * notation's configuration directory, read and written in notation's own formats so an existing setup works
 * unchanged: `$XDG_CONFIG_HOME/notation` (else `~/.config/notation`) with `config.json`, `signingkeys.json`,
 * `localkeys/`, `trustpolicy.oci.json` (or the older `trustpolicy.json`), `trustpolicy.blob.json` and
 * `truststore/x509/{ca,signingAuthority,tsa}/NAME/`.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { SignetError } from "../../errors/index.js";
import { isRecord } from "../../internal/strict-json.js";
import { parseBlobTrustPolicy, parseTrustPolicy, type TrustPolicyDocument } from "./trust-policy.js";
import { parseSignedJson } from "../../internal/json-reader.js";

const MAX_CONFIG_BYTES = 1024 * 1024;

export function notationConfigDir(env: NodeJS.ProcessEnv): string {
  const base = env["XDG_CONFIG_HOME"] !== undefined && env["XDG_CONFIG_HOME"] !== "" ? env["XDG_CONFIG_HOME"] : join(env["HOME"] ?? homedir(), ".config");
  return join(base, "notation");
}

export interface SigningKeyEntry {
  readonly name: string;
  readonly keyPath?: string;
  readonly certPath?: string;
  /** Plugin keys (signet cannot run notation plugins, but keeps the entries). */
  readonly id?: string;
  readonly pluginName?: string;
  readonly pluginConfig?: Readonly<Record<string, string>>;
}

export interface SigningKeys {
  readonly default?: string;
  readonly keys: readonly SigningKeyEntry[];
}

function configInvalid(path: string, message: string): never {
  throw new SignetError("NOTATION_CONFIG_INVALID", `${path}: ${message}`, { details: { path } });
}

/** Reads a JSON file of the configuration; undefined when it does not exist. */
export function readConfigJson(path: string): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new SignetError("IO_ERROR", `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (bytes.length > MAX_CONFIG_BYTES) configInvalid(path, `larger than ${MAX_CONFIG_BYTES} bytes`);
  return parseSignedJson(bytes, path, "NOTATION_CONFIG_INVALID");
}

export function parseSigningKeys(document: unknown, path: string): SigningKeys {
  if (document === undefined) return { keys: [] };
  if (!isRecord(document) || !Array.isArray(document["keys"] ?? [])) configInvalid(path, 'expected {"default": NAME, "keys": [...]}');
  const keys: SigningKeyEntry[] = [];
  const names = new Set<string>();
  for (const entry of (document["keys"] as unknown[] | undefined) ?? []) {
    if (!isRecord(entry) || typeof entry["name"] !== "string" || entry["name"] === "") configInvalid(path, "every key needs a name");
    const name = entry["name"];
    if (names.has(name)) configInvalid(path, `signing key name "${name}" is used more than once (malformed signingkeys.json)`);
    names.add(name);
    const local = typeof entry["keyPath"] === "string" && typeof entry["certPath"] === "string";
    const plugin = typeof entry["id"] === "string" && typeof entry["pluginName"] === "string";
    if (local === plugin) configInvalid(path, `signing key "${name}" must have either keyPath and certPath, or id and pluginName`);
    keys.push(entry as unknown as SigningKeyEntry);
  }
  const defaultName = document["default"];
  if (defaultName !== undefined && (typeof defaultName !== "string" || !names.has(defaultName))) configInvalid(path, `the default signing key "${String(defaultName)}" is not one of the keys`);
  return defaultName === undefined ? { keys } : { default: defaultName, keys };
}

export function readSigningKeys(dir: string): SigningKeys {
  const path = join(dir, "signingkeys.json");
  return parseSigningKeys(readConfigJson(path), path);
}

export interface NotationConfig {
  readonly signatureFormat: "jws" | "cose";
  readonly insecureRegistries: readonly string[];
}

export function readNotationConfig(dir: string): NotationConfig {
  const path = join(dir, "config.json");
  const document = readConfigJson(path) ?? {};
  if (!isRecord(document)) configInvalid(path, "not a JSON object");
  const format = document["signatureFormat"] ?? "jws";
  if (format !== "jws" && format !== "cose") configInvalid(path, `signatureFormat must be "jws" or "cose", not ${JSON.stringify(format)}`);
  const insecure = document["insecureRegistries"] ?? [];
  if (!Array.isArray(insecure) || !insecure.every((item) => typeof item === "string")) configInvalid(path, "insecureRegistries must be a list of registries");
  return { signatureFormat: format, insecureRegistries: insecure as string[] };
}

/** The OCI trust policy: trustpolicy.oci.json, else trustpolicy.json (notation >= 1.2 reads them in that order). */
export function ociTrustPolicyPath(dir: string): string | undefined {
  for (const name of ["trustpolicy.oci.json", "trustpolicy.json"]) {
    const path = join(dir, name);
    if (readConfigJson(path) !== undefined) return path;
  }
  return undefined;
}

export function loadOciTrustPolicy(dir: string): { path: string; policy: TrustPolicyDocument } {
  const path = ociTrustPolicyPath(dir);
  if (path === undefined) {
    throw new SignetError("NOTATION_POLICY_INVALID", `no trust policy in ${dir} (trustpolicy.oci.json or trustpolicy.json)`, {
      hint: "Write one with `signet notation policy init` or import one with `signet notation policy import FILE`.",
    });
  }
  return { path, policy: parseTrustPolicy(readConfigJson(path)) };
}

export function loadBlobTrustPolicy(dir: string): { path: string; policy: TrustPolicyDocument } {
  const path = join(dir, "trustpolicy.blob.json");
  const document = readConfigJson(path);
  if (document === undefined) {
    throw new SignetError("NOTATION_POLICY_INVALID", `no blob trust policy at ${path}`, { hint: "Import one with `signet notation policy import --blob FILE`." });
  }
  return { path, policy: parseBlobTrustPolicy(document) };
}
