import { SignetError } from "../../errors/index.js";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import { encryptPrivateKey, generateSigningKey, importKeyPair, keyReferenceScheme, parseKeyReference, publicKeyFromPrivate, publicKeyToPem, resolvePassword, writeKeyPair } from "../../keys/index.js";
import type { Command } from "../command.js";
import { OUTPUT_FORMAT_OPTION, OUTPUT_OPTION, outputFormat, requireString, stringOption } from "../options.js";
import { writeJson } from "../output.js";

export const generateKeyPairCommand: Command = {
  name: "generate-key-pair",
  summary: "Write an encrypted key pair (cosign.key, cosign.pub)",
  usage: `signet generate-key-pair [--output-key-prefix cosign] [--legacy] [--force] [k8s://NAMESPACE/SECRET]

  Writes PREFIX.key (ENCRYPTED SIGSTORE PRIVATE KEY, scrypt N=2^16, as cosign >= 2.2) and PREFIX.pub.
  With k8s://NAMESPACE/SECRET, as cosign: the Secret gets cosign.key, cosign.pub and cosign.password (created, or
  updated keeping its other entries) through the kubeconfig's current context ($KUBECONFIG, ~/.kube/config) or
  in-cluster credentials, and PREFIX.pub is written here.
  The password comes from COSIGN_PASSWORD, --password-file, or a prompt on a terminal.
  --legacy   write ENCRYPTED COSIGN PRIVATE KEY with N=2^15, for cosign <= 2.1, podman 4.4 and Debian's skopeo
  --force    overwrite existing files`,
  options: {
    "output-key-prefix": { type: "string", value: "PREFIX", default: "cosign", description: "write PREFIX.key and PREFIX.pub" },
    "password-file": { type: "string", value: "FILE", description: "read the password from FILE (else COSIGN_PASSWORD, else a prompt)" },
    legacy: { type: "boolean", description: "write the cosign <= 2.1 format (ENCRYPTED COSIGN PRIVATE KEY, scrypt N=2^15)" },
    force: { type: "boolean", short: "f", description: "overwrite existing files" },
    ...OUTPUT_OPTION,
  },
  async run(context) {
    if (context.positionals.length > 1) throw new SignetError("USAGE", "generate-key-pair takes at most one argument, a k8s://NAMESPACE/SECRET to write the key pair to");
    const target = context.positionals[0] === undefined ? undefined : parseKeyReference(context.positionals[0]);
    if (target !== undefined && target.kind !== "k8s") {
      throw new SignetError("KEY_REF_UNSUPPORTED", `generate-key-pair writes to files or to k8s://NAMESPACE/SECRET, not to ${keyReferenceScheme(target)} references`, { details: { scheme: keyReferenceScheme(target) } });
    }
    if (target?.kind === "k8s" && target.key !== undefined) throw new SignetError("KEY_REF_INVALID", "generate-key-pair writes k8s://NAMESPACE/SECRET (cosign.key, cosign.pub, cosign.password): name no entry");
    const prefix = stringOption(context, "output-key-prefix") ?? "cosign";
    const paths = { privatePath: `${prefix}.key`, publicPath: `${prefix}.pub` };
    const force = context.values["force"] === true;
    const password = await resolvePassword({ passwordFile: stringOption(context, "password-file"), env: context.io.env, prompt: true, confirm: true });
    const key = generateSigningKey("ecdsa-p256");
    if (target?.kind === "k8s") {
      const { writeKeyPairSecret } = await import("../../keys/k8s-secret.js");
      const publicKeyPem = publicKeyToPem(key.publicKey);
      const privateKeyPem = await encryptPrivateKey(key, password, { legacy: context.values["legacy"] === true });
      const done = await writeKeyPairSecret({ namespace: target.namespace, name: target.name }, { privateKeyPem, publicKeyPem, password }, { env: context.io.env });
      await writeFileAtomic(paths.publicPath, publicKeyPem, { mode: 0o644, guard: true });
      if (outputFormat(context) === "json") writeJson(context.io, { secret: `${target.namespace}/${target.name}`, [done]: true, publicKey: paths.publicPath });
      else context.io.stderr.write(`Successfully ${done} secret ${target.name} in namespace ${target.namespace}\nPublic key written to ${paths.publicPath}\n`);
      return 0;
    }
    await writeKeyPair(paths, key, password, { force, legacy: context.values["legacy"] === true });
    if (outputFormat(context) === "json") writeJson(context.io, { privateKey: paths.privatePath, publicKey: paths.publicPath });
    else context.io.stderr.write(`Private key written to ${paths.privatePath}\nPublic key written to ${paths.publicPath}\n`);
    return 0;
  },
};

