/** `signet notation key add|ls|update|delete`: signingkeys.json, written atomically in notation's format. */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { SignetError } from "../../../errors/index.js";
import { writeFileAtomic } from "../../../internal/atomic-file.js";
import { readSigningKeys, type SigningKeys } from "../../../signatures/notation/notation-config.js";
import type { CommandContext } from "../../command.js";
import { keyValueOptions, outputFormat, stringOption } from "../../options.js";
import { writeJson } from "../../output.js";
import { configDir } from "./context.js";

export async function writeSigningKeys(dir: string, keys: SigningKeys): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const document = { ...(keys.default !== undefined ? { default: keys.default } : {}), keys: keys.keys };
  await writeFileAtomic(join(dir, "signingkeys.json"), Buffer.from(`${JSON.stringify(document, null, 4)}\n`), { mode: 0o600, guard: true });
}

export async function keyAdd(context: CommandContext, names: string[]): Promise<number> {
  const [name] = names;
  if (name === undefined) throw new SignetError("USAGE", "key add needs a NAME");
  const dir = configDir(context);
  const keys = readSigningKeys(dir);
  if (keys.keys.some((key) => key.name === name)) throw new SignetError("USAGE", `signing key "${name}" already exists`);
  const plugin = stringOption(context, "plugin");
  const id = stringOption(context, "id");
  const keyFile = stringOption(context, "key-file");
  const certFile = stringOption(context, "cert-file");
  let entry;
  if (plugin !== undefined || id !== undefined) {
    if (plugin === undefined || id === undefined) throw new SignetError("USAGE", "a plugin key needs both --plugin and --id");
    const config = keyValueOptions(context, "plugin-config");
    entry = { name, id, pluginName: plugin, ...(Object.keys(config).length > 0 ? { pluginConfig: config } : {}) };
  } else {
    if (keyFile === undefined || certFile === undefined) throw new SignetError("USAGE", "key add needs --plugin and --id, or --key-file and --cert-file for a local key");
    entry = { name, keyPath: resolve(keyFile), certPath: resolve(certFile) };
  }
  const makeDefault = context.values["default"] === true;
  await writeSigningKeys(dir, { ...(makeDefault ? { default: name } : keys.default !== undefined ? { default: keys.default } : {}), keys: [...keys.keys, entry] });
  context.io.stdout.write(`${name}\n`);
  return 0;
}

export function keyList(context: CommandContext): number {
  const keys = readSigningKeys(configDir(context));
  if (outputFormat(context) === "json") {
    writeJson(context.io, keys);
    return 0;
  }
  context.io.stdout.write("NAME                 KEY PATH / PLUGIN                        CERTIFICATE PATH / ID\n");
  for (const key of keys.keys) {
    const mark = key.name === keys.default ? "* " : "  ";
    context.io.stdout.write(`${(mark + key.name).padEnd(20)} ${(key.keyPath ?? key.pluginName ?? "").padEnd(40)} ${key.certPath ?? key.id ?? ""}\n`);
  }
  return 0;
}

export async function keyUpdate(context: CommandContext, names: string[]): Promise<number> {
  const [name] = names;
  if (name === undefined) throw new SignetError("USAGE", "key update needs a NAME");
  const dir = configDir(context);
  const keys = readSigningKeys(dir);
  if (!keys.keys.some((key) => key.name === name)) throw new SignetError("NOTATION_KEY_NOT_FOUND", `signing key "${name}" does not exist`);
  if (context.values["default"] !== true) throw new SignetError("USAGE", "key update changes only the default key: pass --default");
  await writeSigningKeys(dir, { default: name, keys: keys.keys });
  context.io.stdout.write(`${name}: marked as default signing key\n`);
  return 0;
}

export async function keyDelete(context: CommandContext, names: string[]): Promise<number> {
  if (names.length === 0) throw new SignetError("USAGE", "key delete needs at least one NAME");
  const dir = configDir(context);
  const keys = readSigningKeys(dir);
  for (const name of names) if (!keys.keys.some((key) => key.name === name)) throw new SignetError("NOTATION_KEY_NOT_FOUND", `signing key "${name}" does not exist`);
  const remaining = keys.keys.filter((key) => !names.includes(key.name));
  const keepDefault = keys.default !== undefined && !names.includes(keys.default);
  await writeSigningKeys(dir, { ...(keepDefault ? { default: keys.default } : {}), keys: remaining });
  // As notation does: the key and certificate files stay on disk.
  for (const name of names) context.io.stdout.write(`Removed ${name} from signing key list\n`);
  return 0;
}
