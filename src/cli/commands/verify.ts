import { SignetError, toSignetError } from "../../errors/index.js";
import { LIMITS } from "../../internal/limits.js";
import { decodeBlobSignature } from "../../signatures/blob/blob-signature.js";
import { forEachConcurrentlyInOrder, mapConcurrently } from "../../internal/concurrency.js";
import { ImageAccess } from "../../oci/image-access.js";
import type { SignerProof } from "../../signatures/cosign/keyless.js";
import { verifyImage, type ImageVerificationResult, type SignatureFormats, type VerifiedSignature } from "../../signatures/verifier/index.js";
import { signerToJson } from "../signer-json.js";
import { explainAnchoring } from "./trust.js";
import type { CliIo, Command, CommandContext } from "../command.js";
import { COSIGN_VERIFY_OUTPUT_OPTIONS, REGISTRY_OPTIONS, cosignOutput, keyValueOptions, maxWorkers, outputFormat, readFileBounded, readSignatureArgument, registryOptions, signatureRepositoryFrom, stringOption } from "../options.js";
import type { DetachedSignature } from "../../signatures/verifier/discover-records.js";
import type { ImageLocation } from "../../oci/reference/index.js";
import type { Repository } from "../../oci/repository.js";
import { createProgress, exitCodeOf, printError, writeJson } from "../output.js";
import { SIGNER_OPTIONS, SIGNER_USAGE, signerSetupFrom, warnIfTlogIgnored, type SignerSetup } from "../signer-options.js";

