/**
 * Confidential Containers Key Broker Service resources: `kbs:///<repository>/<type>/<tag>` names a resource that a
 * KBS serves at `<kbs-url>/kbs/v0/resource/<repository>/<type>/<tag>`. The KBS address comes from configuration
 * (as in the guest components), never from the URI, so a policy cannot send requests to a host it names.
 */
import type { Dispatcher } from "undici";
import { SignetError } from "../../errors/index.js";
import { boundedGet } from "./bounded-get.js";

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
  /** The KBS base URL, e.g. http://127.0.0.1:8080; required to read kbs:// locations. */
  readonly kbsUrl: string | undefined;
  readonly dispatcher?: Dispatcher;
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/** GETs the resource from the configured KBS (bounded, 200 only). */
export async function readKbsResource(uri: string, options: KbsOptions): Promise<Buffer> {
  const resource = parseKbsUri(uri);
  if (options.kbsUrl === undefined || options.kbsUrl === "") {
    throw new SignetError("POLICY_KEY_UNREADABLE", `${uri} is a KBS resource, but no KBS URL is configured`, {
      hint: "Pass --kbs-url URL (or set SIGNET_KBS_URL) to read kbs:/// locations.",
    });
  }
  let base: URL;
  try {
    base = new URL(options.kbsUrl);
  } catch {
    throw new SignetError("USAGE", `the KBS URL ${JSON.stringify(options.kbsUrl)} is not a URL`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new SignetError("USAGE", `the KBS URL must be http:// or https://, not ${base.protocol}`);
  const prefix = base.href.endsWith("/") ? base.href.slice(0, -1) : base.href;
  const url = `${prefix}/kbs/v0/resource/${resource.repository}/${resource.type}/${resource.tag}`;
  return boundedGet(url, { dispatcher: options.dispatcher, maxBytes: options.maxBytes, timeoutMs: options.timeoutMs, what: `KBS resource ${uri}` });
}

function invalid(uri: string, problem: string): SignetError {
  return new SignetError("POLICY_KEY_UNREADABLE", `invalid KBS resource URI ${JSON.stringify(uri.slice(0, 200))}: ${problem}`, {
    hint: "Write a KBS resource as kbs:///<repository>/<type>/<tag>, e.g. kbs:///default/cosign-public-key/production.",
  });
}
