/**
 * cosign's `attest-blob` and `verify-blob-attestation`: an in-toto statement about a file (its base name and sha256
 * digest), signed as a DSSE envelope; verified by the one attestation verifier with the file's digest as subject.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { SignetError } from "../../errors/index.js";
import { writeFileAtomic } from "../../internal/atomic-file.js";
import type { Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import { publicKeyToPem } from "../../keys/index.js";
import { resolvePredicateType } from "../../signatures/attestation/predicate-types.js";
import type { Command, CommandContext } from "../command.js";
import { OUTPUT_FORMAT_OPTION, outputFormat, readFileBounded, requireString, stringOption } from "../options.js";
import { writeJson } from "../output.js";
import { signerToJson } from "../signer-json.js";
import { SIGNER_OPTIONS, SIGNER_USAGE, signerSetupFrom, warnIfTlogIgnored } from "../signer-options.js";
import { SIGSTORE_SIGN_OPTIONS, SIGSTORE_SIGN_USAGE, sigstoreSignerFrom } from "./sign-sigstore.js";
import { ATTEST_INPUT_OPTIONS, TYPES } from "./attest.js";
import { explainAnchoring } from "./trust.js";
import { describeSigner } from "./verify.js";

/** Files attested or verified are read whole: at most this many bytes (a blob, not an image). */
const BLOB_MAX_BYTES = 1024 * 1024 * 1024;

export const attestBlobCommand: Command = {
  name: "attest-blob",
  summary: "Attest to a file: a signed in-toto statement (DSSE) naming its sha256 digest",
  usage: `signet attest-blob --key cosign.key --predicate FILE --type TYPE [--output-signature F] [--bundle F] BLOB

  As cosign attest-blob: the statement's subject is BLOB's base name and sha256 digest. Prints the DSSE envelope
  on stdout, or writes it to --output-signature; --output-attestation writes the statement, --bundle cosign's
  bundle (with --new-bundle-format a sigstore bundle), --output-certificate the signer's certificate.
  TYPE is ${TYPES}.
${SIGSTORE_SIGN_USAGE}`,
  options: {
    ...ATTEST_INPUT_OPTIONS,
    "output-signature": { type: "string", value: "FILE", description: "write the DSSE envelope to FILE instead of stdout" },
    "output-attestation": { type: "string", value: "FILE", description: "write the in-toto statement to FILE" },
    "output-certificate": { type: "string", value: "FILE", description: "write the signer's certificate (keyless) to FILE" },
    bundle: { type: "string", value: "FILE", description: "write cosign's bundle (envelope, certificate, log entry) to FILE; a sigstore bundle with --new-bundle-format" },
    ...SIGSTORE_SIGN_OPTIONS,
    "new-bundle-format": { type: "boolean", description: "--bundle writes a sigstore bundle (v0.3) instead of cosign's local bundle" },
    ...OUTPUT_FORMAT_OPTION,
  },
  async run(context) {
    const file = onlyBlob(context, "attest-blob");
    const type = stringOption(context, "type") ?? "custom";
    resolvePredicateType(type);
    const predicate = readFileBounded(requireString(context, "predicate"), "the predicate", LIMITS.signatureLayerBytes);
    const blob = readFileBounded(file, "the file", BLOB_MAX_BYTES);
    const bundleFormat = context.values["new-bundle-format"] === true;
    if (bundleFormat && stringOption(context, "bundle") === undefined) throw new SignetError("USAGE", "--new-bundle-format writes the sigstore bundle to --bundle FILE: give --bundle");
    const signer = await sigstoreSignerFrom(context);
    const { attestBlob } = await import("../../signatures/attestation/blob-attestation.js");
    const attested = await attestBlob({
      signer: { key: signer.key, ...(signer.certificatePem !== undefined ? { certificatePem: signer.certificatePem } : {}), ...(signer.chainPem !== undefined ? { chainPem: signer.chainPem } : {}), ...(signer.rekorUrl !== undefined ? { rekorUrl: signer.rekorUrl } : {}) },
      type,
      predicate,
      blob,
      name: basename(file),
      bundleFormat,
    });
    const files: Record<string, string> = {};
    const write = async (flag: string, bytes: Buffer | string, message: string): Promise<void> => {
      const path = stringOption(context, flag);
      if (path === undefined) return;
      await writeFileAtomic(path, bytes, { mode: 0o600 });
      files[flag] = path;
      context.io.stderr.write(`${message} ${path}\n`);
    };
    await write("output-signature", attested.envelope, "Signature written in");
    await write("output-attestation", attested.statement, "Attestation written in");
    await write("output-certificate", signer.certificatePem ?? publicKeyToPem(signer.key.publicKey), "Certificate written to file");
    await write("bundle", attested.bundle, "Bundle wrote in the file");
    if (outputFormat(context) === "json") {
      writeJson(context.io, { file, signer: signer.who, envelope: JSON.parse(attested.envelope.toString("utf8")) as unknown, files, logIndex: attested.logIndex ?? null });
    } else if (files["output-signature"] === undefined) {
      context.io.stdout.write(`${attested.envelope.toString("utf8")}\n`);
    }
    return 0;
  },
};

