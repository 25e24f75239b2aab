import { SignetError } from "../../errors/index.js";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import { checkAaToml, checkCdhToml, createAaToml, createCdhToml, createKernelParams, DEFAULT_POLICY_URI } from "../../coco/guest-config.js";
import { CC_INIT_DATA_ANNOTATION, createInitdata, decodeInitdataAnnotation, INITDATA_ALGORITHMS, type InitdataAlgorithm } from "../../coco/initdata.js";
import { createCocoPolicy, DEFAULT_KEY_REPOSITORY, DEFAULT_KEY_TYPE } from "../../coco/security-policy.js";
import type { Command, CommandContext } from "../command.js";
import { GLOBAL_OPTIONS, OUTPUT_OPTION, outputFormat, readTextFile, stringOption } from "../options.js";
import { writeJson } from "../output.js";

const KERNEL_PARAMS_ANNOTATION = "io.katacontainers.config.hypervisor.kernel_params";

const SUBCOMMANDS = {
  policy: "write the security-policy.json image-rs enforces, with kbs:/// key paths",
  initdata: "write initdata.toml (aa.toml, cdh.toml, policy.rego) and print the cc_init_data annotation value",
  "kernel-params": "print the kata agent kernel parameters for signature verification (the guide's older flow)",
} as const;

const SUBCOMMAND_OPTIONS: Record<keyof typeof SUBCOMMANDS, readonly string[]> = {
  policy: ["image", "default", "key-repository", "key-type", "file", "force", "output-format"],
  initdata: ["kbs-url", "policy-uri", "aa-toml", "cdh-toml", "agent-policy", "kbs-cert", "algorithm", "file", "force", "decode", "output-format"],
  "kernel-params": ["kbs-url", "policy-uri", "output-format"],
};

export const cocoCommand: Command = {
  name: "coco",
  summary: "Confidential Containers: image-rs security policy, initdata, kernel parameters",
  subcommands: SUBCOMMANDS,
  usage: `signet coco policy --image REPO=TAG|REPO=kbs:///R/T/T... [--default reject|insecureAcceptAnything] [--file FILE]
       signet coco initdata --kbs-url URL [--policy-uri kbs:///R/T/T] [--agent-policy policy.rego] [--file initdata.toml]
       signet coco initdata --decode BASE64
       signet coco kernel-params --kbs-url URL [--policy-uri kbs:///R/T/T]

  policy          writes the security-policy.json image-rs (the guest) enforces: other images get --default
                  (reject), each --image must carry a cosign signature by its key, read from the KBS as
                  kbs:///${DEFAULT_KEY_REPOSITORY}/${DEFAULT_KEY_TYPE}/TAG (or the kbs:/// URI given); to stdout or --file.
  initdata        writes initdata.toml (version, algorithm, [data] aa.toml, cdh.toml with
                  image_security_policy_uri, policy.rego when --agent-policy is given) to --file
                  (default initdata.toml), and prints the value of the pod annotation
                  ${CC_INIT_DATA_ANNOTATION} (base64 of gzip) and the digest the TEE binds.
                  --decode VALUE reads an annotation value back.
  kernel-params   prints agent.image_policy_file=… agent.enable_signature_verification=true
                  agent.aa_kbc_params=cc_kbc::URL, for kernel_params or ${KERNEL_PARAMS_ANNOTATION}.

  docs/coco.md walks through the whole flow.`,
  options: {
    image: { type: "string", multiple: true, value: "REPO=KEY", description: "an image (repository) to allow and its cosign key: a tag under --key-repository/--key-type, or a kbs:/// URI" },
    default: { type: "string", choices: ["reject", "insecureAcceptAnything"], default: "reject", value: "TYPE", description: "what images no --image names get" },
    "key-repository": { type: "string", value: "NAME", default: DEFAULT_KEY_REPOSITORY, description: "KBS repository of the keys" },
    "key-type": { type: "string", value: "NAME", default: DEFAULT_KEY_TYPE, description: "KBS resource type of the keys" },
    "kbs-url": { type: "string", value: "URL", description: "the KBS as the guest reaches it" },
    "policy-uri": { type: "string", value: "kbs:///R/T/T", default: DEFAULT_POLICY_URI, description: "the KBS resource holding security-policy.json" },
    "aa-toml": { type: "string", value: "FILE", description: "use this aa.toml instead of the one written from --kbs-url" },
    "cdh-toml": { type: "string", value: "FILE", description: "use this cdh.toml (it must set [image] image_security_policy_uri)" },
    "agent-policy": { type: "string", value: "FILE", description: "the kata agent policy (policy.rego) to include" },
    "kbs-cert": { type: "string", value: "FILE", description: "PEM certificate of an https KBS, for aa.toml and cdh.toml" },
    algorithm: { type: "string", choices: INITDATA_ALGORITHMS, default: "sha384", value: "ALG", description: "the initdata digest algorithm" },
    decode: { type: "string", value: "BASE64", description: "decode a cc_init_data annotation value and print initdata.toml" },
    file: { type: "string", value: "FILE", description: "where to write the policy (default stdout) or initdata.toml (default initdata.toml)" },
    force: { type: "boolean", short: "f", description: "replace an existing --file" },
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const [subcommand, ...rest] = context.positionals;
    if (subcommand === undefined || !Object.hasOwn(SUBCOMMANDS, subcommand)) {
      throw new SignetError("USAGE", subcommand === undefined ? "coco needs a subcommand: policy, initdata or kernel-params" : `unknown coco subcommand ${JSON.stringify(subcommand)}`, {
        hint: "Run `signet coco --help`.",
      });
    }
    const name = subcommand as keyof typeof SUBCOMMANDS;
    if (rest.length > 0) throw new SignetError("USAGE", `coco ${name} takes no arguments (got ${JSON.stringify(rest[0])})`);
    for (const [option, value] of Object.entries(context.values)) {
      if (value !== undefined && !SUBCOMMAND_OPTIONS[name].includes(option) && !Object.hasOwn(GLOBAL_OPTIONS, option)) throw new SignetError("USAGE", `coco ${name} does not take --${option}`);
    }
    switch (name) {
      case "policy":
        return policy(context);
      case "initdata":
        return initdata(context);
      case "kernel-params":
        return kernelParams(context);
    }
  },
};

