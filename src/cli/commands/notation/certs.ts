/**
 * `signet notation cert add|ls|show|delete|generate-test`: notation's trust store and test certificates, in
 * notation's directory layout.
 */
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { SignetError } from "../../../errors/index.js";
import { createFileExclusive, writeFileAtomic } from "../../../internal/atomic-file.js";
import { readSigningKeys } from "../../../signatures/notation/notation-config.js";
import { parseCertificateFile, readTrustStore } from "../../../signatures/notation/trust-store-files.js";
import type { TrustStoreType } from "../../../signatures/notation/trust-policy.js";
import { createCertificate, toPem } from "../../../trust/certificate-writer.js";
import type { CommandContext } from "../../command.js";
import { outputFormat, stringOption } from "../../options.js";
import { writeJson } from "../../output.js";
import { configDir } from "./context.js";
import { writeSigningKeys } from "./key-store.js";

const STORE_TYPES: readonly TrustStoreType[] = ["ca", "signingAuthority", "tsa"];
const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;

function storeType(context: CommandContext, required: boolean): TrustStoreType | undefined {
  const type = stringOption(context, "type");
  if (type === undefined) {
    if (required) throw new SignetError("USAGE", "--type is required: ca, signingAuthority or tsa");
    return undefined;
  }
  if (!STORE_TYPES.includes(type as TrustStoreType)) throw new SignetError("USAGE", `--type must be ca, signingAuthority or tsa, not ${JSON.stringify(type)}`);
  return type as TrustStoreType;
}

function storeName(context: CommandContext, required: boolean): string | undefined {
  const name = stringOption(context, "store");
  if (name === undefined) {
    if (required) throw new SignetError("USAGE", "--store is required");
    return undefined;
  }
  if (!STORE_NAME.test(name)) throw new SignetError("USAGE", `named store name needs to follow [a-zA-Z0-9_.-]+ format, not ${JSON.stringify(name)}`);
  return name;
}

function storeDir(dir: string, type: string, name: string): string {
  return join(dir, "truststore", "x509", type, name);
}

export async function certAdd(context: CommandContext, files: string[]): Promise<number> {
  const type = storeType(context, true)!;
  const name = storeName(context, true)!;
  if (files.length === 0) throw new SignetError("USAGE", "cert add needs at least one certificate file");
  const target = storeDir(configDir(context), type, name);
  // Check every file before adding any: a bad file adds nothing.
  const checked: { file: string; bytes: Buffer }[] = [];
  for (const file of files) {
    const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new SignetError("FILE_NOT_FOUND", `cannot read ${file}: ${error.code ?? error.message}`);
    });
    for (const certificate of parseCertificateFile(bytes, file)) {
      if (!certificate.isCA && !certificate.isIssuedBy(certificate)) throw new SignetError("NOTATION_TRUST_STORE_INVALID", `${file}: the certificate is neither a CA certificate nor self-signed`);
      if (type === "tsa" && !certificate.isIssuedBy(certificate)) throw new SignetError("NOTATION_TRUST_STORE_INVALID", `${file}: a tsa store holds root certificates only`);
    }
    checked.push({ file, bytes });
  }
  await mkdir(target, { recursive: true, mode: 0o700 });
  for (const { file, bytes } of checked) {
    const destination = join(target, basename(file));
    if (!(await createFileExclusive(destination, bytes))) throw new SignetError("USAGE", `${basename(file)} already exists in trust store ${type}:${name}`, { hint: "Delete it first with `signet notation cert delete`." });
    context.io.stdout.write(`Successfully added ${basename(file)} to named store ${name} of type ${type}\n`);
  }
  return 0;
}

export async function certList(context: CommandContext): Promise<number> {
  const wantedType = storeType(context, false);
  const wantedName = storeName(context, false);
  const root = join(configDir(context), "truststore", "x509");
  const rows: { type: string; store: string; certificate: string }[] = [];
  for (const type of wantedType === undefined ? STORE_TYPES : [wantedType]) {
    const stores = await readdir(join(root, type)).catch(() => [] as string[]);
    for (const store of stores.sort()) {
      if (wantedName !== undefined && store !== wantedName) continue;
      for (const file of (await readdir(join(root, type, store)).catch(() => [] as string[])).sort()) rows.push({ type, store, certificate: file });
    }
  }
  if (outputFormat(context) === "json") writeJson(context.io, rows);
  else if (rows.length === 0) context.io.stderr.write("No certificates in the trust store\n");
  else {
    context.io.stdout.write(`STORE TYPE         STORE NAME         CERTIFICATE\n`);
    for (const row of rows) context.io.stdout.write(`${row.type.padEnd(18)} ${row.store.padEnd(18)} ${row.certificate}\n`);
  }
  return 0;
}

