/**
 * Command-line flags parsed the way cosign's (spf13/pflag) are, from one declarative table per command, so that a
 * cosign command line with `signet` substituted means the same thing:
 *   --flag value, --flag=value, -f value, -fvalue, -f=value; repeated flags (a list flag collects, others: last wins);
 *   booleans: --flag (true), --flag=true|false (Go's strconv.ParseBool spellings), never the next argument;
 *   combined short booleans (-rf); flags and positionals in any order; `--` ends the flags; `-` is a positional.
 * The same table gives the help text, shell completions and the man page (cli/help.ts).
 */
import { SignetError } from "../errors/index.js";
import { appendAll } from "../internal/arrays.js";

export interface OptionDef {
  readonly type: "boolean" | "string";
  /** One letter: -a. */
  readonly short?: string;
  /** Repeatable; the values are collected in order. */
  readonly multiple?: boolean;
  /** For help only: the default the command applies when the flag is absent. */
  readonly default?: string | boolean;
  /** One line for --help, completions and the man page. */
  readonly description?: string;
  /** The value's name in help: FILE, URL, k=v. */
  readonly value?: string;
  /** The values accepted (checked by the parser, offered by completions). */
  readonly choices?: readonly string[];
  /** Another flag's name: this one is a second spelling of it (its value is stored under that name). */
  readonly aliasOf?: string;
  /** Accepted but not listed in help (deprecated spellings). */
  readonly hidden?: boolean;
}

export type OptionTable = Readonly<Record<string, OptionDef>>;

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export interface ParsedFlags {
  readonly values: FlagValues;
  readonly positionals: string[];
  /** -h or --help was given (before any `--`). */
  readonly help: boolean;
}

/** Go's strconv.ParseBool: what pflag accepts after `--flag=`. */
const TRUE_WORDS = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const FALSE_WORDS = new Set(["0", "f", "F", "false", "FALSE", "False"]);

export function parseBooleanWord(flag: string, text: string): boolean {
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  throw new SignetError("USAGE", `--${flag} is a boolean: write --${flag}, --${flag}=true or --${flag}=false, not --${flag}=${text}`, {
    details: { flag, value: text },
  });
}

/** Thrown for a flag the table lacks; main.ts names the flag and says whether cosign has it. */
export function unknownFlagError(flag: string): SignetError {
  return new SignetError("USAGE", `unknown flag --${flag}`, { details: { unknownFlag: flag } });
}

export function parseFlags(args: readonly string[], table: OptionTable): ParsedFlags {
  const shorts = new Map<string, string>();
  for (const [name, def] of Object.entries(table)) if (def.short !== undefined) shorts.set(def.short, name);
  const values: FlagValues = {};
  const positionals: string[] = [];
  let help = false;

  const store = (name: string, value: string | boolean): void => {
    const def = table[name]!;
    const target = def.aliasOf ?? name;
    const targetDef = table[target] ?? def;
    if (typeof value === "string" && targetDef.choices !== undefined && !targetDef.choices.includes(value)) {
      throw new SignetError("USAGE", `--${name} takes ${targetDef.choices.join(", ")}, not ${JSON.stringify(value)}`, { details: { flag: name, value } });
    }
    if (targetDef.multiple === true && typeof value === "string") {
      const list = (values[target] as string[] | undefined) ?? [];
      list.push(value);
      values[target] = list;
    } else {
      values[target] = value;
    }
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      appendAll(positionals, args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      if (name === "help" && table["help"] === undefined) {
        if (inline === undefined || parseBooleanWord("help", inline)) help = true;
        continue;
      }
      const def = table[name];
      if (def === undefined || name === "") throw unknownFlagError(name);
      if (def.type === "boolean") {
        store(name, inline === undefined ? true : parseBooleanWord(name, inline));
      } else if (inline !== undefined) {
        store(name, inline);
      } else {
        if (i + 1 >= args.length) throw new SignetError("USAGE", `--${name} needs a value${def.value !== undefined ? ` (${def.value})` : ""}`, { details: { flag: name } });
        store(name, args[++i]!);
      }
      continue;
    }
    if (arg.startsWith("-") && arg !== "-") {
      // A group of short flags: booleans may be combined (-rf); a string flag takes the rest (-ak=v, -a=k=v) or the next argument.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        if (letter === "h" && !shorts.has("h")) {
          help = true;
          continue;
        }
        const name = shorts.get(letter);
        if (name === undefined) throw new SignetError("USAGE", `unknown shorthand flag -${letter} in ${arg}`, { details: { unknownFlag: letter } });
        const def = table[name]!;
        const rest = arg.slice(j + 1);
        if (def.type === "boolean") {
          if (rest.startsWith("=")) {
            store(name, parseBooleanWord(name, rest.slice(1)));
            break;
          }
          store(name, true);
          continue;
        }
        if (rest !== "") store(name, rest.startsWith("=") ? rest.slice(1) : rest);
        else if (i + 1 < args.length) store(name, args[++i]!);
        else throw new SignetError("USAGE", `-${letter} (--${name}) needs a value${def.value !== undefined ? ` (${def.value})` : ""}`, { details: { flag: name } });
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { values, positionals, help };
}
