/**
 * Confidential Containers Key Broker Service resources: `kbs:///<repository>/<type>/<tag>` names a resource that a
 * KBS serves at `<kbs-url>/kbs/v0/resource/<repository>/<type>/<tag>`. The KBS address comes from configuration
 * (as in the guest components), never from the URI, so a policy cannot send requests to a host it names.
 */
import type { Dispatcher } from "undici";
import { SignetError } from "../../errors/index.js";
import { join } from "node:path";
import { boundedGet } from "./bounded-get.js";
import { readFileLocation } from "./file-location.js";

export interface KbsResourcePath {
  readonly repository: string;
  readonly type: string;
  readonly tag: string;
}

export const KBS_SCHEME = "kbs://";
const COMPONENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Parses `kbs:///repo/type/tag` (an authority, as in `kbs://host/repo/type/tag`, is allowed and ignored). */
export function parseKbsUri(uri: string): KbsResourcePath {
  if (!uri.startsWith(KBS_SCHEME)) throw invalid(uri, `it does not start with ${KBS_SCHEME}`);
  const rest = uri.slice(KBS_SCHEME.length);
  const slash = rest.indexOf("/");
  if (slash === -1) throw invalid(uri, "the resource path is missing");
  const parts = rest.slice(slash + 1).split("/");
  if (parts.length !== 3) throw invalid(uri, `the resource path has ${parts.length} parts; it must be <repository>/<type>/<tag>`);
  for (const part of parts) {
    if (!COMPONENT.test(part) || part.length > 255) throw invalid(uri, `${JSON.stringify(part)} is not a valid resource path component`);
  }
  const [repository, type, tag] = parts as [string, string, string];
  return { repository, type, tag };
}

export interface KbsOptions {
  /** The KBS base URL, e.g. http://127.0.0.1:8080. */
  readonly kbsUrl: string | undefined;
  /**
   * A directory holding copies of the resources, as `<dir>/<repository>/<type>/<tag>` (the layout of trustee's
   * LocalFs resource storage, and of what `signet kbs set-resource --mirror` keeps). Read instead of the KBS.
   */
  readonly mirror?: string;
  /** A token the KBS accepts for this resource, sent as `Authorization: Bearer`. */
  readonly resourceToken?: string;
  readonly dispatcher?: Dispatcher;
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

const ATTESTATION_HINT =
  "A KBS releases resources only to a guest that passed remote attestation, encrypted to that guest's key. Outside the guest, pass --kbs-mirror DIR (a copy of the resources: DIR/<repository>/<type>/<tag>), or --kbs-url URL with --kbs-resource-token FILE for a KBS that serves the resource to that token in plain.";

/**
 * Reads the resource: from the mirror directory when one is given, else from the configured KBS (bounded, 200
 * only, with the resource token when given). A KBS that answers 401/403 is explained as the attestation it wants.
 */
export async function readKbsResource(uri: string, options: KbsOptions): Promise<Buffer> {
  const resource = parseKbsUri(uri);
  if (options.mirror !== undefined && options.mirror !== "") {
    return readFileLocation(join(options.mirror, resource.repository, resource.type, resource.tag), { maxBytes: options.maxBytes, what: `KBS resource ${uri} (mirror)` });
  }
  if (options.kbsUrl === undefined || options.kbsUrl === "") {
    throw new SignetError("KBS_ATTESTATION_REQUIRED", `${uri} is a KBS resource, and no KBS URL or mirror is configured: a KBS serves resources only to an attested guest`, {
      hint: ATTESTATION_HINT,
      details: { uri },
    });
  }
  const base = parseKbsUrl(options.kbsUrl);
  const url = `${kbsApiBase(base)}/resource/${resource.repository}/${resource.type}/${resource.tag}`;
  let bytes: Buffer;
  try {
    bytes = await boundedGet(url, {
      dispatcher: options.dispatcher,
      maxBytes: options.maxBytes,
      timeoutMs: options.timeoutMs,
      what: `KBS resource ${uri}`,
      ...(options.resourceToken === undefined ? {} : { headers: { authorization: `Bearer ${options.resourceToken}` } }),
    });
  } catch (error) {
    const status = SignetError.is(error) ? error.details["status"] : undefined;
    if (status === 401 || status === 403) {
      throw new SignetError("KBS_ATTESTATION_REQUIRED", `the KBS refused ${uri} (${String(status)}): it serves resources only to an attested guest${options.resourceToken === undefined ? "" : ", and did not accept the resource token"}`, {
        hint: ATTESTATION_HINT,
        details: { uri, status },
        cause: error,
      });
    }
    throw error;
  }
  if (isEncryptedKbsResponse(bytes)) {
    throw new SignetError("KBS_ATTESTATION_REQUIRED", `the KBS answered ${uri} with a resource encrypted to the attested guest's key (a JWE), which only that guest can read`, {
      hint: ATTESTATION_HINT,
      details: { uri },
    });
  }
  return bytes;
}

/** The KBS base URL: http:// or https://, else USAGE. */
export function parseKbsUrl(text: string): URL {
  let base: URL;
  try {
    base = new URL(text);
  } catch {
    throw new SignetError("USAGE", `the KBS URL ${JSON.stringify(text)} is not a URL`, { hint: "Write the KBS address, e.g. http://10.0.0.5:8080." });
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new SignetError("USAGE", `the KBS URL must be http:// or https://, not ${base.protocol}`);
  return base;
}

/** `<kbs-url>/kbs/v0`, the prefix of every KBS API route (trustee's KBS_URL_PREFIX). */
export function kbsApiBase(base: URL): string {
  const prefix = base.href.endsWith("/") ? base.href.slice(0, -1) : base.href;
  return `${prefix}/kbs/v0`;
}

/** kbs_types::Response: the JWE (protected, encrypted_key, iv, ciphertext, tag) a KBS wraps a resource in. */
function isEncryptedKbsResponse(bytes: Buffer): boolean {
  if (bytes.length === 0 || bytes[0] !== 0x7b) return false;
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    return typeof value === "object" && value !== null && "ciphertext" in value && "protected" in value && ("encrypted_key" in value || "iv" in value);
  } catch {
    return false;
  }
}

function invalid(uri: string, problem: string): SignetError {
  return new SignetError("POLICY_KEY_UNREADABLE", `invalid KBS resource URI ${JSON.stringify(uri.slice(0, 200))}: ${problem}`, {
    hint: "Write a KBS resource as kbs:///<repository>/<type>/<tag>, e.g. kbs:///default/cosign-public-key/production.",
  });
}
