import { LIMITS } from "../../internal/limits.js";

const MAX_LINK_HEADER_LENGTH = LIMITS.linkHeaderLength;

/**
 * Returns the target of the `rel="next"` link in an RFC 8288 Link header (`<url>; rel="next"`), or undefined.
 * The target is returned as written (often relative); the caller resolves and checks it.
 */
export function parseNextLink(untrustedHeader: string | string[] | undefined): string | undefined {
  const values = untrustedHeader === undefined ? [] : Array.isArray(untrustedHeader) ? untrustedHeader : [untrustedHeader];
  for (const value of values) {
    if (value.length > MAX_LINK_HEADER_LENGTH) continue;
    for (const link of splitLinks(value)) {
      const match = /^\s*<([^>]*)>(.*)$/s.exec(link);
      if (!match) continue;
      const params = match[2]!.split(";").slice(1);
      for (const param of params) {
        const eq = param.indexOf("=");
        if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== "rel") continue;
        const rel = param.slice(eq + 1).trim().replace(/^"(.*)"$/s, "$1");
        if (rel.split(/\s+/).some((r) => r.toLowerCase() === "next")) return match[1]!;
      }
    }
  }
  return undefined;
}

/** Splits a Link header at the commas between links (not those inside <…> or quotes). */
function splitLinks(value: string): string[] {
  const links: string[] = [];
  let current = "";
  let inAngle = false;
  let inQuote = false;
  for (const char of value) {
    if (char === "<" && !inQuote) inAngle = true;
    else if (char === ">" && !inQuote) inAngle = false;
    else if (char === '"' && !inAngle) inQuote = !inQuote;
    if (char === "," && !inAngle && !inQuote) {
      links.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  links.push(current);
  return links;
}
