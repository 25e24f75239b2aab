import type { FlagValues, OptionTable } from "./flags.js";

/** A command's flags (cli/flags.ts): parsing, help, completions and the man page all come from it. */
export type OptionSpec = OptionTable;

/** One CLI command: its options, a one-line summary, usage text, and the function that runs it. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec;
  /** Subcommands (`attach signature`): names and summaries, for help and completions. */
  subcommands?: Readonly<Record<string, string>>;
  /** Returns the process exit code. */
  run(context: CommandContext): Promise<number>;
}

export interface CommandContext {
  values: FlagValues;
  positionals: string[];
  io: CliIo;
}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** True when stderr is a terminal: progress goes there only then. */
  interactive: boolean;
}

export type OutputFormat = "text" | "json";
