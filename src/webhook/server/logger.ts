import type { DestinationStream, Logger } from "pino";

export type WebhookLogger = Logger;
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface WebhookLoggerOptions {
  readonly level: LogLevel;
  /** Where JSON lines go; default stdout. */
  readonly destination?: DestinationStream;
}

/**
 * Field names that may hold secrets. The webhook never puts them in a log on purpose; the redaction catches
 * an object logged whole by mistake (an error's details, a request's headers).
 */
const REDACTED_PATHS = [
  "password",
  "token",
  "authorization",
  "auth",
  "key",
  "privateKey",
  "*.password",
  "*.token",
  "*.authorization",
  "*.auth",
  "*.privateKey",
  "*.headers.authorization",
  "*.headers.cookie",
  "*.dockerconfigjson",
];

/** Structured JSON logs (one object a line) with pino; pino is loaded only when the server starts. */
export async function createWebhookLogger(options: WebhookLoggerOptions): Promise<WebhookLogger> {
  const { pino } = await import("pino");
  return pino(
    {
      level: options.level,
      base: { component: "signet-webhook" },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
