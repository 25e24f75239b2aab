import { spawn } from "node:child_process";
import { isInstalled, missingPeerMessage, SIGNET_BIN } from "./peers.js";

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program and collects its output (never throws on a non-zero exit; rejects with "install X" when it is missing). */
export function runProgram(file: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    // A program that is not installed fails the test at once, saying what to install.
    child.on("error", (error: NodeJS.ErrnoException) => reject(error.code === "ENOENT" && !isInstalled(file) ? new Error(missingPeerMessage(file), { cause: error }) : error));
    // A child that exits without reading its input makes the write fail with EPIPE; that is not the test's concern.
    child.stdin.on("error", () => undefined);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** Runs bin/signet from this checkout. */
export function runSignet(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<RunResult> {
  return runProgram(process.execPath, [SIGNET_BIN, ...args], options);
}

/** The error code of a failed `--output json` run. */
export function jsonErrorCodes(stdout: string): string[] {
  const value = JSON.parse(stdout) as { error?: { code: string }; images?: { error?: { code: string } }[] };
  if (value.error) return [value.error.code];
  return (value.images ?? []).map((i) => i.error?.code ?? "OK");
}

/** Runs the CLI in this process (no child, no start-up cost) with `env` as its whole environment. */
export async function runCliInProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  const { PassThrough } = await import("node:stream");
  const { run } = await import("../../src/cli/main.js");
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const status = await run(args, { stdout, stderr, env, interactive: false });
  return { status, stdout: out, stderr: err };
}