async function policy(context: CommandContext): Promise<number> {
  const images = (context.values["image"] as string[] | undefined) ?? [];
  if (images.length === 0) throw new SignetError("USAGE", "coco policy needs at least one --image REPO=KEY");
  const scopes = images.map((item) => {
    const at = item.indexOf("=");
    if (at <= 0) throw new SignetError("USAGE", `--image takes REPO=KEY (KEY: a tag of ${DEFAULT_KEY_TYPE}, or kbs:///R/T/T), not ${JSON.stringify(item)}`);
    return { image: item.slice(0, at), key: item.slice(at + 1) };
  });
  const result = createCocoPolicy({
    scopes,
    defaultRequirement: (stringOption(context, "default") ?? "reject") as "reject" | "insecureAcceptAnything",
    keyRepository: stringOption(context, "key-repository") ?? DEFAULT_KEY_REPOSITORY,
    keyType: stringOption(context, "key-type") ?? DEFAULT_KEY_TYPE,
  });
  const file = stringOption(context, "file");
  if (file === undefined) {
    if (outputFormat(context) === "json") writeJson(context.io, { policy: JSON.parse(result.text) as unknown, keyResources: result.keyResources });
    else context.io.stdout.write(result.text);
    return 0;
  }
  await writeOnce(context, file, result.text);
  if (outputFormat(context) === "json") writeJson(context.io, { file, keyResources: result.keyResources });
  else context.io.stderr.write(`Policy written to ${file}; upload it and these keys with signet kbs set-resource: ${result.keyResources.join(", ")}\n`);
  return 0;
}

