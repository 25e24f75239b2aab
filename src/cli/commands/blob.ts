import { readFileSync } from "node:fs";
import { SignetError } from "../../errors/index.js";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import { decodeBlobSignature, signBlob, verifyBlobSignature } from "../../signatures/blob/blob-signature.js";
import type { Command, CommandContext } from "../command.js";
import { OUTPUT_OPTION, outputFormat, requireString, stringOption } from "../options.js";
import { writeJson } from "../output.js";
import { publicKeyFrom, signingKeyFrom } from "../session.js";
import { hasIdentityOptions, IDENTITY_OPTIONS, identityPolicyFrom, TRUST_ROOT_OPTIONS, trustMaterialFrom } from "./trust.js";

export const signBlobCommand: Command = {
  name: "sign-blob",
  summary: "Sign a file",
  usage: `signet sign-blob --key cosign.key [--output-signature FILE] FILE

  Prints the base64 signature (cosign's format). \`openssl dgst -sha256 -verify cosign.pub -signature <(base64 -d sig) FILE\`
  verifies it as well as \`cosign verify-blob\` and \`signet verify-blob\`.`,
  options: {
    key: { type: "string" },
    "password-file": { type: "string" },
    "output-signature": { type: "string" },
    "tlog-upload": { type: "string" },
    yes: { type: "boolean", short: "y" },
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const file = onlyFile(context, "sign-blob");
    const key = await signingKeyFrom(context, requireString(context, "key"));
    const signature = signBlob(key, readInput(file));
    const outputPath = stringOption(context, "output-signature");
    if (outputPath !== undefined) {
      await writeFileAtomic(outputPath, signature, { mode: 0o644, guard: true });
      context.io.stderr.write(`Wrote signature to ${outputPath}\n`);
    }
    if (outputFormat(context) === "json") writeJson(context.io, { file, signature });
    else if (outputPath === undefined) context.io.stdout.write(`${signature}\n`);
    return 0;
  },
};

export const verifyBlobCommand: Command = {
  name: "verify-blob",
  summary: "Verify a file's signature",
  usage: `signet verify-blob --key cosign.pub --signature SIG FILE
       signet verify-blob --bundle BUNDLE (--key cosign.pub | --certificate-identity ID --certificate-oidc-issuer URL) [--trusted-root FILE | --offline] FILE

  SIG is a file holding the base64 signature (or raw signature bytes), or the base64 text itself.
  BUNDLE is a sigstore bundle (v0.1 to v0.3, message signature or DSSE): the signature, its certificate or key
  hint, and its transparency log proofs. Keyless bundles need the identity: --certificate-identity or
  --certificate-identity-regexp, and --certificate-oidc-issuer or --certificate-oidc-issuer-regexp (regexps
  match the whole value), optionally the --certificate-github-workflow-* claims. The trust root is the
  public-good one through TUF (--offline: the cached or shipped copy; --staging: the staging instance), or
  --trusted-root FILE. A bundle must carry a verified log entry unless --insecure-ignore-tlog (key-signed only).`,
  options: {
    key: { type: "string" },
    signature: { type: "string" },
    bundle: { type: "string" },
    "insecure-ignore-tlog": { type: "boolean" },
    ...IDENTITY_OPTIONS,
    ...TRUST_ROOT_OPTIONS,
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const file = onlyFile(context, "verify-blob");
    if (stringOption(context, "bundle") !== undefined) return verifyBlobBundle(context, file);
    if (hasIdentityOptions(context)) throw new SignetError("USAGE", "--certificate-identity and the other identity flags need --bundle");
    const publicKey = await publicKeyFrom(requireString(context, "key"));
    const signature = decodeBlobSignature(readSignature(requireString(context, "signature")));
    verifyBlobSignature(publicKey, readInput(file), signature);
    if (outputFormat(context) === "json") writeJson(context.io, { file, verified: true });
    else context.io.stderr.write("Verified OK\n");
    return 0;
  },
};

async function verifyBlobBundle(context: CommandContext, file: string): Promise<number> {
  if (stringOption(context, "signature") !== undefined) throw new SignetError("OPTION_CONFLICT", "give either --bundle or --signature: the bundle holds the signature");
  const keyPath = stringOption(context, "key");
  if (keyPath !== undefined && hasIdentityOptions(context)) throw new SignetError("OPTION_CONFLICT", "give either --key or the --certificate-identity flags, not both");
  const ignoreTlog = context.values["insecure-ignore-tlog"] === true;
  if (ignoreTlog && keyPath === undefined) throw new SignetError("OPTION_CONFLICT", "--insecure-ignore-tlog applies to key-signed bundles only: a certificate needs a trusted time");
  const identity = keyPath === undefined ? identityPolicyFrom(context) : undefined;
  // A wrong identity policy is the user's to fix before any trust root is fetched.
  if (identity !== undefined) (await import("../../signatures/bundle/identity-match.js")).compileIdentityPolicy(identity);
  const [{ verifySigstoreBundle }, { describeSigner, toJson }, trust, policy] = await Promise.all([
    import("../../signatures/bundle/verify-bundle.js"),
    import("./conformance.js"),
    trustMaterialFrom(context),
    identity !== undefined ? Promise.resolve(identity) : publicKeyFrom(keyPath!).then((publicKey) => ({ kind: "key" as const, publicKey })),
  ]);
  const bundlePath = requireString(context, "bundle");
  let untrustedBundle: unknown;
  try {
    untrustedBundle = JSON.parse(readInput(bundlePath).toString("utf8"));
  } catch (error) {
    if (SignetError.is(error)) throw error;
    throw new SignetError("BUNDLE_INVALID", `the bundle ${bundlePath} is not valid JSON: ${(error as Error).message}`);
  }
  const verified = verifySigstoreBundle(untrustedBundle, { bytes: readInput(file) }, policy, trust, ignoreTlog ? { requireTlog: false, requireTimestamps: 0 } : {});
  if (outputFormat(context) === "json") writeJson(context.io, { file, ...toJson(verified) });
  else context.io.stderr.write(`Verified OK: ${describeSigner(verified)}${verified.tlogEntries.length === 0 ? " (no transparency log entry was checked)" : ""}\n`);
  return 0;
}

function onlyFile(context: CommandContext, command: string): string {
  if (context.positionals.length !== 1) throw new SignetError("USAGE", `${command} takes exactly one FILE`);
  return context.positionals[0]!;
}

function readInput(path: string): Buffer {
  try {
    return readFileSync(path === "-" ? 0 : path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SignetError(code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot read ${path}: ${code ?? (error as Error).message}`);
  }
}

function readSignature(value: string): Buffer {
  try {
    return readFileSync(value);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && /^[A-Za-z0-9+/=\s]+$/.test(value) && value.length >= 16) return Buffer.from(value);
    throw new SignetError("FILE_NOT_FOUND", `cannot read the signature ${value}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
