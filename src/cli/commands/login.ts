import { readFileSync } from "node:fs";
import { SignetError } from "../../errors/index.js";
import { removeLogin, saveLogin } from "../../oci/registry/index.js";
import type { Command } from "../command.js";
import { REGISTRY_OPTIONS, registryOptions, requireString, stringOption } from "../options.js";

export const loginCommand: Command = {
  name: "login",
  summary: "Store registry credentials",
  usage: `signet login -u USER (--password-stdin | -p PASSWORD) [--auth-file FILE] REGISTRY

  Checks the credentials against the registry, then stores them in $REGISTRY_AUTH_FILE, --auth-file, or
  ~/.docker/config.json (where docker, podman, skopeo and cosign also look).`,
  options: {
    username: { type: "string", short: "u" },
    password: { type: "string", short: "p" },
    "password-stdin": { type: "boolean" },
    "auth-file": { type: "string" },
    ...REGISTRY_OPTIONS,
  },
  async run(context) {
    const registry = onlyRegistry(context.positionals);
    const username = requireString(context, "username");
    const fromStdin = context.values["password-stdin"] === true;
    const inline = stringOption(context, "password");
    if (fromStdin === (inline !== undefined)) throw new SignetError("OPTION_CONFLICT", "give exactly one of --password-stdin and --password");
    const password = fromStdin ? readFileSync(0, "utf8").replace(/\r?\n$/, "") : inline!;
    const path = await saveLogin(registry, username, password, { authFile: stringOption(context, "auth-file"), env: context.io.env, ...registryOptions(context) });
    context.io.stderr.write(`Login succeeded; credentials for ${registry} stored in ${path}\n`);
    return 0;
  },
};

export const logoutCommand: Command = {
  name: "logout",
  summary: "Remove stored registry credentials",
  usage: `signet logout [--auth-file FILE] REGISTRY`,
  options: { "auth-file": { type: "string" } },
  async run(context) {
    const registry = onlyRegistry(context.positionals);
    const path = await removeLogin(registry, { authFile: stringOption(context, "auth-file"), env: context.io.env });
    context.io.stderr.write(path ? `Removed credentials for ${registry} from ${path}\n` : `No credentials for ${registry} were stored\n`);
    return 0;
  },
};

function onlyRegistry(positionals: string[]): string {
  if (positionals.length !== 1) throw new SignetError("USAGE", "give exactly one REGISTRY (host[:port])");
  return positionals[0]!;
}
