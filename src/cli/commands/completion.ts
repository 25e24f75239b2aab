import { readFileSync } from "node:fs";
import { SignetError } from "../../errors/index.js";
import type { Command } from "../command.js";
import { bashCompletion, fishCompletion, manPage, zshCompletion, type CompletionSource } from "../completion.js";
import { GLOBAL_OPTIONS } from "../options.js";

async function source(): Promise<CompletionSource> {
  const { loadAllCommands } = await import("../main.js");
  return { commands: await loadAllCommands(), globals: GLOBAL_OPTIONS };
}

export const completionCommand: Command = {
  name: "completion",
  summary: "Print a shell completion script (bash, zsh, fish)",
  usage: `signet completion bash|zsh|fish

  bash: source <(signet completion bash)      zsh: signet completion zsh > "\${fpath[1]}/_signet"
  fish: signet completion fish > ~/.config/fish/completions/signet.fish`,
  subcommands: { bash: "bash completion", zsh: "zsh completion", fish: "fish completion" },
  options: {},
  async run(context) {
    const [shell, ...rest] = context.positionals;
    if (rest.length > 0 || shell === undefined) throw new SignetError("USAGE", "completion takes one shell: bash, zsh or fish");
    const generators: Record<string, (s: CompletionSource) => string> = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion };
    const generate = generators[shell];
    if (generate === undefined) throw new SignetError("USAGE", `completion: ${JSON.stringify(shell)} is not a supported shell: bash, zsh or fish (cosign's powershell is not supported)`);
    context.io.stdout.write(generate(await source()));
    return 0;
  },
};

export const manCommand: Command = {
  name: "man",
  summary: "Print the signet(1) man page (roff)",
  usage: `signet man > signet.1 && man ./signet.1`,
  options: {},
  async run(context) {
    if (context.positionals.length > 0) throw new SignetError("USAGE", "man takes no arguments");
    const pkg = JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")) as { version: string };
    context.io.stdout.write(manPage(await source(), pkg.version));
    return 0;
  },
};
