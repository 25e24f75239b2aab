import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import { SignetError, toSignetError } from "../../errors/index.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import { sha256Digest } from "../../internal/digest.js";
import { parsePublicKeyPem } from "../../keys/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { parseImageLocation, type ImageLocation } from "../../oci/reference/index.js";
import {
  compilePolicy,
  createInitPolicy,
  createLocationReader,
  createPolicyFetchers,
  evaluatePolicy,
  formatDecisionText,
  formatLintFinding,
  lintPassed,
  lintPolicy,
  parsePolicy,
  type KeyReader,
  type PolicyDecision,
} from "../../policy/index.js";
import { POLICY_MAX_BYTES } from "../../policy/config/index.js";
import { parsePlatform } from "../../oci/manifest/platform.js";
import { defaultRegistriesDPath, loadRegistriesD } from "../../signatures/registries-d/index.js";
import { parseGpgKeyring } from "../../signatures/simplesigning/index.js";
import type { Command, CommandContext } from "../command.js";
import { GLOBAL_OPTIONS, OUTPUT_OPTION, REGISTRY_OPTIONS, outputFormat, parseDurationMs, registryOptions, stringOption } from "../options.js";
import { printError, writeJson } from "../output.js";

/** Images evaluated at once (registry round trips dominate). */
const CONCURRENCY = 16;
const SYSTEM_POLICY = "/etc/containers/policy.json";

const SUBCOMMAND_OPTIONS: Record<string, readonly string[]> = {
  verify: ["policy", "registries-d", "use-sigstore-attachments", "platform", "kbs-url", "kubeconfig", "output-format", ...Object.keys(GLOBAL_OPTIONS), ...Object.keys(REGISTRY_OPTIONS)],
  lint: ["kbs-url", "kubeconfig", "output-format", ...Object.keys(GLOBAL_OPTIONS)],
  init: ["image", "key", "gpg-key", "file", "force", "output-format", ...Object.keys(GLOBAL_OPTIONS)],
};