export const verifyBlobAttestationCommand: Command = {
  name: "verify-blob-attestation",
  summary: "Verify an attestation of a file",
  usage: `signet verify-blob-attestation --key cosign.pub --signature ENVELOPE --type TYPE BLOB
       signet verify-blob-attestation --certificate-identity ID --certificate-oidc-issuer URL --bundle FILE --type TYPE BLOB

  As cosign verify-blob-attestation: the DSSE envelope (--signature, as attest-blob writes it) or the bundle
  (--bundle: cosign's bundle or a sigstore bundle) must be signed as required, hold an in-toto statement of the
  predicate type --type, and name BLOB's sha256 digest as a subject (--check-claims=false: any subject).
${SIGNER_USAGE}
  TYPE is ${TYPES}.`,
  options: {
    ...SIGNER_OPTIONS,
    signature: { type: "string", value: "FILE", description: "the DSSE envelope (JSON) attest-blob wrote" },
    bundle: { type: "string", value: "FILE", description: "cosign's bundle or a sigstore bundle holding the envelope and its proofs" },
    type: { type: "string", value: "TYPE", default: "custom", description: "the predicate type required" },
    "check-claims": { type: "boolean", default: true, description: "require the statement to name BLOB's digest (as cosign; =false only checks the signature and type)" },
    "new-bundle-format": { type: "boolean", description: "accepted: signet reads both bundle forms without the flag" },
    ...OUTPUT_FORMAT_OPTION,
  },
  async run(context) {
    const file = onlyBlob(context, "verify-blob-attestation");
    const signaturePath = stringOption(context, "signature");
    const bundlePath = stringOption(context, "bundle");
    if ((signaturePath === undefined) === (bundlePath === undefined)) throw new SignetError("USAGE", "give --signature ENVELOPE or --bundle FILE (one of them)");
    const predicateType = resolvePredicateType(stringOption(context, "type") ?? "custom");
    if (context.values["check-claims"] === false) {
      throw new SignetError("USAGE", "--check-claims=false is not supported: signet always checks that the statement names the file's digest", { hint: "Leave --check-claims out (it defaults to true)." });
    }
    const setup = await signerSetupFrom(context);
    warnIfTlogIgnored(context, setup);
    const blobDigest = `sha256:${createHash("sha256").update(readFileBounded(file, "the file", BLOB_MAX_BYTES)).digest("hex")}` as Digest;
    const source = (signaturePath ?? bundlePath)!;
    const bytes = readFileBounded(source, signaturePath !== undefined ? "the envelope" : "the bundle", LIMITS.signatureLayerBytes);
    const { verifyBlobAttestation } = await import("../../signatures/attestation/blob-attestation.js");
    let verified;
    try {
      verified = verifyBlobAttestation({ blobDigest, untrusted: { kind: signaturePath !== undefined ? "envelope" : "bundle", bytes, source }, signer: setup.requirement, predicateType });
    } catch (error) {
      throw SignetError.is(error) ? await explainAnchoring(error, context) : error;
    }
    if (outputFormat(context) === "json") {
      writeJson(context.io, { file, digest: blobDigest, verified: true, predicateType: verified.statement.predicateType, statement: verified.statement, signer: signerToJson(verified.signer), transparencyLog: setup.tlogIgnored ? "not checked (--insecure-ignore-tlog)" : "required" });
    } else {
      context.io.stderr.write(`Verified OK (${verified.statement.predicateType}, ${describeSigner(verified.signer)})\n`);
    }
    return 0;
  },
};

function onlyBlob(context: CommandContext, command: string): string {
  if (context.positionals.length !== 1) throw new SignetError("USAGE", `${command} takes exactly one file`);
  return context.positionals[0]!;
}
