/**
 * `signet notation blob sign|verify`: Notation signatures of files, written next to them as
 * `NAME.jws.sig` / `NAME.cose.sig`, verified against the blob trust policy (trustpolicy.blob.json).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { SignetError } from "../../../errors/index.js";
import { createFileExclusive, writeFileAtomic } from "../../../internal/atomic-file.js";
import { loadBlobTrustPolicy, readNotationConfig } from "../../../signatures/notation/notation-config.js";
import { parseNotationEnvelope } from "../../../signatures/notation/parse-envelope.js";
import { localNotationSigner, signNotation } from "../../../signatures/notation/sign-notation.js";
import { trustStoresAt } from "../../../signatures/notation/trust-store-files.js";
import { blobStatement } from "../../../signatures/notation/trust-policy.js";
import { verifyNotationEnvelopeBytes } from "../../../signatures/notation/notation-requirement.js";
import { checkChainRevocation } from "../../../signatures/notation/revocation.js";
import type { CommandContext } from "../../command.js";
import { outputFormat, stringOption } from "../../options.js";
import { writeJson } from "../../output.js";
import { configDir, loadLocalKey, parseExpiry, revocationOptions, signingKeyEntry, userMetadata } from "./context.js";
import { parseNotationPayload } from "../../../signatures/notation/payload.js";

const DEFAULT_MEDIA_TYPE = "application/octet-stream";
const SIGNATURE_MAX_BYTES = 4 * 1024 * 1024;

async function blobDescriptor(path: string, mediaType: string): Promise<{ mediaType: string; digest: string; size: number }> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new SignetError("FILE_NOT_FOUND", `cannot read ${path}: ${error.code ?? error.message}`);
  });
  if (!info.isFile()) throw new SignetError("USAGE", `${path} is not a regular file`);
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { mediaType, digest: `sha256:${hash.digest("hex")}`, size: info.size };
}

export async function blobSign(context: CommandContext, files: string[]): Promise<number> {
  const [file] = files;
  if (file === undefined || files.length > 1) throw new SignetError("USAGE", "blob sign takes one file");
  const dir = configDir(context);
  const { privateKey, chain } = loadLocalKey(signingKeyEntry(dir, stringOption(context, "key")));
  const format = (stringOption(context, "signature-format") ?? readNotationConfig(dir).signatureFormat) as "jws" | "cose";
  if (format !== "jws" && format !== "cose") throw new SignetError("USAGE", "--signature-format must be jws or cose");
  const subject = await blobDescriptor(file, stringOption(context, "media-type") ?? DEFAULT_MEDIA_TYPE);
  const expiryMs = parseExpiry(stringOption(context, "expiry"));
  const { envelope } = await signNotation(localNotationSigner(privateKey, chain), {
    format,
    subject,
    userMetadata: userMetadata(context),
    ...(expiryMs !== undefined ? { expiry: new Date(Date.now() + expiryMs) } : {}),
  });
  const target = join(resolve(stringOption(context, "signature-directory") ?? "."), `${basename(file)}.${format}.sig`);
  if (context.values["force"] === true) await writeFileAtomic(target, envelope);
  else if (!(await createFileExclusive(target, envelope))) throw new SignetError("USAGE", `${target} already exists`, { hint: "Pass --force to overwrite it." });
  context.io.stdout.write(`Successfully signed ${file}\nSignature file written to ${target}\n`);
  return 0;
}

export async function blobVerify(context: CommandContext, files: string[]): Promise<number> {
  const [file] = files;
  if (file === undefined || files.length > 1) throw new SignetError("USAGE", "blob verify takes one file");
  const signaturePath = stringOption(context, "signature");
  if (signaturePath === undefined) throw new SignetError("USAGE", "blob verify needs --signature FILE.{jws,cose}.sig");
  const format = /\.(jws|cose)\.sig$/.exec(signaturePath)?.[1];
  if (format === undefined) throw new SignetError("USAGE", "the signature file must be named *.jws.sig or *.cose.sig (its format)");
  const signature = await readFile(signaturePath);
  if (signature.length > SIGNATURE_MAX_BYTES) throw new SignetError("SIZE_LIMIT_EXCEEDED", `${signaturePath} is larger than ${SIGNATURE_MAX_BYTES} bytes`);
  const dir = configDir(context);
  const { policy } = loadBlobTrustPolicy(dir);
  const statement = blobStatement(policy, stringOption(context, "policy-name"));
  const mediaType = format === "jws" ? "application/jose+json" : "application/cose";
  // The signed descriptor names the media type; --media-type, when given, must match it.
  const claimed = (() => {
    try {
      return parseNotationPayload(parseNotationEnvelope(mediaType, signature).payload).mediaType;
    } catch {
      return undefined;
    }
  })();
  const subject = await blobDescriptor(file, stringOption(context, "media-type") ?? claimed ?? DEFAULT_MEDIA_TYPE);
  const revocation = revocationOptions(context);
  const { verification: result, failure } = await verifyNotationEnvelopeBytes(mediaType, signature, subject, statement, {
    trustStores: trustStoresAt(dir),
    checkRevocation: (chain) => checkChainRevocation(chain, revocation),
    userMetadata: userMetadata(context),
  });
  if (failure !== undefined) throw failure;
  if (outputFormat(context) === "json") writeJson(context.io, { file, digest: subject.digest, statement: statement.name, signer: result.signer, outcomes: result.outcomes, warnings: result.warnings });
  else {
    for (const warning of result.warnings) context.io.stderr.write(`Warning: ${warning}\n`);
    context.io.stdout.write(`Successfully verified signature ${signaturePath}\n`);
  }
  return 0;
}
