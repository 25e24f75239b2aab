import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { SignetError } from "../../errors/index.js";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import { decodeBlobSignature, signBlob, verifyBlobSignature } from "../../signatures/blob/blob-signature.js";
import type { Command, CommandContext } from "../command.js";
import { OUTPUT_OPTION, OUTPUT_FORMAT_OPTION, booleanOption, outputFormat, requireString, stringOption, readSignatureArgument } from "../options.js";
import { tlogUploadFailed } from "../tlog.js";
import { writeJson } from "../output.js";
import { publicKeyFrom, signingKeyFrom } from "../session.js";
import { signerSetupFrom, TLOG_SKIPPED_WARNING } from "../signer-options.js";
import { CERTIFICATE_TRUST_OPTIONS, hasCertificateTrustOptions } from "../certificate-trust.js";
import { explainAnchoring, hasIdentityOptions, IDENTITY_OPTIONS, identityPolicyFrom, TRUST_ROOT_OPTIONS, trustMaterialFrom } from "./trust.js";
import { parseSignedJson } from "../../internal/json-reader.js";

export const signBlobCommand: Command = {
  name: "sign-blob",
  summary: "Sign a file",
  usage: `signet sign-blob --key cosign.key [--output-signature FILE] [--tlog-upload=false] FILE

  Prints the base64 signature (cosign's format), or writes it to --output-signature FILE (--output FILE is cosign's
  older name for it). As cosign 2, the signature is uploaded to the transparency log (--rekor-url, default
  https://rekor.sigstore.dev) unless --tlog-upload=false. \`openssl dgst -sha256 -verify cosign.pub -signature
  <(base64 -d sig) FILE\` verifies it as well as \`cosign verify-blob\` and \`signet verify-blob\`.`,
  options: {
    key: { type: "string", value: "PATH", description: "cosign encrypted key or PEM private key" },
    "password-file": { type: "string", value: "FILE", description: "read the key's password from FILE (else COSIGN_PASSWORD, else a prompt)" },
    "output-signature": { type: "string", value: "FILE", description: "write the signature to FILE instead of stdout" },
    output: { type: "string", value: "FILE", aliasOf: "output-signature", description: "cosign's deprecated name of --output-signature" },
    b64: { type: "boolean", default: true, description: "base64-encode the signature (--b64=false: raw bytes)" },
    "tlog-upload": { type: "boolean", default: true, description: "upload the signature to the transparency log (--tlog-upload=false: do not)" },
    "rekor-url": { type: "string", value: "URL", default: "https://rekor.sigstore.dev", description: "the transparency log" },
    yes: { type: "boolean", short: "y", description: "do not ask for confirmation (signet never asks; also COSIGN_YES)" },
    "use-signing-config": { type: "boolean", description: "cosign 3: only --use-signing-config=false is accepted (signet uses --rekor-url)" },
    ...OUTPUT_FORMAT_OPTION,
  },
  async run(context) {
    const file = onlyFile(context, "sign-blob");
    if (context.values["use-signing-config"] === true) throw new SignetError("USAGE", "--use-signing-config=true is not supported: signet has no signing-config support", { hint: "Leave it out or pass --use-signing-config=false, and name the log with --rekor-url." });
    const key = await signingKeyFrom(context, requireString(context, "key"));
    const blob = readInput(file);
    const signature = await signBlob(key, blob);
    let logIndex: string | undefined;
    if (booleanOption(context, "tlog-upload", true)) {
      // cosign 2 logs key-based signatures by default; nothing is written unless the log recorded it.
      const [{ uploadToRekor, DEFAULT_REKOR_URL }, { publicKeyToPem }] = await Promise.all([import("../../transparency/rekor-client.js"), import("../../keys/index.js")]);
      const rekorUrl = stringOption(context, "rekor-url") ?? DEFAULT_REKOR_URL;
      const entry = await uploadToRekor({
        rekorUrl,
        content: { kind: "message", sha256: createHash("sha256").update(blob).digest(), signature: Buffer.from(signature, "base64") },
        verifierPem: publicKeyToPem(key.publicKey),
      }).catch((error: unknown) => {
        throw tlogUploadFailed(rekorUrl, error);
      });
      logIndex = entry.logIndex;
      context.io.stderr.write(`tlog entry created with index: ${entry.logIndex}\n`);
    }
    const encoded = booleanOption(context, "b64", true) ? signature : Buffer.from(signature, "base64");
    const outputPath = stringOption(context, "output-signature");
    if (outputPath !== undefined) {
      await writeFileAtomic(outputPath, encoded, { mode: 0o644, guard: true });
      context.io.stderr.write(`Wrote signature to file ${outputPath}\n`);
    }
    if (outputFormat(context) === "json") writeJson(context.io, { file, signature, ...(outputPath !== undefined ? { signatureFile: outputPath } : {}), logIndex: logIndex ?? null });
    else if (outputPath === undefined) context.io.stdout.write(typeof encoded === "string" ? `${encoded}\n` : encoded);
    return 0;
  },
};