async function initdata(context: CommandContext): Promise<number> {
  const decode = stringOption(context, "decode");
  if (decode !== undefined) {
    for (const option of ["kbs-url", "aa-toml", "cdh-toml", "agent-policy", "kbs-cert", "file"]) {
      if (context.values[option] !== undefined) throw new SignetError("OPTION_CONFLICT", `--decode does not take --${option}`);
    }
    const decoded = decodeInitdataAnnotation(decode);
    if (outputFormat(context) === "json") writeJson(context.io, { ...decoded.initdata, digest: decoded.digest, toml: decoded.toml });
    else context.io.stdout.write(decoded.toml);
    return 0;
  }
  const kbsUrl = stringOption(context, "kbs-url");
  const policyUri = stringOption(context, "policy-uri") ?? DEFAULT_POLICY_URI;
  const aaFile = stringOption(context, "aa-toml");
  const cdhFile = stringOption(context, "cdh-toml");
  if (kbsUrl === undefined && (aaFile === undefined || cdhFile === undefined)) {
    throw new SignetError("USAGE", "coco initdata needs --kbs-url (or both --aa-toml and --cdh-toml)");
  }
  if (cdhFile !== undefined && context.values["policy-uri"] !== undefined) throw new SignetError("OPTION_CONFLICT", "--policy-uri is written into cdh.toml; with --cdh-toml set it there");
  const certFile = stringOption(context, "kbs-cert");
  const kbsCert = certFile === undefined ? undefined : readTextFile(certFile, "the KBS certificate");
  const guest = { kbsUrl: kbsUrl ?? "", ...(kbsCert === undefined ? {} : { kbsCert }) };
  const aa = aaFile !== undefined ? readTextFile(aaFile, "aa.toml") : createAaToml(guest);
  const cdh = cdhFile !== undefined ? readTextFile(cdhFile, "cdh.toml") : createCdhToml({ ...guest, policyUri });
  checkAaToml(aa);
  const imagePolicyUri = checkCdhToml(cdh);
  const files: [string, string][] = [
    ["aa.toml", aa],
    ["cdh.toml", cdh],
  ];
  const agentPolicy = stringOption(context, "agent-policy");
  if (agentPolicy !== undefined) files.push(["policy.rego", readTextFile(agentPolicy, "the agent policy")]);
  const result = createInitdata({ algorithm: (stringOption(context, "algorithm") ?? "sha384") as InitdataAlgorithm, files });
  const file = stringOption(context, "file") ?? "initdata.toml";
  await writeOnce(context, file, result.toml);
  if (outputFormat(context) === "json") {
    writeJson(context.io, {
      file,
      algorithm: result.algorithm,
      digest: result.digest,
      teeFields: result.teeFields,
      imageSecurityPolicyUri: imagePolicyUri,
      annotation: { name: CC_INIT_DATA_ANNOTATION, value: result.annotation },
    });
  } else {
    context.io.stderr.write(
      `initdata written to ${file} (${result.algorithm} ${result.digest}; SNP ${result.teeFields.snp.field} ${result.teeFields.snp.value}, TDX ${result.teeFields.tdx.field} ${result.teeFields.tdx.value})\n` +
        `Set it on the pod as the annotation ${CC_INIT_DATA_ANNOTATION}:\n`,
    );
    context.io.stdout.write(`${result.annotation}\n`);
  }
  return 0;
}

function kernelParams(context: CommandContext): number {
  const kbsUrl = stringOption(context, "kbs-url");
  if (kbsUrl === undefined) throw new SignetError("USAGE", "coco kernel-params needs --kbs-url URL");
  const line = createKernelParams({ kbsUrl, policyUri: stringOption(context, "policy-uri") ?? DEFAULT_POLICY_URI });
  if (outputFormat(context) === "json") writeJson(context.io, { kernelParams: line, annotation: KERNEL_PARAMS_ANNOTATION });
  else context.io.stdout.write(`${line}\n`);
  return 0;
}

/** Atomic, and never through a planted link or over a file unless --force. */
async function writeOnce(context: CommandContext, file: string, text: string): Promise<void> {
  if (!(await writeFileAtomic(file, text, { mode: 0o644, replace: context.values["force"] === true, guard: true }))) {
    throw new SignetError("FILE_EXISTS", `${file} already exists`, { hint: "Pass --force to replace it, or --file another path.", details: { path: file } });
  }
}
