/**
 * One JSON request to a sigstore service (Fulcio, Rekor, an OIDC token endpoint): bounded answer, deadline,
 * and a SignetError with the service's message on failure. Uses Node's fetch, which is loaded only on the
 * signing paths that need it.
 */
import { SignetError, type ErrorCode } from "../errors/index.js";

export interface JsonRequest {
  readonly url: URL;
  readonly method: "GET" | "POST";
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  /** Default 30 s. */
  readonly timeoutMs?: number;
  /** Default 4 MiB. */
  readonly maxBytes?: number;
}

/** What the caller names the service in errors, and which code a failure gets. */
export interface ServiceInfo {
  readonly name: string;
  readonly code: ErrorCode;
}

export async function requestJson(request: JsonRequest, service: ServiceInfo): Promise<{ status: number; body: unknown }> {
  if (request.url.protocol !== "https:" && request.url.protocol !== "http:") {
    throw new SignetError("USAGE", `${service.name} URL ${request.url.href} must be http(s)`);
  }
  const timeoutMs = request.timeoutMs ?? 30_000;
  const maxBytes = request.maxBytes ?? 4 * 1024 * 1024;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: { accept: "application/json", ...(request.body !== undefined ? { "content-type": "application/json" } : {}), ...request.headers },
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    throw new SignetError(service.code, `${service.name} at ${request.url.origin} did not answer: ${cause}`, { details: { url: request.url.origin }, cause: error });
  }
  const text = await readCapped(response, maxBytes, service);
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const message = typeof (body as { message?: unknown } | undefined)?.message === "string" ? (body as { message: string }).message : text.split("\n")[0]!.slice(0, 200);
    throw new SignetError(service.code, `${service.name} answered HTTP ${response.status}${message ? `: ${message.slice(0, 300)}` : ""}`, {
      details: { status: response.status, url: `${request.url.origin}${request.url.pathname}` },
    });
  }
  if (body === undefined) throw new SignetError(service.code, `${service.name} answered with something that is not JSON`);
  return { status: response.status, body };
}

async function readCapped(response: Response, maxBytes: number, service: ServiceInfo): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new SignetError(service.code, `${service.name} answered with ${declared} bytes, more than ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  if (response.body === null) return "";
  for await (const chunk of response.body) {
    total += (chunk as Uint8Array).length;
    if (total > maxBytes) throw new SignetError(service.code, `${service.name} answered with more than ${maxBytes} bytes`);
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks).toString("utf8");
}
