import type { Dispatcher } from "undici";
import { boundedRequest } from "../../internal/bounded-http.js";

export interface BoundedGetOptions {
  readonly headers?: Record<string, string>;
  readonly dispatcher?: Dispatcher;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  /** Names the resource in messages, e.g. "KBS resource default/key/1". */
  readonly what: string;
}

/** One bounded GET (internal/bounded-http.ts) whose every failure is POLICY_KEY_UNREADABLE. */
export function boundedGet(url: string, options: BoundedGetOptions): Promise<Buffer> {
  return boundedRequest(url, { ...options, method: "GET", code: "POLICY_KEY_UNREADABLE" });
}