export const verifyCommand: Command = {
  name: "verify",
  summary: "Verify the signatures of images",
  usage: `signet verify --key cosign.pub [-a key=value]... IMAGE...
       signet verify --certificate-identity ID --certificate-oidc-issuer URL [--trusted-root F] IMAGE...
       signet verify --certificate-identity ID --certificate-oidc-issuer URL (--certificate-chain F | --ca-roots F) [--certificate F] IMAGE...

  Finds the image's signatures in every format cosign writes: the legacy REPO:sha256-<hex>.sig tag (key or
  keyless: certificate, chain and Rekor bundle annotations), then sigstore bundles and cosign's .sig-style
  manifests (cosign's signing in its oci-1-1 referrers mode) attached as OCI referrers (referrers API, else the
  sha256-<hex> tag). Prints the verified payloads of each image as a JSON array on
  stdout (as cosign does) and a summary on stderr naming the verified signer. Fails unless every image has
  at least one valid signature (exit codes: docs/errors.md).
${SIGNER_USAGE}

  --signature FILE [--payload FILE] checks a signature written to a file by \`sign\` (not uploaded) instead
  of the attached ones (the payload must still name the image's digest). COSIGN_REPOSITORY=REPO looks for the
  signatures in REPO instead of the image's repository.

  Output as cosign's: -o json (the default) prints each image's verified payloads as a JSON array on stdout,
  -o text one payload per line; --output-file FILE writes them to FILE. --output-format json replaces them with
  signet's report: one JSON document with a result per image, failures included (error code and exit code).`,
  options: {
    ...SIGNER_OPTIONS,
    annotations: { type: "string", short: "a", multiple: true, value: "k=v", description: "require this annotation in the signed payload" },
    "new-bundle-format": { type: "boolean", description: "look only for sigstore bundles (OCI referrers)" },
    platform: { type: "string", value: "os/arch[/variant]", description: "for a multi-arch index, verify the platform instance a runtime there pulls" },
    recursive: { type: "boolean", short: "r", description: "for a multi-arch index, verify the index and every platform instance" },
    "check-claims": { type: "boolean", default: true, description: "signet always checks the signed claims: --check-claims=false is refused" },
    "experimental-oci11": { type: "boolean", description: "accepted: signet always looks for OCI 1.1 referrers as well as the .sig tag" },
    "max-workers": { type: "string", value: "N", default: "64", description: "images verified at once (cosign: 10; a higher default because signet pools connections)" },
    signature: { type: "string", value: "FILE", description: "check this detached signature (a file holding base64, or the base64 text) instead of the attached ones" },
    payload: { type: "string", value: "FILE", description: "the payload the detached --signature signs (default: the image's standard payload, as cosign)" },
    "local-image": { type: "boolean", description: "IMAGE is a directory written by `save` (cosign's layout): verify the image and signatures saved there" },
    ...REGISTRY_OPTIONS,
    ...COSIGN_VERIFY_OUTPUT_OPTIONS,
  },
  async run(context) {
    const format = outputFormat(context);
    const payloadFormat = cosignOutput(context);
    if (context.values["check-claims"] === false) {
      throw new SignetError("USAGE", "--check-claims=false is not supported: signet always checks that the signed payload names the image digest", { hint: "Leave --check-claims out (it defaults to true)." });
    }
    const workers = maxWorkers(context, 64);
    const images = context.positionals;
    if (images.length === 0) throw new SignetError("USAGE", "verify needs at least one IMAGE");
    const setup = await signerSetupFrom(context);
    warnIfTlogIgnored(context, setup);
    const requiredAnnotations = keyValueOptions(context, "annotations");
    const formats: SignatureFormats = context.values["new-bundle-format"] === true ? "bundle" : "auto";
    const multiArch = multiArchOptions(context);
    const detached = detachedSignatureFrom(context);
    const access = new ImageAccess(registryOptions(context));
    try {
      const local = context.values["local-image"] === true ? await openLocalImages(images) : undefined;
      const signatureRepository = local === undefined ? await signatureRepositoryFrom(context, access) : undefined;
      const where = { ...(signatureRepository === undefined ? {} : { signatureRepository }), ...(detached === undefined ? {} : { detached }) };
      type Outcome = { image: string; verified: ImageVerificationResult } | { image: string; error: SignetError };
      const progress = createProgress(context.io, "Verifying", images.length);
      const verifyOne = async (image: string): Promise<Outcome> => {
        try {
          const verified = await verifyImage(access, local?.get(image)?.location ?? image, { requirement: setup.requirement, requiredAnnotations, formats, ...multiArch, ...where, ...local?.get(image)?.options });
          progress.done();
          return { image, verified };
        } catch (error) {
          const failure = await explainAnchoring(toSignetError(error), context);
          progress.done(failure);
          return { image, error: failure };
        }
      };
      if (format === "json") {
        const outcomes = await mapConcurrently(images, workers, verifyOne);
        progress.finish();
        const failures = outcomes.flatMap((o) => ("error" in o ? [o.error] : []));
        const exitCode = exitCodeOf(failures);
        writeJson(context.io, {
          verified: failures.length === 0,
          exitCode,
          signer: setup.description,
          trust: setup.trust ?? null,
          transparencyLog: describeLogPolicy(setup),
          images: outcomes.map((o) => ("error" in o ? { image: o.image, verified: false, error: o.error.toJSON() } : toJson(o.image, o.verified))),
        });
        return exitCode;
      }
      // Text: each image's report is written as soon as it and every image before it are done (in the order
      // given, as cosign), and then dropped: a verify of many images holds only what is still in flight.
      const failures: SignetError[] = [];
      await forEachConcurrentlyInOrder(images, workers, verifyOne, (outcome) =>
        progress.around(() => {
          if ("error" in outcome) {
            failures.push(outcome.error);
            context.io.stderr.write(`Verification of ${outcome.image} failed.\n`);
            printError(context.io, outcome.error, false);
          } else {
            describeVerified(context.io.stderr, outcome.image, outcome.verified, setup);
            writeCosignPayloads(context.io, payloadFormat, outcome.verified.verified);
          }
        }),
      );
      progress.finish();
      return exitCodeOf(failures);
    } finally {
      await access.close();
    }
  },
};

/**
 * `--local-image`: each IMAGE is a directory written by `save`; the image is read from it by digest and its
 * signatures from the manifests the layout lists for them.
 */
export async function openLocalImages(dirs: readonly string[]): Promise<Map<string, { location: ImageLocation; options: { signatureRepository: Repository } }>> {
  const [{ openLayout }, { savedLayoutAttachments }] = await Promise.all([import("../../oci/layout/index.js"), import("../../signatures/cosign/save-layout.js")]);
  const opened = new Map<string, { location: ImageLocation; options: { signatureRepository: Repository } }>();
  for (const dir of dirs) {
    const saved = await savedLayoutAttachments(await openLayout(dir));
    opened.set(dir, { location: { transport: "oci", path: dir, digest: saved.image.digest } as ImageLocation, options: { signatureRepository: saved.attachments } });
  }
  return opened;
}