export const verifyBlobCommand: Command = {
  name: "verify-blob",
  summary: "Verify a file's signature",
  usage: `signet verify-blob --key cosign.pub --signature SIG FILE
       signet verify-blob --bundle BUNDLE (--key cosign.pub | --certificate-identity ID --certificate-oidc-issuer URL) [--trusted-root FILE | --offline] FILE
       signet verify-blob --certificate CERT (--certificate-chain CHAIN | --ca-roots ROOTS) --certificate-identity ID --certificate-oidc-issuer URL --signature SIG --insecure-ignore-tlog [--insecure-ignore-sct] FILE

  SIG is a file holding the base64 signature (or raw signature bytes), or the base64 text itself.
  BUNDLE is a sigstore bundle (v0.1 to v0.3, message signature or DSSE): the signature, its certificate or key
  hint, and its transparency log proofs. Keyless bundles need the identity: --certificate-identity or
  --certificate-identity-regexp, and --certificate-oidc-issuer or --certificate-oidc-issuer-regexp (regexps
  match the whole value), optionally the GitHub workflow claims (--certificate-github-workflow-repository…). The trust root is the
  public-good one through TUF (--offline: the cached or shipped copy; --staging: the staging instance), or
  --trusted-root FILE. A bundle must carry a verified log entry unless --insecure-ignore-tlog (key-signed only).
  A private CA (cosign's flags): --certificate-chain (root last) or --ca-roots [--ca-intermediates] replace the
  trust root's CAs for the bundle's certificate or --certificate; with them an embedded SCT is required unless
  --insecure-ignore-sct, and with --insecure-ignore-tlog the certificate is checked at the current time.`,
  options: {
    key: { type: "string", value: "PATH", description: "the public key (PEM), certificate, or private key" },
    signature: { type: "string", value: "SIG", description: "the signature: a file (base64 or raw) or the base64 text" },
    bundle: { type: "string", value: "FILE", description: "a sigstore bundle holding the signature and its proofs" },
    "insecure-ignore-tlog": { type: "boolean", description: "accept a key-signed bundle (or, with a private CA, a certificate) without a verified log entry" },
    ...IDENTITY_OPTIONS,
    ...TRUST_ROOT_OPTIONS,
    ...CERTIFICATE_TRUST_OPTIONS,
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const file = onlyFile(context, "verify-blob");
    if (stringOption(context, "bundle") !== undefined) {
      const certificateTrust = hasCertificateTrustOptions(context) || (context.values["insecure-ignore-sct"] === true && stringOption(context, "key") === undefined);
      return certificateTrust ? verifyBlobWithCertificates(context, file) : verifyBlobBundle(context, file);
    }
    if (stringOption(context, "certificate") !== undefined) return verifyBlobWithCertificates(context, file);
    if (hasIdentityOptions(context)) throw new SignetError("USAGE", "--certificate-identity and the other identity flags need --bundle");
    if (context.values["insecure-ignore-tlog"] !== true) {
      throw new SignetError("TLOG_LOOKUP_UNSUPPORTED", "a detached --signature carries no transparency log proof, and signet does not search Rekor for one", {
        hint: "Verify the bundle instead (sign with `cosign sign-blob --bundle FILE` or `signet sign-blob`), or add --insecure-ignore-tlog to check the signature alone.",
      });
    }
    context.io.stderr.write(`${TLOG_SKIPPED_WARNING}\n`);
    const publicKey = await publicKeyFrom(requireString(context, "key"), context.io.env);
    const signature = decodeBlobSignature(readSignatureArgument(requireString(context, "signature")));
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
  const identity = keyPath === undefined ? await identityPolicyFrom(context) : undefined;
  // A wrong identity policy is the user's to fix before any trust root is fetched.
  if (identity !== undefined) (await import("../../signatures/bundle/identity-match.js")).compileIdentityPolicy(identity);
  const [{ verifySigstoreBundle }, { describeSigner, toJson }, trust, policy] = await Promise.all([
    import("../../signatures/bundle/verify-bundle.js"),
    import("./conformance.js"),
    trustMaterialFrom(context),
    identity !== undefined ? Promise.resolve(identity) : publicKeyFrom(keyPath!, context.io.env).then((publicKey) => ({ kind: "key" as const, publicKey })),
  ]);
  const untrustedBundle = readBundleJson(requireString(context, "bundle"));
  let verified;
  try {
    verified = verifySigstoreBundle(untrustedBundle, { bytes: readInput(file) }, policy, trust, ignoreTlog ? { requireTlog: false, requireTimestamps: 0 } : {});
  } catch (error) {
    throw SignetError.is(error) ? await explainAnchoring(error, context) : error;
  }
  if (outputFormat(context) === "json") writeJson(context.io, { file, ...toJson(verified) });
  else context.io.stderr.write(`Verified OK: ${describeSigner(verified)}${verified.tlogEntries.length === 0 ? " (no transparency log entry was checked)" : ""}\n`);
  return 0;
}

/**
 * cosign's certificate flags: the identity requirement they make (signer-options.ts) checked by the one signer
 * verifier, for a sigstore bundle or for `--signature` with `--certificate` (read as a cosign layer, as cosign does).
 */
async function verifyBlobWithCertificates(context: CommandContext, file: string): Promise<number> {
  const bundlePath = stringOption(context, "bundle");
  const signaturePath = stringOption(context, "signature");
  if ((bundlePath === undefined) === (signaturePath === undefined)) throw new SignetError("USAGE", "give --bundle, or --signature with --certificate");
  if (stringOption(context, "key") !== undefined) throw new SignetError("OPTION_CONFLICT", "give either --key or --certificate and the CA flags, not both");
  if (!hasIdentityOptions(context)) throw new SignetError("IDENTITY_POLICY_INVALID", "a certificate is checked against an identity: give --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]");
  const ignoreTlog = context.values["insecure-ignore-tlog"] === true;
  if (bundlePath === undefined && !ignoreTlog) {
    throw new SignetError("TLOG_LOOKUP_UNSUPPORTED", "a detached --signature carries no transparency log proof, and signet does not search Rekor for one", {
      hint: "Verify a bundle instead, or add --insecure-ignore-tlog to check the signature and certificate alone.",
    });
  }
  if (ignoreTlog) context.io.stderr.write(`${TLOG_SKIPPED_WARNING}\n`);
  const setup = await signerSetupFrom(context);
  const { verifyBundleSigner, verifyLegacySigner } = await import("../../signatures/cosign/keyless.js");
  const blob = readInput(file);
  let proof;
  try {
    if (bundlePath !== undefined) {
      proof = verifyBundleSigner(setup.requirement, readBundleJson(bundlePath), { bytes: blob });
    } else {
      const signature = decodeBlobSignature(readSignatureArgument(signaturePath!));
      proof = verifyLegacySigner(setup.requirement, { signedBytes: blob, signatureBase64: signature.toString("base64"), untrustedAnnotations: {} });
    }
  } catch (error) {
    throw SignetError.is(error) ? await explainAnchoring(error, context) : error;
  }
  const { describeSigner, toJson } = await import("./conformance.js");
  const verified = proof.verified!;
  if (outputFormat(context) === "json") writeJson(context.io, { file, ...toJson(verified) });
  else context.io.stderr.write(`Verified OK: ${describeSigner(verified)} (CAs: ${setup.trust ?? "the trust root"})${verified.tlogEntries.length === 0 ? " (no transparency log entry was checked)" : ""}\n`);
  return 0;
}

/** A bundle file's JSON, through the one reader of signed JSON (duplicate keys, BOM, trailing bytes refused). */
function readBundleJson(bundlePath: string): unknown {
  return parseSignedJson(readInput(bundlePath), `the bundle ${bundlePath}`, "BUNDLE_INVALID");
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

