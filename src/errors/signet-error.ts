import { ERROR_CATALOG, type ErrorCategory, type ErrorCode } from "./catalog.js";

const BRAND = Symbol.for("signet.error");

export interface SignetErrorOptions {
  /** Overrides the catalog's hint when the situation allows a more precise one. */
  hint?: string;
  /** Machine-readable facts (never secrets): digest, reference, path, status… */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The one error type signet throws on purpose. `code` is stable and documented (docs/errors.md);
 * `message` is one line saying what is wrong; `hint` says how to fix it.
 */
export class SignetError extends Error {
  readonly code: ErrorCode;
  readonly hint: string;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: SignetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "SignetError";
    this.code = code;
    this.hint = options.hint ?? ERROR_CATALOG[code].hint;
    this.details = options.details ?? {};
    Object.defineProperty(this, BRAND, { value: true });
  }

  get category(): ErrorCategory {
    return ERROR_CATALOG[this.code].category;
  }

  get exitCode(): number {
    return ERROR_CATALOG[this.code].exitCode;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, category: this.category, exitCode: this.exitCode, message: this.message, hint: this.hint, details: this.details };
  }

  /** Works across duplicate installs of signet, unlike instanceof. */
  static is(value: unknown): value is SignetError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Wraps an unexpected error so callers always see a SignetError. */
export function toSignetError(error: unknown): SignetError {
  if (SignetError.is(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SignetError("INTERNAL", message, { cause: error });
}