export const policyCommand: Command = {
  name: "policy",
  summary: "Evaluate, check and write containers-policy.json files",
  usage: `signet policy verify IMAGE... [--policy FILE] [--registries-d DIR] [--output json]
       signet policy lint FILE [--output json]
       signet policy init --image REPO... (--key cosign.pub | --gpg-key key.gpg)... [--file FILE [--force]]

  verify   evaluates each image against a containers-policy.json(5) as skopeo and podman do, and prints the
           decision: the scope that matched and why, each requirement, each signature tried, with hints.
           Exits 0 when every image is allowed, 1 otherwise.
    --policy FILE|kbs:///R/T/T|k8s://NS/SECRET[/KEY]
                              default: ~/.config/containers/policy.json if it exists, else ${SYSTEM_POLICY}
    --registries-d DIR        lookaside configuration (default: ~/.config/containers/registries.d if it
                              exists, else /etc/containers/registries.d)
    --use-sigstore-attachments  read cosign signatures of every image, not only where registries.d enables them
    --platform os/arch[/variant]  for a multi-arch index, the platform whose instance is pulled and checked
                              (default: this machine's, as skopeo copy and podman pull do)
    --kbs-url URL             Key Broker Service for kbs:/// keys and policies (or SIGNET_KBS_URL)
    --kubeconfig FILE         cluster for k8s:// keys (default: in-cluster service account)
    --allow-http-registry, --allow-insecure-registry, --registry-cacert FILE, --timeout 30s
  lint     reports every error and risky choice of a policy with its line and column; exits 1 on errors
  init     writes a policy that rejects every image except the named repositories, which must be signed by the
           keys (--key: sigstoreSigned; --gpg-key: signedBy); to stdout, or to --file`,
  options: {
    policy: { type: "string" },
    "registries-d": { type: "string" },
    "use-sigstore-attachments": { type: "boolean" },
    platform: { type: "string" },
    "kbs-url": { type: "string" },
    kubeconfig: { type: "string" },
    image: { type: "string", multiple: true },
    key: { type: "string", multiple: true },
    "gpg-key": { type: "string", multiple: true },
    file: { type: "string" },
    force: { type: "boolean", short: "f" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const [subcommand, ...rest] = context.positionals;
    if (subcommand === undefined || !Object.hasOwn(SUBCOMMAND_OPTIONS, subcommand)) {
      throw new SignetError("USAGE", subcommand === undefined ? "policy needs a subcommand: verify, lint or init" : `unknown policy subcommand ${JSON.stringify(subcommand)}`, {
        hint: "Run `signet policy --help`.",
      });
    }
    for (const [name, value] of Object.entries(context.values)) {
      if (value !== undefined && !SUBCOMMAND_OPTIONS[subcommand]!.includes(name)) throw new SignetError("USAGE", `policy ${subcommand} does not take --${name}`);
    }
    const sub = { ...context, positionals: rest };
    switch (subcommand) {
      case "verify":
        return verifyImages(sub);
      case "lint":
        return lint(sub);
      default:
        return init(sub);
    }
  },
};

function locationReader(context: CommandContext, what: string, maxBytes?: number): KeyReader {
  return createLocationReader({
    kbsUrl: stringOption(context, "kbs-url"),
    kubeconfig: stringOption(context, "kubeconfig"),
    env: context.io.env,
    timeoutMs: parseDurationMs(stringOption(context, "timeout")),
    what,
    ...(maxBytes === undefined ? {} : { maxBytes }),
  });
}

/** The policy containers/image would use: --policy, else the user's, else the system's. */
function defaultPolicyLocation(env: NodeJS.ProcessEnv): string {
  const user = join(env["HOME"] ?? homedir(), ".config", "containers", "policy.json");
  return existsSync(user) ? user : SYSTEM_POLICY;
}

async function readPolicyText(context: CommandContext, location: string): Promise<Buffer> {
  try {
    return await locationReader(context, "policy", POLICY_MAX_BYTES)(location);
  } catch (error) {
    const signetError = toSignetError(error);
    // The location reader speaks of keys; an unreadable policy is an input problem of its own.
    const missing = signetError.details["errno"] === "ENOENT" || signetError.details["errno"] === "ENOTDIR";
    const code = signetError.code !== "POLICY_KEY_UNREADABLE" ? signetError.code : missing ? "FILE_NOT_FOUND" : "IO_ERROR";
    throw new SignetError(code, signetError.message, {
      hint: "Pass --policy FILE, or create /etc/containers/policy.json (`signet policy init` writes one).",
      cause: error,
    });
  }
}

/** A policy compiled once and the fetchers it is evaluated with: `policy verify` and `signet audit` share it. */
export interface PolicyEvaluator {
  /** Where the policy was read from. */
  readonly location: string;
  /** sha256 of the policy's bytes (an audit's state file is only resumed with the same policy). */
  readonly policyDigest: string;
  evaluate(image: ImageLocation): Promise<PolicyDecision>;
}

/** Reads and compiles --policy (or the default) and sets up the fetchers from --registries-d, --platform, etc. */
export async function openPolicyEvaluator(context: CommandContext, access: ImageAccess): Promise<PolicyEvaluator> {
  const policyLocation = stringOption(context, "policy") ?? defaultPolicyLocation(context.io.env);
  const policyText = await readPolicyText(context, policyLocation);
  const parsed = parsePolicy(policyText, { source: policyLocation });
  const readKey = locationReader(context, "key file");
  const policy = await compilePolicy(parsed, { readKey });
  const registriesD = await loadRegistriesD(stringOption(context, "registries-d") ?? defaultRegistriesDPath(context.io.env["HOME"] ?? homedir()));
  const platform = stringOption(context, "platform");
  const fetchers = createPolicyFetchers({
    access,
    registriesD,
    readKey,
    alwaysReadSigstoreAttachments: context.values["use-sigstore-attachments"] === true,
    ...(platform === undefined ? {} : { platform: parsePlatform(platform) }),
  });
  return { location: policyLocation, policyDigest: sha256Digest(policyText), evaluate: (image) => evaluatePolicy(image, policy, { fetchers }) };
}

async function verifyImages(context: CommandContext): Promise<number> {
  const format = outputFormat(context);
  const images = context.positionals;
  if (images.length === 0) throw new SignetError("USAGE", "policy verify needs at least one IMAGE");
  const locations = images.map((image) => parseImageLocation(image));
  const access = new ImageAccess(registryOptions(context));
  try {
    const evaluator = await openPolicyEvaluator(context, access);
    const policyLocation = evaluator.location;
    type Outcome = { image: string; decision: PolicyDecision } | { image: string; error: SignetError };
    const outcomes = await mapConcurrently(locations, CONCURRENCY, async (location, index): Promise<Outcome> => {
      try {
        return { image: images[index]!, decision: await evaluator.evaluate(location) };
      } catch (error) {
        return { image: images[index]!, error: toSignetError(error) };
      }
    });
    const allowed = outcomes.every((o) => "decision" in o && o.decision.allowed);
    if (format === "json") {
      writeJson(context.io, {
        allowed,
        policy: policyLocation,
        images: outcomes.map((o) => ("decision" in o ? o.decision : { image: o.image, allowed: false, outcome: "error", error: o.error.toJSON() })),
      });
    } else {
      outcomes.forEach((outcome, index) => {
        if (index > 0) context.io.stdout.write("\n");
        if ("decision" in outcome) context.io.stdout.write(formatDecisionText(outcome.decision));
        else {
          context.io.stdout.write(`NOT ALLOWED ${outcome.image} (could not evaluate)\n`);
          printError(context.io, outcome.error, false);
        }
      });
    }
    return allowed ? 0 : 1;
  } finally {
    await access.close();
  }
}

async function lint(context: CommandContext): Promise<number> {
  const [file, ...extra] = context.positionals;
  if (file === undefined || extra.length > 0) throw new SignetError("USAGE", "policy lint takes one policy FILE");
  const text = await readPolicyText(context, file);
  const remote = stringOption(context, "kbs-url") !== undefined || stringOption(context, "kubeconfig") !== undefined;
  const findings = await lintPolicy(text, { source: file, ...(remote ? { readKey: locationReader(context, "key file") } : {}) });
  const passed = lintPassed(findings);
  if (outputFormat(context) === "json") {
    writeJson(context.io, { ok: passed, policy: file, findings });
  } else if (findings.length === 0) {
    context.io.stdout.write(`${file}: no problems found\n`);
  } else {
    for (const finding of findings) context.io.stdout.write(`${formatLintFinding(finding)}\n`);
    const count = (severity: string): number => findings.filter((f) => f.severity === severity).length;
    context.io.stderr.write(`${file}: ${count("error")} error(s), ${count("warning")} warning(s), ${count("info")} note(s)\n`);
  }
  return passed ? 0 : 1;
}

async function init(context: CommandContext): Promise<number> {
  if (context.positionals.length > 0) throw new SignetError("USAGE", "policy init takes no arguments; name images with --image");
  const list = (name: string): string[] => (context.values[name] as string[] | undefined) ?? [];
  const cosignKeys = list("key");
  const gpgKeys = list("gpg-key");
  const text = createInitPolicy({ images: list("image"), cosignKeys, gpgKeys });
  // Refuse to write a policy whose local keys cannot be used: it would reject everything.
  const readKey = createLocationReader({ env: context.io.env });
  for (const key of cosignKeys.filter(isLocalPath)) await checkKey(key, readKey, (bytes) => void parsePublicKeyPem(bytes), "a PEM public key");
  for (const key of gpgKeys.filter(isLocalPath)) await checkKey(key, readKey, async (bytes) => void (await parseGpgKeyring(bytes)), "an OpenPGP public keyring");
  const file = stringOption(context, "file");
  if (file === undefined) {
    context.io.stdout.write(text);
    return 0;
  }
  // Atomic, and never through a planted link or into another user's file (FILE_SYMLINK, FILE_FOREIGN_OWNER).
  if (!(await writeFileAtomic(file, text, { mode: 0o644, replace: context.values["force"] === true, guard: true }))) {
    throw new SignetError("FILE_EXISTS", `${file} already exists`, { details: { path: file } });
  }
  if (outputFormat(context) === "json") writeJson(context.io, { policy: file });
  else context.io.stderr.write(`Policy written to ${file}\n`);
  return 0;
}

function isLocalPath(location: string): boolean {
  return !location.startsWith("kbs://") && !location.startsWith("k8s://");
}

async function checkKey(location: string, readKey: KeyReader, parse: (bytes: Buffer) => void | Promise<void>, what: string): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readKey(location);
  } catch (error) {
    const signetError = toSignetError(error);
    throw new SignetError("KEY_NOT_FOUND", signetError.message, { cause: error });
  }
  try {
    await parse(bytes);
  } catch (error) {
    const signetError = toSignetError(error);
    throw new SignetError("KEY_INVALID", `${location} is not ${what}: ${signetError.message}`, { hint: signetError.hint, cause: error });
  }
}
