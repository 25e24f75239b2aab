/**
 * One HTTP request whose answer must be 200 and at most `maxBytes` (checked against Content-Length first, then
 * while reading), within a deadline; redirects are not followed. Failures are SignetErrors with the caller's
 * code, saying what was fetched and from where (credentials and query strings never appear in messages).
 */
import { request, type Dispatcher } from "undici";
import { SignetError, type ErrorCode } from "../errors/index.js";
import { readBounded } from "./bounded-read.js";

export interface BoundedRequestOptions {
  readonly method?: "GET" | "POST";
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
  readonly dispatcher?: Dispatcher;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** Names the resource in messages, e.g. "the CRL of CN=x". */
  readonly what: string;
  /** The code every failure gets. */
  readonly code: ErrorCode;
}

export async function boundedRequest(url: string, options: BoundedRequestOptions): Promise<Buffer> {
  const where = redactUrl(url);
  const failure = (message: string, details: Record<string, unknown> = {}, cause?: unknown) =>
    new SignetError(options.code, message, { details: { url: where, ...details }, ...(cause !== undefined ? { cause } : {}) });
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: options.method ?? "GET",
      headers: options.headers,
      body: options.body,
      dispatcher: options.dispatcher,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw failure(`cannot fetch ${options.what} from ${where}: ${code ?? (error as Error).message}`, {}, error);
  }
  const { statusCode, body } = response;
  if (statusCode !== 200) {
    body.resume();
    throw failure(`cannot fetch ${options.what} from ${where}: the server answered ${statusCode}`, { status: statusCode });
  }
  const declared = Number(response.headers["content-length"]);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    body.destroy();
    throw failure(`${options.what} at ${where} is ${declared} bytes; at most ${options.maxBytes} are accepted`, { size: declared, limit: options.maxBytes });
  }
  try {
    return await readBounded(body, options.maxBytes, options.what);
  } catch (error) {
    if (SignetError.is(error)) throw failure(error.message, error.details, error);
    throw failure(`cannot read ${options.what} from ${where}: ${(error as Error).message}`, {}, error);
  }
}

/** URLs in messages never carry credentials or query strings. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    return parsed.href;
  } catch {
    return "(invalid URL)";
  }
}
