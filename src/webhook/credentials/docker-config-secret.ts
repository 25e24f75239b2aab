/**
 * Registry credentials in a Kubernetes Secret: `kubernetes.io/dockerconfigjson` (`.dockerconfigjson`, a
 * docker config.json with `auths`) and the legacy `kubernetes.io/dockercfg` (`.dockercfg`, the `auths`
 * object itself). Other secret types hold no pull credentials.
 */
import { SignetError } from "../../errors/index.js";
import { isRecord, parseJsonBytes } from "../../internal/strict-json.js";
import { decodeAuthEntry, normalizeAuthKey, type RegistryCredentials } from "../../oci/registry/credentials.js";
import { decodeBase64Strict } from "../../internal/base64.js";

/** Normalised registry key ("host" or "host/path") to credentials. */
export type PullSecretAuths = ReadonlyMap<string, RegistryCredentials>;

/** A secret's registries are a few; more is refused. */
export const REGISTRIES_PER_SECRET_MAX = 256;

/** Parses the Secret object the API returned. Throws PULL_SECRET_INVALID when it holds no usable credentials. */
export function parsePullSecret(untrustedBytes: Buffer, label: string): PullSecretAuths {
  const secret = parseJsonBytes(untrustedBytes, `secret ${label}`, "PULL_SECRET_INVALID");
  if (!isRecord(secret)) throw invalid(label, "the API answer is not an object");
  const type = secret["type"];
  const data = isRecord(secret["data"]) ? secret["data"] : {};
  let auths: unknown;
  if (type === "kubernetes.io/dockerconfigjson") {
    const config = decodeJson(data[".dockerconfigjson"], label, ".dockerconfigjson");
    auths = isRecord(config) ? config["auths"] : undefined;
  } else if (type === "kubernetes.io/dockercfg") {
    auths = decodeJson(data[".dockercfg"], label, ".dockercfg");
  } else {
    throw invalid(label, `its type is ${JSON.stringify(type)}, not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg`);
  }
  if (!isRecord(auths)) throw invalid(label, "it has no auths object");
  const entries = Object.entries(auths);
  if (entries.length > REGISTRIES_PER_SECRET_MAX) throw invalid(label, `it names ${entries.length} registries; at most ${REGISTRIES_PER_SECRET_MAX} are read`);
  const result = new Map<string, RegistryCredentials>();
  for (const [key, entry] of entries) {
    const credentials = decodeAuthEntry(entry);
    if (credentials === undefined) continue;
    const normalized = normalizeAuthKey(key);
    // Exact keys win over legacy spellings (https://host/v1/) of the same registry.
    if (key === normalized || !result.has(normalized)) result.set(normalized, credentials);
  }
  return result;
}

function decodeJson(value: unknown, label: string, key: string): unknown {
  const bytes = typeof value === "string" ? decodeBase64Strict(value) : undefined;
  if (bytes === undefined) throw invalid(label, `${key} is missing or not base64`);
  return parseJsonBytes(bytes, `${key} of secret ${label}`, "PULL_SECRET_INVALID");
}

function invalid(label: string, problem: string): SignetError {
  return new SignetError("PULL_SECRET_INVALID", `pull secret ${label} holds no registry credentials: ${problem}`, { details: { secret: label } });
}
