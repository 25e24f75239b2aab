import { isLoopbackHost } from "../../oci/registry/endpoint.js";

/**
 * A Notary server's base URL as signet accepts it (the CLI's --server and policy.json's "server"): https, or plain
 * http on loopback only; no credentials, query or fragment. Returns it without a trailing slash, or the problem.
 */
export function parseNotaryServerUrl(text: string): { url: string } | { problem: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: `${JSON.stringify(text)} is not a URL` };
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") return { problem: "a Notary server URL has no credentials, query or fragment" };
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
    return { problem: `a Notary server URL must be https:// (http:// only on loopback), not ${url.protocol}//${url.host}` };
  }
  return { url: url.href.replace(/\/+$/, "") };
}
