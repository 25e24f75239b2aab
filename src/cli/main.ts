import { parseArgs } from "node:util";
import { SignetError, toSignetError } from "../errors/index.js";
import type { CliIo, Command, CommandContext } from "./command.js";
import { printError } from "./output.js";

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
  attest: { summary: "Attest to images: a signed in-toto statement (.att tag or sigstore bundle)", load: async () => (await import("./commands/attest.js")).attestCommand },
  "verify-attestation": { summary: "Verify the attestations of images", load: async () => (await import("./commands/attest.js")).verifyAttestationCommand },
  triangulate: { summary: "Print where an image's signatures are stored", load: async () => (await import("./commands/inspect.js")).triangulateCommand },
  tree: { summary: "Show what is attached to an image", load: async () => (await import("./commands/inspect.js")).treeCommand },
  copy: { summary: "Copy an image with its signatures", load: async () => (await import("./commands/copy.js")).copyCommand },
  notation: { summary: "Notary Project signatures: notation's commands, trust store and trust policy", load: async () => (await import("./commands/notation/index.js")).notationCommand },
  policy: { summary: "Evaluate, check and write containers-policy.json files", load: async () => (await import("./commands/policy.js")).policyCommand },
  login: { summary: "Store registry credentials", load: async () => (await import("./commands/login.js")).loginCommand },
  logout: { summary: "Remove stored registry credentials", load: async () => (await import("./commands/login.js")).logoutCommand },
  trust: { summary: "Show or update the sigstore trust root", load: async () => (await import("./commands/trust.js")).trustCommand },
  conformance: { summary: "The sigstore-conformance CLI protocol (verify-bundle)", load: async () => (await import("./commands/conformance.js")).conformanceCommand },
  webhook: { summary: "Run the Kubernetes admission webhook, make its certificates, check its policies", load: async () => (await import("./commands/webhook.js")).webhookCommand },
  version: { summary: "Print the version", load: async () => (await import("./commands/version.js")).versionCommand },
};

export async function main(argv: string[], io: CliIo = defaultIo()): Promise<void> {
  process.exitCode = await run(argv, io);
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  const json = rest.includes("--output=json") || (rest.includes("json") && (rest.includes("--output") || rest.includes("-o")));
  try {
    if (name === undefined || name === "help" || name === "--help" || name === "-h") {
      const topic = name === "help" ? rest[0] : undefined;
      if (topic !== undefined) return printCommandHelp(topic, io);
      io.stdout.write(overview());
      return name === undefined ? 2 : 0;
    }
    if (name === "--version") return run(["version"], io);
    const entry = COMMANDS[name];
    if (entry === undefined) throw new SignetError("USAGE", `unknown command ${JSON.stringify(name)}`, { hint: "Run `signet help` for the list of commands." });
    const command = await entry.load();
    if (rest.includes("--help") || rest.includes("-h")) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...command.options, output: command.options["output"] ?? { type: "string", short: "o" } }, allowPositionals: true, strict: true });
    } catch (error) {
      throw new SignetError("USAGE", `${name}: ${(error as Error).message}`, { hint: `Run \`signet ${name} --help\` for its options.` });
    }
    return await command.run({ values: parsed.values as CommandContext["values"], positionals: parsed.positionals, io });
  } catch (error) {
    const signetError = toSignetError(error);
    printError(io, signetError, json);
    return signetError.exitCode;
  }
}

async function printCommandHelp(name: string, io: CliIo): Promise<number> {
  const entry = COMMANDS[name];
  if (entry === undefined) throw new SignetError("USAGE", `unknown command ${JSON.stringify(name)}`);
  io.stdout.write(commandHelp(await entry.load()));
  return 0;
}

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `signet: sign container images and verify that only signed images run\n\nUsage: signet <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun \`signet <command> --help\` for a command's options.\n`;
}

function commandHelp(command: Command): string {
  return `${command.summary}\n\nUsage: ${command.usage}\n`;
}

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, interactive: process.stderr.isTTY === true };
}