/** `--signature FILE [--payload FILE]`: a detached signature, read whole (bounded), not yet trusted. */
export function detachedSignatureFrom(context: CommandContext): DetachedSignature | undefined {
  const signaturePath = stringOption(context, "signature");
  const payloadPath = stringOption(context, "payload");
  if (signaturePath === undefined) {
    if (payloadPath !== undefined) throw new SignetError("USAGE", "--payload names what a detached --signature signs: give --signature too");
    return undefined;
  }
  if (/^https?:\/\//.test(signaturePath) || (payloadPath !== undefined && /^https?:\/\//.test(payloadPath))) {
    throw new SignetError("USAGE", "--signature and --payload take files here, not URLs", { hint: "Download the files first (signet fetches nothing but registries and the trust root)." });
  }
  const untrustedSignatureBase64 = decodeBlobSignature(readSignatureArgument(signaturePath)).toString("base64");
  const untrustedPayload = payloadPath === undefined ? undefined : readFileBounded(payloadPath, "the payload", LIMITS.signatureLayerBytes);
  return { untrustedSignatureBase64, ...(untrustedPayload === undefined ? {} : { untrustedPayload }), description: payloadPath === undefined ? signaturePath : `${signaturePath} over ${payloadPath}` };
}

function describeLogPolicy(setup: SignerSetup): string {
  return setup.tlogIgnored ? "not checked (--insecure-ignore-tlog)" : "required";
}

/** `--platform` and `--recursive` (verify and verify-attestation): one multi-arch rule, not both. */
export function multiArchOptions(context: CommandContext): { platform?: string; recursive?: boolean } {
  const platform = typeof context.values["platform"] === "string" ? context.values["platform"] : undefined;
  const recursive = context.values["recursive"] === true;
  if (platform !== undefined && recursive) throw new SignetError("OPTION_CONFLICT", "give --platform (one instance) or --recursive (the index and every instance), not both");
  return { ...(platform === undefined ? {} : { platform }), ...(recursive ? { recursive } : {}) };
}

function describeVerified(out: NodeJS.WritableStream, image: string, verified: ImageVerificationResult, setup: SignerSetup): void {
  const count = verified.verified.length;
  const keyless = setup.requirement.kind === "identity";
  const lines = [
    `\nVerification for ${image} --`,
    ...(verified.image.resolvedTag !== undefined ? [`(tag ${verified.image.resolvedTag} resolved to ${verified.index ?? verified.digest})`] : []),
    ...(verified.index !== undefined ? [`(platform ${verified.platform ?? "?"} of index ${verified.index}: ${verified.digest})`] : []),
    "The following checks were performed on each of these signatures:",
    `  - The cosign claims were validated (the signed payload names ${verified.digest})`,
    ...(keyless
      ? ["  - The code-signing certificate was verified using trusted certificate authority certificates", `  - The certificate's identity matched ${setup.description}`]
      : ["  - The signatures were verified against the specified public key"]),
    `  - ${setup.tlogIgnored ? "The transparency log was not checked (--insecure-ignore-tlog)" : describeTlog(verified.verified)}`,
    ...verified.verified.map((s) => `  ${describeSignature(s)}`),
    ...verified.instances.map((i) => `  platform ${i.platform ?? "?"} ${i.digest}: ${i.verified.length} signature(s) verified`),
    `${count} signature${count === 1 ? "" : "s"} verified` +
      (verified.rejected.length > 0 ? `; ${verified.rejected.length} other signature(s) did not verify and were ignored` : "") +
      (verified.skipped.length > 0 ? `; ${verified.skipped.length} signature layer(s) could not be read and were skipped` : "") +
      ".",
    ...verified.skipped.map((s) => `  skipped .sig layer ${s.layerDigest}: ${s.reason} [${s.code}]`),
  ];
  out.write(`${lines.join("\n")}\n`);
}

