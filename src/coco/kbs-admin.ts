/**
 * The KBS admin API as trustee's kbs-client uses it (tools/kbs-client/src/lib.rs): `config set-resource` POSTs
 * the resource bytes to `<kbs-url>/kbs/v0/resource/<repository>/<type>/<tag>` as application/octet-stream with
 * `Authorization: Bearer <admin token>`, and succeeds on 200. The admin token is either given (current trustee
 * reads it from a file) or minted as kbs-client did before trustee 0.17: a JWT, header {"typ":"JWT","alg":"EdDSA"},
 * claims {"exp": iat + 7200, "iat": now} in seconds, signed with the Ed25519 `--auth-private-key` whose public
 * half the KBS is configured with.
 */
import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import type { Dispatcher } from "undici";
import { SignetError } from "../errors/index.js";
import { boundedRequest } from "../internal/bounded-http.js";
import { kbsApiBase, parseKbsUri, parseKbsUrl, type KbsResourcePath } from "../policy/locations/kbs-location.js";

/** kbs-client's ADMIN_TOKEN_EXPIRY_SECS. */
export const ADMIN_TOKEN_LIFETIME_SECONDS = 7200;
/** A KBS answers a set-resource with an empty body; anything larger than this is not read. */
const ANSWER_MAX_BYTES = 64 * 1024;
/** The largest resource signet uploads (keys and policies are a few KiB). */
export const RESOURCE_MAX_BYTES = 8 * 1024 * 1024;

/** Reads the Ed25519 private key (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes it). */
export function parseAdminPrivateKey(pem: Buffer | string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (error) {
    throw new SignetError("KEY_INVALID", `the KBS admin key is not a PEM private key: ${(error as Error).message}`, {
      hint: "Give the Ed25519 private key whose public half the KBS admin API trusts (openssl genpkey -algorithm ed25519).",
      cause: error,
    });
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new SignetError("KEY_UNSUPPORTED", `the KBS admin key is ${key.asymmetricKeyType ?? "of an unknown type"}, not Ed25519`, {
      hint: "kbs-client signs admin tokens with EdDSA over an Ed25519 key (openssl genpkey -algorithm ed25519).",
    });
  }
  return key;
}

/** The admin JWT kbs-client minted: base64url(header).base64url(claims).base64url(Ed25519 signature). */
export function createAdminToken(key: KeyObject, now: Date = new Date()): string {
  const iat = Math.floor(now.getTime() / 1000);
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
  const signingInput = `${part({ typ: "JWT", alg: "EdDSA" })}.${part({ exp: iat + ADMIN_TOKEN_LIFETIME_SECONDS, iat })}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput, "ascii"), key).toString("base64url")}`;
}

/** `repository/type/tag` or `kbs:///repository/type/tag`, checked as the guest checks resource URIs. */
export function parseResourcePath(text: string): KbsResourcePath {
  return parseKbsUri(text.startsWith("kbs://") ? text : `kbs:///${text}`);
}

export interface SetResourceOptions {
  readonly kbsUrl: string;
  readonly resource: KbsResourcePath;
  readonly bytes: Buffer;
  /** The admin bearer token; undefined sends none (a KBS in InsecureAllowAll mode accepts that). */
  readonly adminToken: string | undefined;
  readonly dispatcher?: Dispatcher;
  readonly timeoutMs: number;
}

/** Uploads one resource; returns the URL it was stored at. */
export async function setKbsResource(options: SetResourceOptions): Promise<string> {
  const base = parseKbsUrl(options.kbsUrl);
  if (options.bytes.length > RESOURCE_MAX_BYTES) throw new SignetError("USAGE", `the resource is ${options.bytes.length} bytes; at most ${RESOURCE_MAX_BYTES} are uploaded`);
  const { repository, type, tag } = options.resource;
  const url = `${kbsApiBase(base)}/resource/${repository}/${type}/${tag}`;
  const headers: Record<string, string> = { "content-type": "application/octet-stream" };
  if (options.adminToken !== undefined) headers["authorization"] = `Bearer ${options.adminToken}`;
  try {
    await boundedRequest(url, {
      method: "POST",
      headers,
      body: options.bytes,
      dispatcher: options.dispatcher,
      maxBytes: ANSWER_MAX_BYTES,
      timeoutMs: options.timeoutMs,
      what: `the KBS resource ${repository}/${type}/${tag}`,
      code: "KBS_ADMIN_REJECTED",
    });
  } catch (error) {
    if (!SignetError.is(error)) throw error;
    const status = error.details["status"];
    const why =
      status === 401 || status === 403
        ? "the KBS did not accept the admin token"
        : status === undefined
          ? error.message
          : `the KBS answered ${String(status)}`;
    throw new SignetError("KBS_ADMIN_REJECTED", `cannot set ${repository}/${type}/${tag} at ${base.origin}: ${why}`, {
      details: { ...error.details },
      cause: error,
    });
  }
  return url;
}
