import { request, type Dispatcher } from "undici";
import { SignetError } from "../../errors/index.js";
import { readBounded } from "../../internal/bounded-read.js";

export interface BoundedGetOptions {
  readonly headers?: Record<string, string>;
  readonly dispatcher?: Dispatcher;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** Names the resource in messages, e.g. "KBS resource default/key/1". */
  readonly what: string;
}

/**
 * One GET whose answer must be 200 and at most `maxBytes` (checked against Content-Length first, then while
 * reading). Redirects are not followed. Every failure is POLICY_KEY_UNREADABLE saying what happened.
 */
export async function boundedGet(url: string, options: BoundedGetOptions): Promise<Buffer> {
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: "GET",
      headers: options.headers,
      dispatcher: options.dispatcher,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SignetError("POLICY_KEY_UNREADABLE", `cannot fetch ${options.what} from ${redact(url)}: ${code ?? (error as Error).message}`, {
      details: { url: redact(url) },
      cause: error,
    });
  }
  const { statusCode, body } = response;
  if (statusCode !== 200) {
    body.resume();
    throw new SignetError("POLICY_KEY_UNREADABLE", `cannot fetch ${options.what} from ${redact(url)}: the server answered ${statusCode}`, {
      details: { url: redact(url), status: statusCode },
    });
  }
  const declared = Number(response.headers["content-length"]);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    body.destroy();
    throw new SignetError("POLICY_KEY_UNREADABLE", `${options.what} at ${redact(url)} is ${declared} bytes; at most ${options.maxBytes} are accepted`, {
      details: { url: redact(url), size: declared, limit: options.maxBytes },
    });
  }
  try {
    return await readBounded(body, options.maxBytes, options.what);
  } catch (error) {
    if (SignetError.is(error)) throw new SignetError("POLICY_KEY_UNREADABLE", error.message, { details: error.details, cause: error });
    throw new SignetError("POLICY_KEY_UNREADABLE", `cannot read ${options.what} from ${redact(url)}: ${(error as Error).message}`, { cause: error });
  }
}

/** URLs in messages never carry credentials or query strings. */
function redact(url: string): string {
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
