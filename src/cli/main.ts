import { Writable } from "node:stream";
import { SignetError, toSignetError } from "../errors/index.js";
import { writeFileAtomic } from "../internal/atomic-file.js";
import type { CliIo, Command } from "./command.js";
import { parseFlags } from "./flags.js";
import { commandHelp } from "./help.js";
import { GLOBAL_OPTIONS } from "./options.js";
import { printError } from "./output.js";
import { maxOf } from "../internal/arrays.js";

/**
 * The command table. Each command is imported only when it runs, so `signet verify` does not pay for
 * loading key generation, copying or login code (Node start-up dominates a CLI's latency).
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  "generate-key-pair": { summary: "Write an encrypted key pair (cosign.key, cosign.pub)", load: async () => (await import("./commands/keys.js")).generateKeyPairCommand },
  "import-key-pair": { summary: "Encrypt a PEM private key into the cosign format", load: async () => (await import("./commands/keys.js")).importKeyPairCommand },
  "public-key": { summary: "Print the public key of a private key", load: async () => (await import("./commands/keys.js")).publicKeyCommand },
  sign: { summary: "Sign images and attach the signatures (cosign .sig format)", load: async () => (await import("./commands/sign.js")).signCommand },
  verify: { summary: "Verify the signatures of images", load: async () => (await import("./commands/verify.js")).verifyCommand },
  "sign-blob": { summary: "Sign a file", load: async () => (await import("./commands/blob.js")).signBlobCommand },
  "verify-blob": { summary: "Verify a file's signature", load: async () => (await import("./commands/blob.js")).verifyBlobCommand },
  "attest-blob": { summary: "Attest to a file: a signed in-toto statement naming its digest", load: async () => (await import("./commands/blob-attest.js")).attestBlobCommand },
  "verify-blob-attestation": { summary: "Verify an attestation of a file", load: async () => (await import("./commands/blob-attest.js")).verifyBlobAttestationCommand },
  attest: { summary: "Attest to images: a signed in-toto statement (.att tag or sigstore bundle)", load: async () => (await import("./commands/attest.js")).attestCommand },
  "verify-attestation": { summary: "Verify the attestations of images", load: async () => (await import("./commands/attest.js")).verifyAttestationCommand },
  triangulate: { summary: "Print where an image's signatures are stored", load: async () => (await import("./commands/inspect.js")).triangulateCommand },
  tree: { summary: "Show what is attached to an image", load: async () => (await import("./commands/inspect.js")).treeCommand },
  save: { summary: "Save an image and its signatures to a directory (cosign's save layout)", load: async () => (await import("./commands/save-load.js")).saveCommand },
  load: { summary: "Push an image saved with save, with its signatures", load: async () => (await import("./commands/save-load.js")).loadCommand },
  attach: { summary: "Attach a signature or an attestation made elsewhere to an image", load: async () => (await import("./commands/attach.js")).attachCommand },
  clean: { summary: "Delete the signatures, attestations and SBOMs attached to an image", load: async () => (await import("./commands/clean.js")).cleanCommand },
  copy: { summary: "Copy an image with its signatures", load: async () => (await import("./commands/copy.js")).copyCommand },
  notation: { summary: "Notary Project signatures: notation's commands, trust store and trust policy", load: async () => (await import("./commands/notation/index.js")).notationCommand },
  dct: { summary: "Docker Content Trust (Notary v1): verify that a tag is signed in a Notary server", load: async () => (await import("./commands/dct.js")).dctCommand },
  policy: { summary: "Evaluate, check and write containers-policy.json files", load: async () => (await import("./commands/policy.js")).policyCommand },
  coco: { summary: "Confidential Containers: image-rs security policy, initdata, kernel parameters", load: async () => (await import("./commands/coco.js")).cocoCommand },
  kbs: { summary: "Key Broker Service admin: upload keys and policies (as kbs-client config set-resource)", load: async () => (await import("./commands/kbs.js")).kbsCommand },
  audit: { summary: "Verify every image of a registry namespace, an OCI layout or a cluster; HTML, JSON and SARIF report", load: async () => (await import("./commands/audit.js")).auditCommand },
  login: { summary: "Store registry credentials", load: async () => (await import("./commands/login.js")).loginCommand },
  logout: { summary: "Remove stored registry credentials", load: async () => (await import("./commands/login.js")).logoutCommand },
  initialize: { summary: "Start the sigstore trust root from a root.json and a TUF mirror (offline)", load: async () => (await import("./commands/initialize.js")).initializeCommand },
  trust: { summary: "Show or update the sigstore trust root", load: async () => (await import("./commands/trust.js")).trustCommand },
  conformance: { summary: "The sigstore-conformance CLI protocol (verify-bundle)", load: async () => (await import("./commands/conformance.js")).conformanceCommand },
  webhook: { summary: "Run the Kubernetes admission webhook, make its certificates, check its policies", load: async () => (await import("./commands/webhook.js")).webhookCommand },
  download: { summary: "Print the signatures or attestations attached to an image (unverified)", load: async () => (await import("./commands/download.js")).downloadCommand },
  generate: { summary: "Print the (unsigned) signature payload of an image", load: async () => (await import("./commands/generate-env.js")).generateCommand },
  env: { summary: "Print the environment variables signet reads", load: async () => (await import("./commands/generate-env.js")).envCommand },
  completion: { summary: "Print a shell completion script (bash, zsh, fish)", load: async () => (await import("./commands/completion.js")).completionCommand },
  man: { summary: "Print the signet(1) man page (roff)", load: async () => (await import("./commands/completion.js")).manCommand },
  version: { summary: "Print the version", load: async () => (await import("./commands/version.js")).versionCommand },
};

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<void> {
  process.exitCode = await run(argv, io);
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  let json = rawAsksForJson(rest);
  try {
    if (name === undefined || name === "help" || name === "--help" || name === "-h") {
      const topic = name === "help" ? rest[0] : undefined;
      if (topic !== undefined) return await printCommandHelp(topic, io);
      io.stdout.write(overview());
      return name === undefined ? 2 : 0;
    }
    if (name === "--version") return await run(["version"], io);
    const entry = COMMANDS[name];
    if (entry === undefined) throw new SignetError("USAGE", `unknown command ${JSON.stringify(name)}`, { hint: await unknownCommandHint(name) });
    const command = await entry.load();
    const table = { ...GLOBAL_OPTIONS, ...command.options };
    let parsed;
    try {
      parsed = parseFlags(rest, table);
    } catch (error) {
      throw await explainFlagError(name, rest, error);
    }
    if (parsed.help) {
      io.stdout.write(commandHelp(command, GLOBAL_OPTIONS));
      return 0;
    }
    json = parsed.values["output-format"] === "json";
    const outputFile = typeof parsed.values["output-file"] === "string" ? parsed.values["output-file"] : undefined;
    if (outputFile === undefined) return await command.run({ values: parsed.values, positionals: parsed.positionals, io });
    // cosign's --output-file: what goes to stdout goes to the file instead (written whole, atomically).
    const captured: Buffer[] = [];
    const stdout = new Writable({ write: (chunk: Buffer, _encoding, done) => (captured.push(Buffer.from(chunk)), done()) });
    const status = await command.run({ values: parsed.values, positionals: parsed.positionals, io: { ...io, stdout } });
    await writeFileAtomic(outputFile, Buffer.concat(captured), { mode: 0o644, guard: true });
    return status;
  } catch (error) {
    const signetError = toSignetError(error);
    printError(io, signetError, json);
    return signetError.exitCode;
  }
}

/** Before the flags are parsed (or when they fail to parse): did the user ask for a JSON report? */
function rawAsksForJson(args: readonly string[]): boolean {
  return args.some((arg, i) => arg === "--output-format=json" || (arg === "--output-format" && args[i + 1] === "json"));
}

