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

/** Progress of a long run and its tally, on a terminal only: a pipe or a CI log gets neither. */
export interface RunProgress {
  /** One item is done: ok, or failed with an error code. */
  done(failure?: SignetError): void;
  /** Clears the progress line and prints the tally (N verified, M failed by reason). */
  finish(): void;
  /** Runs `write` (output for one item) with the progress line cleared first and drawn again after. */
  around(write: () => void): void;
}

export function createProgress(io: CliIo, verb: string, total: number): RunProgress {
  const active = io.interactive && total > 1;
  let ok = 0;
  const failures = new Map<string, number>();
  let failed = 0;
  const draw = (): void => {
    if (active) io.stderr.write(`\r\x1b[2K${verb}: ${ok + failed}/${total} (${ok} ok, ${failed} failed)`);
  };
  draw();
  return {
    done(failure) {
      if (failure === undefined) ok++;
      else {
        failed++;
        failures.set(failure.code, (failures.get(failure.code) ?? 0) + 1);
      }
      draw();
    },
    around(write) {
      if (active) io.stderr.write("\r\x1b[2K");
      write();
      draw();
    },
    finish() {
      if (!active) return;
      const reasons = [...failures.entries()].sort((a, b) => b[1] - a[1]).map(([code, count]) => `${count} ${code}`);
      io.stderr.write(`\r\x1b[2K${verb}: ${total} done: ${ok} ok, ${failed} failed${reasons.length > 0 ? ` (${reasons.join(", ")})` : ""}\n`);
    },
  };
}
