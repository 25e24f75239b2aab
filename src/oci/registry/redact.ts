const REDACTED = "[redacted]";
const PATTERNS: readonly RegExp[] = [
  // Authorization header values.
  /\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi,
  // JSON Web Tokens anywhere (registry tokens are JWTs).
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  // key=value and "key":"value" forms of secrets.
  /\b((?:access_?token|refresh_?token|identity_?token|token|password|passwd|secret|auth|signature|x-amz-signature|sig)["']?\s*[:=]\s*["']?)[^"'&\s,;}]+/gi,
];

/**
 * Removes credentials and tokens from text that may reach an error message or a log: the given secrets wherever they
 * occur, and anything shaped like an Authorization value, a JWT or a `token=…`/`"password":"…"` pair.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) result = result.split(secret).join(REDACTED);
  }
  for (const pattern of PATTERNS) {
    result = result.replace(pattern, (match: string, prefix: unknown) =>
      typeof prefix === "string" && /[:=]\s*["']?$/.test(prefix) ? `${prefix}${REDACTED}` : REDACTED,
    );
  }
  return result;
}

/** A URL fit for an error message: no user info and no query (presigned storage URLs carry signatures there). */
export function describeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search === "" ? "" : "?…"}`;
}
