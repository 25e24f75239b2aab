import type { SignetError } from "../errors/index.js";
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