export const importKeyPairCommand: Command = {
  name: "import-key-pair",
  summary: "Encrypt a PEM private key into the cosign format",
  usage: `signet import-key-pair --key KEY.pem [--output-key-prefix import-cosign] [--legacy] [--force]

  Reads a PEM private key (PKCS#8, SEC1 or PKCS#1; ECDSA, Ed25519 or RSA) and writes PREFIX.key (encrypted) and PREFIX.pub.`,
  options: {
    key: { type: "string", short: "k", value: "KEY.pem", description: "the PEM private key to import" },
    "output-key-prefix": { type: "string", short: "o", value: "PREFIX", default: "import-cosign", description: "write PREFIX.key and PREFIX.pub" },
    "password-file": { type: "string", value: "FILE", description: "read the new password from FILE (else COSIGN_PASSWORD, else a prompt)" },
    legacy: { type: "boolean", description: "write the cosign <= 2.1 format (ENCRYPTED COSIGN PRIVATE KEY, scrypt N=2^15)" },
    force: { type: "boolean", short: "f", description: "overwrite existing files" },
    yes: { type: "boolean", short: "y", description: "overwrite existing files without asking (cosign's -y)" },
    ...OUTPUT_FORMAT_OPTION,
  },
  async run(context) {
    const source = requireString(context, "key");
    const prefix = stringOption(context, "output-key-prefix") ?? "import-cosign";
    const password = await resolvePassword({ passwordFile: stringOption(context, "password-file"), env: context.io.env, prompt: true, confirm: true });
    const paths = await importKeyPair(source, password, prefix, { force: context.values["force"] === true || context.values["yes"] === true, legacy: context.values["legacy"] === true });
    if (outputFormat(context) === "json") writeJson(context.io, paths);
    else context.io.stderr.write(`Private key written to ${paths.privatePath}\nPublic key written to ${paths.publicPath}\n`);
    return 0;
  },
};

export const publicKeyCommand: Command = {
  name: "public-key",
  summary: "Print the public key of a private key",
  usage: `signet public-key --key KEY [--outfile FILE]

  KEY is a private key reference (docs/keys.md): a file, env://VAR, k8s://NAMESPACE/SECRET, pkcs11:..., or a KMS URI.`,
  options: {
    key: { type: "string", value: "KEY", description: "the private key: a file, env://VAR, k8s://NS/SECRET, pkcs11:..., awskms://..." },
    "password-file": { type: "string", value: "FILE", description: "read the key's password from FILE (else COSIGN_PASSWORD, else a prompt)" },
    outfile: { type: "string", value: "FILE", description: "write the public key to FILE instead of stdout" },
  },
  async run(context) {
    const keyPath = requireString(context, "key");
    const publicKey = await publicKeyFromPrivate(keyPath, { passwordFile: stringOption(context, "password-file"), env: context.io.env, prompt: true }, { env: context.io.env });
    const pem = publicKeyToPem(publicKey);
    const outfile = stringOption(context, "outfile");
    // Atomic, and never through a planted link or into another user's file (FILE_SYMLINK, FILE_FOREIGN_OWNER).
    if (outfile !== undefined) await writeFileAtomic(outfile, pem, { mode: 0o644, guard: true });
    else context.io.stdout.write(pem);
    return 0;
  },
};
