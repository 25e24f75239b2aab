/**
 * The OIDC identity token a keyless signature is issued for, from (in this order) `--identity-token` (the token,
 * or a file holding it), SIGSTORE_ID_TOKEN, or GitHub Actions' ambient credentials (ACTIONS_ID_TOKEN_REQUEST_URL
 * and ACTIONS_ID_TOKEN_REQUEST_TOKEN, with the audience "sigstore"). The token is not verified here: Fulcio does
 * that. Its claims are read only to say who will sign and to make the proof of possession.
 */
import { existsSync, readFileSync } from "node:fs";
import { SignetError } from "../errors/index.js";
import { requestJson } from "./http-json.js";
import { LIMITS } from "../internal/limits.js";

export interface IdentityToken {
  readonly token: string;
  /** Where it came from, for messages. */
  readonly source: "--identity-token" | "SIGSTORE_ID_TOKEN" | "GitHub Actions";
  readonly issuer: string;
  /** What Fulcio binds the certificate to, and what the proof of possession signs: the email, else `sub`. */
  readonly subject: string;
  readonly expiresAt?: Date;
}

export interface IdentityTokenOptions {
  /** `--identity-token`: the token itself, or the path of a file holding it. */
  readonly flag?: string;
  readonly env: NodeJS.ProcessEnv;
  /** The audience to ask GitHub Actions for; default "sigstore". */
  readonly audience?: string;
  readonly now?: Date;
}

const MAX_TOKEN_LENGTH = LIMITS.identityTokenBytes;

export async function resolveIdentityToken(options: IdentityTokenOptions): Promise<IdentityToken> {
  if (options.flag !== undefined && options.flag !== "") return parseIdentityToken(readTokenFlag(options.flag), "--identity-token", options.now);
  const fromEnv = options.env["SIGSTORE_ID_TOKEN"];
  if (fromEnv !== undefined && fromEnv !== "") return parseIdentityToken(fromEnv.trim(), "SIGSTORE_ID_TOKEN", options.now);
  const requestUrl = options.env["ACTIONS_ID_TOKEN_REQUEST_URL"];
  const requestToken = options.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"];
  if (requestUrl !== undefined && requestToken !== undefined && requestUrl !== "" && requestToken !== "") {
    return parseIdentityToken(await fetchGithubActionsToken(requestUrl, requestToken, options.audience ?? "sigstore"), "GitHub Actions", options.now);
  }
  throw new SignetError("OIDC_TOKEN_MISSING", "keyless signing needs an OIDC identity token, and none was found");
}

function readTokenFlag(flag: string): string {
  // cosign accepts the token or a path to a file with it; a JWT never names an existing file.
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(flag) && existsSync(flag)) {
    const text = readFileSync(flag, "utf8");
    if (text.length > MAX_TOKEN_LENGTH) throw new SignetError("OIDC_TOKEN_INVALID", `the identity token file ${flag} is larger than ${MAX_TOKEN_LENGTH} bytes`);
    return text.trim();
  }
  return flag.trim();
}

async function fetchGithubActionsToken(requestUrl: string, requestToken: string, audience: string): Promise<string> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    throw new SignetError("OIDC_TOKEN_INVALID", "ACTIONS_ID_TOKEN_REQUEST_URL is not a URL");
  }
  url.searchParams.set("audience", audience);
  const { body } = await requestJson(
    { url, method: "GET", headers: { authorization: `bearer ${requestToken}` }, maxBytes: MAX_TOKEN_LENGTH },
    { name: "the GitHub Actions token service", code: "OIDC_TOKEN_MISSING" },
  );
  const value = (body as { value?: unknown }).value;
  if (typeof value !== "string" || value === "") throw new SignetError("OIDC_TOKEN_INVALID", "the GitHub Actions token service answered without a token");
  return value;
}

/** Reads the claims of a JWT without verifying it (Fulcio verifies it); rejects tokens that cannot be used. */
export function parseIdentityToken(token: string, source: IdentityToken["source"], now: Date = new Date()): IdentityToken {
  if (token.length > MAX_TOKEN_LENGTH) throw new SignetError("OIDC_TOKEN_INVALID", `the identity token from ${source} is too long`);
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p, i) => i < 2 && p === "")) throw new SignetError("OIDC_TOKEN_INVALID", `the identity token from ${source} is not a JWT`);
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new SignetError("OIDC_TOKEN_INVALID", `the identity token from ${source} has unreadable claims`);
  }
  if (typeof claims !== "object" || claims === null) throw new SignetError("OIDC_TOKEN_INVALID", `the identity token from ${source} has unreadable claims`);
  const { iss, sub, email, email_verified: emailVerified, exp } = claims;
  if (typeof iss !== "string" || iss === "") throw new SignetError("OIDC_TOKEN_INVALID", `the identity token from ${source} has no issuer (iss)`);
  let subject: string;
  if (typeof email === "string" && email !== "") {
    if (emailVerified === false) throw new SignetError("OIDC_TOKEN_INVALID", `the identity token from ${source} names the unverified email ${email}`);
    subject = email;
  } else if (typeof sub === "string" && sub !== "") {
    subject = sub;
  } else {
    throw new SignetError("OIDC_TOKEN_INVALID", `the identity token from ${source} names no subject (sub or email)`);
  }
  const expiresAt = typeof exp === "number" ? new Date(exp * 1000) : undefined;
  if (expiresAt !== undefined && expiresAt.getTime() <= now.getTime()) {
    throw new SignetError("OIDC_TOKEN_INVALID", `the identity token from ${source} expired at ${expiresAt.toISOString()}`);
  }
  return { token, source, issuer: iss, subject, ...(expiresAt !== undefined ? { expiresAt } : {}) };
}
