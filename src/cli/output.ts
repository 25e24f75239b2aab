import { EXIT_CODES, type SignetError } from "../errors/index.js";
import type { CliIo } from "./command.js";

/** One clear line saying what is wrong, and one saying how to fix it; JSON when the user asked for it. */
export function printError(io: CliIo, error: SignetError, json: boolean): void {
  if (json) {
    io.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
    return;
  }
  io.stderr.write(`Error: ${error.message} [${error.code}]\n`);
  io.stderr.write(`Hint: ${error.hint}\n`);
}

export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Progress for long work: to stderr, and only on a terminal. */
export function progress(io: CliIo, message: string): void {
  if (io.interactive) io.stderr.write(`${message}\n`);
}

/**
 * One exit code for a command that handled many images: 0 when nothing failed, else the most telling failure's
 * code: a bug, then a rejection, then "no signature", then "not found", then "could not check", then bad input.
 */
export function exitCodeOf(errors: readonly SignetError[]): number {
  if (errors.length === 0) return EXIT_CODES.ok;
  const rank = [EXIT_CODES.internal, EXIT_CODES.rejected, EXIT_CODES.noSignature, EXIT_CODES.notFound, EXIT_CODES.unavailable, EXIT_CODES.input, EXIT_CODES.usage] as number[];
  const codes = errors.map((error) => error.exitCode);
  return rank.find((code) => codes.includes(code)) ?? codes[0]!;
}
