export interface BackoffOptions {
  /** The first delay, doubled on each further attempt. */
  baseMs: number;
  /** No delay is longer than this. */
  maxMs: number;
  /** A number in [0, 1); Math.random unless a test fixes it. */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): exponential with "equal jitter", half fixed and
 * half random, so that many clients that failed together do not retry together.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * Parses a Retry-After header (delay-seconds or an HTTP date) into milliseconds from `now`, or undefined when the
 * header is absent or unreadable. Negative delays become 0.
 */
export function parseRetryAfter(untrustedHeader: string | string[] | undefined, now: number): number | undefined {
  const value = (Array.isArray(untrustedHeader) ? untrustedHeader[0] : untrustedHeader)?.trim();
  if (value === undefined || value === "" || value.length > 100) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date names its day and month ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone accepts "-5".
  if (!/^[A-Za-z]{3},/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
