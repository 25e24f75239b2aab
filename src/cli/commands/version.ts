import { readFileSync } from "node:fs";
import type { Command } from "../command.js";

export const versionCommand: Command = {
  name: "version",
  summary: "Print the version",
  usage: "signet version",
  options: {},
  async run(context) {
    const pkg = JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")) as { version: string };
    context.io.stdout.write(`signet ${pkg.version} (node ${process.version})\n`);
    return 0;
  },
};
