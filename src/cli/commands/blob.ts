import { readFileSync, writeFileSync } from "node:fs";
import { SignetError } from "../../errors/index.js";
import { decodeBlobSignature, signBlob, verifyBlobSignature } from "../../signatures/blob/blob-signature.js";
import type { Command, CommandContext } from "../command.js";
import { OUTPUT_OPTION, outputFormat, requireString, stringOption } from "../options.js";
import { writeJson } from "../output.js";
import { publicKeyFrom, signingKeyFrom } from "../session.js";

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
      writeFileSync(outputPath, signature);
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

  SIG is a file holding the base64 signature (or raw signature bytes), or the base64 text itself.`,
  options: {
    key: { type: "string" },
    signature: { type: "string" },
    "insecure-ignore-tlog": { type: "boolean" },
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const file = onlyFile(context, "verify-blob");
    const publicKey = await publicKeyFrom(requireString(context, "key"));
    const signature = decodeBlobSignature(readSignature(requireString(context, "signature")));
    verifyBlobSignature(publicKey, readInput(file), signature);
    if (outputFormat(context) === "json") writeJson(context.io, { file, verified: true });
    else context.io.stderr.write("Verified OK\n");
    return 0;
  },
};

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
