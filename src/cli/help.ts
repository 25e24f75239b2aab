/**
 * Help text from the option tables: what `--help` lists is exactly what the parser accepts (a test checks it).
 */
import type { Command } from "./command.js";
import type { OptionDef, OptionTable } from "./flags.js";
import { maxOf } from "../internal/arrays.js";

/** `  -a, --annotations k=v   description (default: x)`, one entry per flag the parser accepts, aliases hidden. */
export function formatFlags(table: OptionTable): string {
  const rows = visibleFlags(table).map(([name, def]) => [flagSpelling(name, def), describeFlag(def)] as const);
  const width = Math.min(40, maxOf(rows.map(([spelling]) => spelling.length), 0));
  return rows.map(([spelling, text]) => (spelling.length > width ? `  ${spelling}\n  ${"".padEnd(width)}  ${text}` : `  ${spelling.padEnd(width)}  ${text}`)).join("\n");
}

export function visibleFlags(table: OptionTable): [string, OptionDef][] {
  return Object.entries(table)
    .filter(([, def]) => def.hidden !== true)
    .sort(([a], [b]) => a.localeCompare(b));
}

export function flagSpelling(name: string, def: OptionDef): string {
  const short = def.short !== undefined ? `-${def.short}, ` : "    ";
  const value = def.type === "boolean" ? "[=true|false]" : ` ${def.value ?? "VALUE"}`;
  return `${short}--${name}${value}`;
}

export function describeFlag(def: OptionDef): string {
  const parts = [def.description ?? ""];
  if (def.multiple === true) parts.push("(repeatable)");
  if (def.default !== undefined) parts.push(`(default ${String(def.default)})`);
  return parts.filter((p) => p !== "").join(" ");
}

export function commandHelp(command: Command, globals: OptionTable): string {
  const own = Object.fromEntries(Object.entries(command.options).filter(([name]) => !Object.hasOwn(globals, name)));
  const subcommands =
    command.subcommands !== undefined
      ? `\nSubcommands:\n${Object.entries(command.subcommands)
          .map(([name, summary]) => `  ${name.padEnd(14)}  ${summary}`)
          .join("\n")}\n`
      : "";
  return `${command.summary}\n\nUsage: ${command.usage}\n${subcommands}\nFlags:\n${formatFlags(own)}\n\nGlobal flags:\n${formatFlags(globals)}\n`;
}