export async function certShow(context: CommandContext, files: string[]): Promise<number> {
  const type = storeType(context, true)!;
  const name = storeName(context, true)!;
  const [file] = files;
  if (file === undefined) throw new SignetError("USAGE", "cert show needs a certificate file name");
  const path = join(storeDir(configDir(context), type, name), basename(file));
  const bytes = await readFile(path).catch(() => {
    throw new SignetError("FILE_NOT_FOUND", `${basename(file)} is not in trust store ${type}:${name}`);
  });
  const details = parseCertificateFile(bytes, path).map((certificate) => {
    const x509 = new X509Certificate(certificate.der);
    return { subject: x509.subject.split("\n").join(", "), issuer: x509.issuer.split("\n").join(", "), serialNumber: x509.serialNumber, notBefore: certificate.notBefore.toISOString(), notAfter: certificate.notAfter.toISOString(), sha256Fingerprint: x509.fingerprint256.replace(/:/g, "").toLowerCase(), isCA: certificate.isCA };
  });
  if (outputFormat(context) === "json") writeJson(context.io, details);
  else {
    for (const detail of details) {
      for (const [key, value] of Object.entries(detail)) context.io.stdout.write(`${key.padEnd(18)}: ${String(value)}\n`);
      context.io.stdout.write("\n");
    }
  }
  return 0;
}

export async function certDelete(context: CommandContext, files: string[]): Promise<number> {
  const type = storeType(context, true)!;
  const name = storeName(context, true)!;
  const all = context.values["all"] === true;
  if (all === (files.length > 0)) throw new SignetError("USAGE", "cert delete takes either --all or one certificate file name");
  if (context.values["yes"] !== true && !context.io.interactive) throw new SignetError("USAGE", "cert delete needs --yes when not run on a terminal");
  const directory = storeDir(configDir(context), type, name);
  if (all) {
    await stat(directory).catch(() => {
      throw new SignetError("FILE_NOT_FOUND", `trust store ${type}:${name} does not exist`);
    });
    await rm(directory, { recursive: true });
    context.io.stdout.write(`Successfully deleted the trust store named ${name} of type ${type}\n`);
    return 0;
  }
  const path = join(directory, basename(files[0]!));
  await rm(path).catch(() => {
    throw new SignetError("FILE_NOT_FOUND", `${basename(files[0]!)} is not in trust store ${type}:${name}`);
  });
  context.io.stdout.write(`Successfully deleted ${basename(files[0]!)} from trust store ${type}:${name}\n`);
  return 0;
}

/**
 * `cert generate-test NAME`: an RSA 3072 key and a self-signed code-signing certificate for
 * `CN=NAME,O=Notary,L=Seattle,ST=WA,C=US` (notation's test identity), stored as localkeys/NAME.{key,crt}, added to
 * trust store ca:NAME and to signingkeys.json. For tests and demos only, as notation says.
 */
export async function certGenerateTest(context: CommandContext, names: string[]): Promise<number> {
  const [name] = names;
  if (name === undefined || !STORE_NAME.test(name)) throw new SignetError("USAGE", "cert generate-test needs a NAME of letters, digits, '.', '_' or '-'");
  const dir = configDir(context);
  const keys = readSigningKeys(dir);
  if (keys.keys.some((key) => key.name === name)) throw new SignetError("USAGE", `signing key "${name}" already exists`);
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 3072 });
  const subject = { commonName: name, organization: "Notary", locality: "Seattle", state: "WA", country: "US" };
  const now = new Date();
  const der = createCertificate(
    { subject, subjectPublicKey: publicKey, notBefore: now, notAfter: new Date(now.getTime() + 365 * 24 * 3600 * 1000), kind: "code-signing" },
    { name: subject, privateKey, publicKey },
  );
  const localKeys = join(dir, "localkeys");
  await mkdir(localKeys, { recursive: true, mode: 0o700 });
  const keyPath = join(localKeys, `${name}.key`);
  const certPath = join(localKeys, `${name}.crt`);
  await writeFileAtomic(keyPath, Buffer.from(privateKey.export({ type: "pkcs8", format: "pem" })), { mode: 0o600, guard: true });
  await writeFileAtomic(certPath, Buffer.from(toPem(der)));
  const store = storeDir(dir, "ca", name);
  await mkdir(store, { recursive: true, mode: 0o700 });
  await writeFileAtomic(join(store, `${name}.crt`), Buffer.from(toPem(der)));
  const makeDefault = context.values["default"] === true || keys.keys.length === 0;
  await writeSigningKeys(dir, { ...(makeDefault ? { default: name } : keys.default !== undefined ? { default: keys.default } : {}), keys: [...keys.keys, { name, keyPath, certPath }] });
  context.io.stdout.write(`generated certificate expiring on ${new Date(now.getTime() + 365 * 24 * 3600 * 1000).toISOString()}\n`);
  context.io.stdout.write(`wrote key: ${keyPath}\nwrote certificate: ${certPath}\n`);
  context.io.stdout.write(`Successfully added ${name}.crt to named store ${name} of type ca\n`);
  if (makeDefault) context.io.stdout.write(`${name}: marked as default signing key\n`);
  // The store must load as the verifier will read it.
  readTrustStore(dir, "ca", name);
  return 0;
}
