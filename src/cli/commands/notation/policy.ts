/** `signet notation policy import|show|init` and `blob policy ...`: trust policies in notation's files. */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { SignetError } from "../../../errors/index.js";
import { createFileExclusive, writeFileAtomic } from "../../../internal/atomic-file.js";
import { ociTrustPolicyPath, readConfigJson } from "../../../signatures/notation/notation-config.js";
import { parseBlobTrustPolicy, parseTrustPolicy } from "../../../signatures/notation/trust-policy.js";
import type { CommandContext } from "../../command.js";
import { stringOption } from "../../options.js";
import { configDir } from "./context.js";
import { parseSignedJson } from "../../../internal/json-reader.js";

type Kind = "oci" | "blob";

function fileName(kind: Kind): string {
  return kind === "oci" ? "trustpolicy.oci.json" : "trustpolicy.blob.json";
}

function validate(kind: Kind, document: unknown): void {
  if (kind === "oci") parseTrustPolicy(document);
  else parseBlobTrustPolicy(document);
}

async function install(context: CommandContext, kind: Kind, bytes: Buffer): Promise<void> {
  const dir = configDir(context);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = join(dir, fileName(kind));
  const existing = kind === "oci" ? ociTrustPolicyPath(dir) : readConfigJson(target) === undefined ? undefined : target;
  if (existing !== undefined && context.values["force"] !== true) {
    throw new SignetError("USAGE", `a trust policy already exists at ${existing}`, { hint: "Pass --force to replace it." });
  }
  if (context.values["force"] === true) await writeFileAtomic(target, bytes);
  else if (!(await createFileExclusive(target, bytes))) throw new SignetError("USAGE", `a trust policy appeared at ${target} meanwhile; pass --force to replace it`);
  context.io.stdout.write(`Trust policy configuration imported successfully.\n`);
}

export async function policyImport(context: CommandContext, kind: Kind, files: string[]): Promise<number> {
  const [file] = files;
  if (file === undefined || files.length > 1) throw new SignetError("USAGE", "policy import takes one trust policy file");
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new SignetError("FILE_NOT_FOUND", `cannot read ${file}: ${error.code ?? error.message}`);
  });
  // The one JSON reader: duplicate keys, a BOM or trailing bytes make the policy invalid.
  const document = parseSignedJson(bytes, file, "NOTATION_POLICY_INVALID");
  validate(kind, document); // never install what verification would refuse
  await install(context, kind, bytes);
  return 0;
}

export async function policyShow(context: CommandContext, kind: Kind): Promise<number> {
  const dir = configDir(context);
  const path = kind === "oci" ? ociTrustPolicyPath(dir) : join(dir, fileName(kind));
  const document = path === undefined ? undefined : readConfigJson(path);
  if (path === undefined || document === undefined) throw new SignetError("NOTATION_POLICY_INVALID", `there is no ${kind} trust policy in ${dir}`, { hint: "Import one with `signet notation policy import FILE`." });
  const text = await readFile(path, "utf8");
  try {
    validate(kind, document);
  } catch (error) {
    context.io.stderr.write(`Warning: the trust policy at ${path} is invalid: ${(error as Error).message}\n`);
  }
  context.io.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
  return 0;
}

/** `policy init --name N --trust-store TYPE:NAME --trusted-identity ID [--scope S]... [--level strict]`. */
export async function policyInit(context: CommandContext, kind: Kind): Promise<number> {
  const name = stringOption(context, "name");
  if (name === undefined) throw new SignetError("USAGE", "policy init needs --name");
  const stores = (context.values["trust-store"] as string[] | undefined) ?? [];
  const identities = (context.values["trusted-identity"] as string[] | undefined) ?? [];
  const scopes = (context.values["scope"] as string[] | undefined) ?? ["*"];
  const statement: Record<string, unknown> = {
    name,
    ...(kind === "oci" ? { registryScopes: scopes } : { globalPolicy: context.values["global"] === true }),
    signatureVerification: { level: stringOption(context, "level") ?? "strict" },
    trustStores: stores,
    trustedIdentities: identities,
  };
  const document = { version: "1.0", trustPolicies: [statement] };
  validate(kind, document);
  await install(context, kind, Buffer.from(`${JSON.stringify(document, null, 2)}\n`));
  return 0;
}
