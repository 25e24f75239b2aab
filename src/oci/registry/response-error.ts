import { SignetError, type ErrorCode } from "../../errors/index.js";
import { isRecord } from "../../internal/strict-json.js";
import { describeUrl, redactSecrets } from "./redact.js";
import { LIMITS } from "../../internal/limits.js";

/** One entry of the distribution spec's error body `{"errors":[{"code","message","detail"}]}`. */
export interface RegistryErrorEntry {
  readonly code: string;
  readonly message: string;
}

const MAX_ERROR_ENTRIES = LIMITS.errorEntries;
const MAX_MESSAGE_LENGTH = LIMITS.errorMessageLength;
const NOT_FOUND_CODES = new Set(["MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "NAME_UNKNOWN", "BLOB_UPLOAD_UNKNOWN"]);

/** Parses an error body (the caller caps it at LIMITS.errorBodyBytes); an empty list when it is not the spec's JSON. */
export function parseRegistryErrors(untrustedBody: Buffer): RegistryErrorEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(untrustedBody.toString("utf8"));
  } catch {
    return [];
  }
  if (!isRecord(parsed) || !Array.isArray(parsed.errors)) return [];
  const entries: RegistryErrorEntry[] = [];
  for (const item of parsed.errors.slice(0, MAX_ERROR_ENTRIES)) {
    if (!isRecord(item)) continue;
    const code = typeof item.code === "string" ? item.code.slice(0, 100) : "UNKNOWN";
    const message = typeof item.message === "string" ? item.message.slice(0, MAX_MESSAGE_LENGTH) : "";
    entries.push({ code, message });
  }
  return entries;
}

export interface ErrorResponse {
  readonly status: number;
  readonly url: URL;
  readonly method: string;
  /** At most LIMITS.errorBodyBytes of the body. */
  readonly body: Buffer;
}

/**
 * Turns an error answer into a SignetError: 401 -> REGISTRY_UNAUTHORIZED, 403/DENIED -> REGISTRY_DENIED,
 * 404/*_UNKNOWN -> REGISTRY_NOT_FOUND, 429/TOOMANYREQUESTS -> REGISTRY_TOO_MANY_REQUESTS, anything else REGISTRY_ERROR.
 * The registry's own messages are kept (redacted, shortened) in the message and details.
 */
export function registryErrorFromResponse(response: ErrorResponse, what: string, secrets: readonly string[] = []): SignetError {
  const entries = parseRegistryErrors(response.body).map((entry) => ({
    code: redactSecrets(entry.code, secrets),
    message: redactSecrets(entry.message, secrets),
  }));
  const codes = new Set(entries.map((entry) => entry.code));
  const code = errorCodeFor(response.status, codes);
  const registryMessage =
    entries.length > 0
      ? entries.map((entry) => (entry.message === "" ? entry.code : `${entry.code}: ${entry.message}`)).join("; ")
      : plainTextSummary(response.body, secrets);
  const summary = registryMessage === "" ? "" : `: ${registryMessage}`;
  return new SignetError(code, `${what} failed with HTTP ${response.status}${summary}`, {
    details: {
      status: response.status,
      method: response.method,
      url: describeUrl(response.url),
      ...(entries.length > 0 ? { errors: entries } : {}),
    },
  });
}

/**
 * Whether an error answer means "there is no such thing" (REGISTRY_NOT_FOUND), by the same rule as
 * registryErrorFromResponse, without building the error: a 404 carrying DENIED or UNAUTHORIZED is a refusal.
 */
export function isNotFoundAnswer(status: number, untrustedBody: Buffer): boolean {
  return errorCodeFor(status, new Set(parseRegistryErrors(untrustedBody).map((entry) => entry.code))) === "REGISTRY_NOT_FOUND";
}

function errorCodeFor(status: number, codes: ReadonlySet<string>): ErrorCode {
  if (status === 401 || codes.has("UNAUTHORIZED")) return "REGISTRY_UNAUTHORIZED";
  if (status === 403 || codes.has("DENIED")) return "REGISTRY_DENIED";
  if (status === 404 || [...codes].some((code) => NOT_FOUND_CODES.has(code))) return "REGISTRY_NOT_FOUND";
  if (status === 429 || codes.has("TOOMANYREQUESTS")) return "REGISTRY_TOO_MANY_REQUESTS";
  return "REGISTRY_ERROR";
}

/** The first line of a non-JSON body, if it is short printable text (a proxy's "502 Bad Gateway", not an HTML page). */
function plainTextSummary(body: Buffer, secrets: readonly string[]): string {
  const text = body.subarray(0, 200).toString("utf8").split("\n")[0]!.trim();
  if (text === "" || text.startsWith("<") || !/^[\x20-\x7e]+$/.test(text)) return "";
  return redactSecrets(text, secrets);
}