function describeTlog(signatures: readonly VerifiedSignature[]): string {
  const statuses = new Set(signatures.map((s) => s.signer.tlog));
  if (statuses.size === 1 && statuses.has("verified")) return "Existence of the claims in the transparency log was verified offline";
  if (statuses.size === 1 && statuses.has("not-configured")) return "No transparency log was checked: none is configured";
  if (statuses.size === 1 && statuses.has("ignored")) return "The transparency log was not checked (--insecure-ignore-tlog)";
  return "Transparency log: " + signatures.map((s) => s.signer.tlog).join(", ");
}

function describeSignature(signature: VerifiedSignature): string {
  const where = signature.source.startsWith("the detached")
    ? signature.source
    : signature.format === "cosign-legacy"
      ? `legacy .sig layer ${signature.source}`
      : signature.format === "notation"
        ? `Notation signature ${signature.source}`
        : `sigstore bundle ${signature.source}`;
  return `${where}: ${describeSigner(signature.signer)}`;
}

export function describeSigner(signer: SignerProof | VerifiedSignature["signer"]): string {
  if (signer.kind === "gpg") return `signed with GPG key ${signer.fingerprint}`;
  if (signer.kind === "notation") return `signed by "${signer.subject}" (Notation, trust policy statement "${signer.statement}")`;
  const who = signer.kind === "keyless" ? `signed by ${signer.subject ?? "(no subject)"} (issuer ${signer.issuer ?? "unknown"})` : `signed with key${signer.keyIndex !== undefined && signer.keyIndex > 0 ? ` ${signer.keyIndex + 1}` : ""}`;
  const log = signer.logIndex !== undefined ? `, logged at index ${signer.logIndex}${signer.integratedTime ? ` on ${signer.integratedTime.toISOString()}` : ""}` : "";
  return who + log;
}

/** What cosign prints on stdout: -o json, one array per image; -o text, one payload per line (signer details on stderr). */
function writeCosignPayloads(io: CliIo, format: "json" | "text", signatures: readonly VerifiedSignature[]): void {
  if (format === "json") {
    io.stdout.write(`${JSON.stringify(signatures.map(cosignStylePayload))}\n`);
    return;
  }
  for (const signature of signatures) {
    if (signature.signer.kind === "keyless") {
      io.stderr.write(`Certificate subject: ${signature.signer.subject ?? ""}\n`);
      if (signature.signer.issuer !== undefined) io.stderr.write(`Certificate issuer URL: ${signature.signer.issuer}\n`);
    }
    io.stdout.write(`${JSON.stringify(signature.payload)}\n`);
  }
}

/** The payload with the keyless signer's Issuer and Subject added to optional (as cosign's -o json). the payload, with the keyless signer's Issuer and Subject added to optional. */
function cosignStylePayload(signature: VerifiedSignature): unknown {
  if (signature.signer.kind !== "keyless") return signature.payload;
  const optional: Record<string, unknown> = { ...(signature.payload.optional ?? {}) };
  if (signature.signer.issuer !== undefined) optional["Issuer"] = signature.signer.issuer;
  if (signature.signer.subject !== undefined) optional["Subject"] = signature.signer.subject;
  return { ...signature.payload, optional };
}

function toJson(image: string, verified: ImageVerificationResult): Record<string, unknown> {
  return {
    image,
    verified: true,
    digest: verified.digest,
    ...(verified.index !== undefined ? { index: verified.index, platform: verified.platform ?? null } : {}),
    resolvedTag: verified.image.resolvedTag ?? null,
    ...digestJson(verified),
    ...(verified.instances.length > 0 ? { instances: verified.instances.map((i) => ({ digest: i.digest, platform: i.platform ?? null, ...digestJson(i) })) } : {}),
  };
}

function digestJson(result: ImageVerificationResult | ImageVerificationResult["instances"][number]): Record<string, unknown> {
  return {
    searched: result.searched,
    signatures: result.verified.map((s) => ({ format: s.format, source: s.source, payload: s.payload, signer: signerToJson(s.signer) })),
    rejected: result.rejected.map(({ format, source, code, reason }) => ({ format, source, code, reason })),
    ignored: result.ignored,
    skipped: result.skipped,
  };
}