/** An unknown flag: say whether cosign has it (and why signet does not), or whether it is a typo. */
async function explainFlagError(command: string, args: readonly string[], error: unknown): Promise<SignetError> {
  const hint = `Run \`signet ${command} --help\` for its flags.`;
  if (!SignetError.is(error)) return new SignetError("USAGE", `${command}: ${(error as Error).message}`, { hint });
  const flag = error.details["unknownFlag"];
  if (typeof flag !== "string") return new SignetError("USAGE", `${command}: ${error.message}`, { hint, details: error.details });
  const { describeUnsupportedCosignFlag } = await import("./cosign-compat.js");
  const subcommand = args.find((arg) => !arg.startsWith("-"));
  const spelled = flag.length === 1 ? `-${flag}` : `--${flag}`;
  const explained = describeUnsupportedCosignFlag(command, subcommand, flag);
  return new SignetError("USAGE", `${command}: ${spelled}: ${explained.message}`, { hint: explained.hint ?? hint, details: { flag: spelled, cosign: explained.cosign } });
}

async function unknownCommandHint(name: string): Promise<string> {
  const { describeUnsupportedCosignCommand } = await import("./cosign-compat.js");
  return describeUnsupportedCosignCommand(name) ?? "Run `signet help` for the list of commands.";
}

async function printCommandHelp(name: string, io: CliIo): Promise<number> {
  const entry = COMMANDS[name];
  if (entry === undefined) throw new SignetError("USAGE", `unknown command ${JSON.stringify(name)}`);
  io.stdout.write(commandHelp(await entry.load(), GLOBAL_OPTIONS));
  return 0;
}

/** Every command, loaded: for the help test, completions and the man page. */
export async function loadAllCommands(): Promise<Command[]> {
  return Promise.all(Object.values(COMMANDS).map((entry) => entry.load()));
}

export function commandSummaries(): Record<string, string> {
  return Object.fromEntries(Object.entries(COMMANDS).map(([name, entry]) => [name, entry.summary]));
}

function overview(): string {
  const width = maxOf(Object.keys(COMMANDS).map((n) => n.length), 0);
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `signet: sign container images and verify that only signed images run\n\nUsage: signet <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun \`signet <command> --help\` for a command's options.\n`;
}

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, interactive: process.stderr.isTTY === true };
}
