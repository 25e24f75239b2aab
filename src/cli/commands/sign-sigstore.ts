/**
 * `signet sign` beyond a key and the `.sig` tag: keyless signing (an identity token, an ephemeral key and a
 * Fulcio certificate), Rekor upload, and the sigstore bundle format attached as an OCI referrer. Loaded only
 * when one of these is asked for, so plain key signing does not pay for the sigstore libraries.
 */
import type { KeyObject } from "node:crypto";
import { SignetError, toSignetError } from "../../errors/index.js";
import { readFileLocation } from "../../internal/file-location.js";
import { LIMITS } from "../../internal/limits.js";
import { sha256Digest } from "../../internal/digest.js";
import { describeKeyReference, publicKeyToPem, type Signer } from "../../keys/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { signImagesAsBundles, type SignImageBundlesResult } from "../../signatures/cosign/sign-bundle.js";
import { signImages, type SignImageResult } from "../../signatures/cosign/sign-image.js";
import { CosignAnnotation } from "../../signatures/cosign/signature-manifest.js";
import { signingCertificateFor } from "../../signatures/cosign/signing-certificate.js";
import { pushSignatureReferrers, type SignatureReferrer } from "../../signatures/cosign/sign-referrer.js";
import type { CommandContext, OptionSpec, OutputFormat } from "../command.js";
import { booleanOption, keyValueOptions, readFileBounded, registryOptions, signatureRepositoryFrom, stringOption } from "../options.js";
import { checkBundleSignOptions, payloadOption, signedJson, uploadOption, wantsReferrer, writeSignOutputs } from "../sign-outputs.js";
import { exitCodeOf, printError, progress, writeJson } from "../output.js";
import { signingKeyFrom } from "../session.js";
import { tlogUploadFailed } from "../tlog.js";

export const SIGSTORE_SIGN_OPTIONS: OptionSpec = {
  "fulcio-url": { type: "string", value: "URL", default: "https://fulcio.sigstore.dev", description: "the Fulcio CA for keyless signing" },
  "rekor-url": { type: "string", value: "URL", default: "https://rekor.sigstore.dev", description: "the transparency log signatures are uploaded to" },
  "oidc-issuer": { type: "string", value: "URL", description: "the issuer the identity token must come from" },
  "identity-token": { type: "string", value: "TOKEN|FILE", description: "the OIDC identity token for keyless signing (else SIGSTORE_ID_TOKEN or GitHub Actions' token)" },
  "new-bundle-format": { type: "boolean", description: "store a sigstore bundle as an OCI referrer instead of a layer of the .sig tag" },
  "tlog-upload": { type: "boolean", default: true, description: "upload the signature to the transparency log (--tlog-upload=false: do not)" },
  "use-signing-config": { type: "boolean", description: "cosign 3: only --use-signing-config=false is accepted (signet uses --fulcio-url and --rekor-url)" },
  certificate: { type: "string", value: "FILE", description: "with --key: a certificate for the key (PEM or DER), attached with the signature; it must certify the key" },
  "certificate-chain": { type: "string", value: "FILE", description: "with --certificate: its CA chain (PEM, root last), checked and attached" },
  yes: { type: "boolean", short: "y", description: "do not ask for confirmation (signet never asks; also COSIGN_YES)" },
};

/** `sign` and `attest` (attest-blob and sign-blob do not request timestamps yet). */
export const SIGN_TIMESTAMP_OPTIONS: OptionSpec = {
  "timestamp-server-url": { type: "string", value: "URL", description: "an RFC 3161 timestamp authority that countersigns each signature (stored as cosign does)" },
  "timestamp-client-cacert": { type: "string", value: "FILE", description: "the CA certificates (PEM) that an https --timestamp-server-url is checked against, instead of the system's" },
};

export const SIGSTORE_SIGN_USAGE = `  Without --key, keyless signing: an OIDC identity token, an ephemeral key, a Fulcio certificate. As cosign 2,
  signatures are uploaded to the transparency log (--rekor-url) unless --tlog-upload=false.`;

/** True when the command line asks for more than key signing into the `.sig` tag without a log. */
export function wantsSigstoreSigning(context: CommandContext): boolean {
  return (
    stringOption(context, "key") === undefined ||
    stringOption(context, "certificate") !== undefined ||
    stringOption(context, "certificate-chain") !== undefined ||
    booleanOption(context, "tlog-upload", true) ||
    context.values["new-bundle-format"] === true ||
    wantsReferrer(context) ||
    ["fulcio-url", "rekor-url", "identity-token", "oidc-issuer", "timestamp-server-url"].some((name) => stringOption(context, name) !== undefined)
  );
}

export interface SigstoreSigner {
  readonly key: Signer;
  readonly certificatePem?: string;
  readonly chainPem?: string;
  /** For messages: "key cosign.key" or "alice@example.com (issuer https://…)". */
  readonly who: string;
  readonly rekorUrl?: string;
  /** --timestamp-server-url: an RFC 3161 TSA asked to countersign each signature. */
  readonly timestampUrl?: string;
  /** --timestamp-client-cacert: the TSA's TLS CA (PEM). */
  readonly timestampCa?: string;
}

export async function signWithSigstore(context: CommandContext, images: readonly string[], format: OutputFormat): Promise<number> {
  const bundle = context.values["new-bundle-format"] === true;
  // As cosign 2.5: oci-1-1 alone stores the .sig-style manifest as a referrer; with --new-bundle-format, the bundle.
  const referrer = wantsReferrer(context) && !bundle;
  if (bundle) checkBundleSignOptions(context);
  const payload = payloadOption(context);
  const signer = await sigstoreSignerFrom(context);
  const access = new ImageAccess(registryOptions(context));
  const annotations = keyValueOptions(context, "annotations");
  const recursive = context.values["recursive"] === true;
  try {
    const signatureRepository = await signatureRepositoryFrom(context, access);
    if (referrer && signatureRepository !== undefined) {
      throw new SignetError("OPTION_CONFLICT", "COSIGN_REPOSITORY applies to the .sig tag: a referrer signature is stored in the image's own repository", { hint: "Unset COSIGN_REPOSITORY, or sign without --registry-referrers-mode=oci-1-1." });
    }
    if (bundle && signatureRepository !== undefined) {
      throw new SignetError("OPTION_CONFLICT", "COSIGN_REPOSITORY applies to .sig signatures: a sigstore bundle is stored as a referrer of the image in its own repository", { hint: "Unset COSIGN_REPOSITORY, or sign without --new-bundle-format." });
    }
    progress(context.io, `Signing ${images.length} image(s) as ${signer.who}…`);
    const errors: SignetError[] = [];
    const report: unknown[] = [];
    if (bundle) {
      const results = await signImagesAsBundles(access, images, {
        signer: {
          key: signer.key,
          ...(signer.certificatePem !== undefined ? { certificatePem: signer.certificatePem } : {}),
          ...(signer.rekorUrl !== undefined ? { rekorUrl: signer.rekorUrl } : {}),
          ...(signer.timestampUrl !== undefined ? { timestamp: (signature: Buffer) => timestampSignature(signer, signer.timestampUrl!, signature) } : {}),
        },
        annotations,
        recursive,
      });
      results.forEach((result, index) => {
        if (SignetError.is(result)) {
          errors.push(result);
          if (format === "text") printError(context.io, result, false);
          report.push({ image: images[index], error: result.toJSON() });
        } else {
          if (format === "text") describeBundles(context.io.stderr, images[index]!, result, signer);
          report.push(bundlesJson(images[index]!, result, signer));
        }
      });
    } else {
      const results = await signImages(access, images, {
        key: signer.key,
        annotations,
        recursive,
        ...(stringOption(context, "sign-container-identity") !== undefined ? { signContainerIdentity: stringOption(context, "sign-container-identity")! } : {}),
        layerAnnotations: (signed, signature) => legacyAnnotations(signer, signed, signature),
        upload: uploadOption(context) && !referrer,
        ...(payload === undefined ? {} : { payload }),
        ...(signatureRepository === undefined ? {} : { signatureRepository }),
      });
      const done = results.filter((r): r is SignImageResult => !SignetError.is(r));
      if (done.length === results.length) await writeSignOutputs(context, done, signer);
      const referrers = referrer && uploadOption(context) ? await pushReferrers(results) : undefined;
      results.forEach((result, index) => {
        const pushed = referrers?.[index];
        if (SignetError.is(result)) {
          errors.push(result);
          if (format === "text") printError(context.io, result, false);
          report.push({ image: images[index], error: result.toJSON() });
        } else if (pushed !== undefined) {
          if (SignetError.is(pushed)) {
            errors.push(pushed);
            if (format === "text") printError(context.io, pushed, false);
            report.push({ image: images[index], error: pushed.toJSON() });
            return;
          }
          if (format === "text") describeReferrers(context.io.stderr, images[index]!, result, pushed, signer);
          report.push({ ...legacyJson(images[index]!, result, signer), format: "cosign-referrer", signed: pushed.map((p) => ({ digest: p.digest, referrer: p.referrer.descriptor.digest, listedBy: p.referrer.listedBy })) });
        } else {
          if (format === "text") describeLegacy(context.io.stderr, images[index]!, result, signer);
          report.push(legacyJson(images[index]!, result, signer));
        }
      });
    }
    if (format === "json") writeJson(context.io, report);
    return exitCodeOf(errors);
  } finally {
    await access.close();
  }
}

/** The signer the command line names: a key (optionally logged to --rekor-url), or keyless through Fulcio. */
export async function sigstoreSignerFrom(context: CommandContext): Promise<SigstoreSigner> {
  const tlogUpload = booleanOption(context, "tlog-upload", true);
  if (context.values["use-signing-config"] === true) {
    throw new SignetError("USAGE", "--use-signing-config=true is not supported: signet has no signing-config support", { hint: "Pass --use-signing-config=false (or leave it out) and name the services with --fulcio-url and --rekor-url." });
  }
  const rekorFlag = stringOption(context, "rekor-url");
  const keyPath = stringOption(context, "key");
  if (keyPath !== undefined) {
    for (const name of ["identity-token", "fulcio-url", "oidc-issuer"]) {
      if (stringOption(context, name) !== undefined) throw new SignetError("OPTION_CONFLICT", `--${name} is for keyless signing and cannot be combined with --key`);
    }
    const key = await signingKeyFrom(context, keyPath);
    const certificate = signingCertificateFrom(context, key.publicKey);
    // As cosign 2: key-based signatures go to the log too (--rekor-url, default the public one) unless --tlog-upload=false.
    const rekorUrl = tlogUpload ? (rekorFlag ?? (await import("../../transparency/rekor-client.js")).DEFAULT_REKOR_URL) : undefined;
    return { key, ...certificate, who: `key ${describeKeyReference(keyPath)}${certificate.certificatePem !== undefined ? " with certificate " + stringOption(context, "certificate")! : ""}`, ...(rekorUrl !== undefined ? { rekorUrl } : {}), ...(await timestampUrlOf(context)) };
  }
  for (const name of ["certificate", "certificate-chain"]) {
    if (stringOption(context, name) !== undefined) throw new SignetError("OPTION_CONFLICT", `--${name} is a certificate for a signing key: it needs --key`, { hint: "Keyless signing gets its certificate from Fulcio; give --key with --certificate." });
  }
  const [{ resolveIdentityToken }, { createKeylessSigner }, { DEFAULT_FULCIO_URL }, { DEFAULT_REKOR_URL }] = await Promise.all([
    import("../../signing/identity-token.js"),
    import("../../signing/keyless-signer.js"),
    import("../../signing/fulcio-client.js"),
    import("../../transparency/rekor-client.js"),
  ]);
  const identity = await resolveIdentityToken({ flag: stringOption(context, "identity-token"), env: context.io.env });
  const expectedIssuer = stringOption(context, "oidc-issuer");
  if (expectedIssuer !== undefined && identity.issuer !== expectedIssuer) {
    throw new SignetError("OIDC_TOKEN_INVALID", `the identity token from ${identity.source} was issued by ${identity.issuer}, not --oidc-issuer ${expectedIssuer}`);
  }
  const keyless = await createKeylessSigner({ fulcioUrl: stringOption(context, "fulcio-url") ?? DEFAULT_FULCIO_URL, identity });
  const rekorUrl = tlogUpload ? (rekorFlag ?? DEFAULT_REKOR_URL) : undefined;
  return {
    key: keyless.key,
    certificatePem: keyless.certificate.certificatePem,
    chainPem: keyless.certificate.chainPem,
    who: `${identity.subject} (issuer ${identity.issuer})`,
    ...(rekorUrl !== undefined ? { rekorUrl } : {}),
    ...(await timestampUrlOf(context)),
  };
}

/**
 * cosign's `--certificate`/`--certificate-chain` with `--key`: checked against the key (and the chain against the
 * certificate) before anything is signed; the same certificate and chain annotations as `attach signature` writes.
 */
function signingCertificateFrom(context: CommandContext, publicKey: KeyObject): { certificatePem?: string; chainPem?: string } {
  const certificatePath = stringOption(context, "certificate");
  const chainPath = stringOption(context, "certificate-chain");
  if (certificatePath === undefined) {
    if (chainPath !== undefined) throw new SignetError("USAGE", "--certificate-chain goes with --certificate: no certificate was given for the chain to issue");
    return {};
  }
  return signingCertificateFor(publicKey, {
    certificate: readFileBounded(certificatePath, "the certificate", LIMITS.certificateFileBytes),
    certificateName: certificatePath,
    ...(chainPath === undefined ? {} : { chainPem: readFileBounded(chainPath, "the certificate chain", LIMITS.certificateChainFileBytes).toString("utf8"), chainName: chainPath }),
  });
}

async function timestampUrlOf(context: CommandContext): Promise<{ timestampUrl?: string; timestampCa?: string }> {
  const url = stringOption(context, "timestamp-server-url");
  const caFile = stringOption(context, "timestamp-client-cacert");
  if (url === undefined || url === "") {
    if (caFile !== undefined) throw new SignetError("USAGE", "--timestamp-client-cacert needs --timestamp-server-url");
    return {};
  }
  if (caFile === undefined) return { timestampUrl: url };
  const ca = (await readFileLocation(caFile, { maxBytes: 1024 * 1024, what: "--timestamp-client-cacert", code: "FILE_NOT_FOUND" })).toString("utf8");
  if (!ca.includes("-----BEGIN CERTIFICATE-----")) throw new SignetError("USAGE", `--timestamp-client-cacert ${caFile} holds no PEM certificate`);
  return { timestampUrl: url, timestampCa: ca };
}

/**
 * cosign's RFC 3161 timestamp over the raw signature bytes: the whole TimeStampResp, base64 in
 * `{"SignedRFC3161Timestamp":"…"}` (legacy layer annotation) or as a bundle's rfc3161Timestamps entry.
 */
export async function timestampSignature(signer: Pick<SigstoreSigner, "timestampCa">, timestampUrl: string, signature: Buffer): Promise<Buffer> {
  const [{ requestTimestampResponse }, { Agent }] = await Promise.all([import("../../signing/timestamp-client.js"), import("undici")]);
  const dispatcher = signer.timestampCa === undefined ? undefined : new Agent({ connect: { ca: signer.timestampCa } });
  try {
    return (await requestTimestampResponse(timestampUrl, signature, { flag: "--timestamp-server-url", ...(dispatcher === undefined ? {} : { dispatcher }) })).response;
  } finally {
    await dispatcher?.close();
  }
}

/** The `.sig` layer annotations besides the signature: certificate and chain (keyless), Rekor bundle (logged). */
async function legacyAnnotations(signer: SigstoreSigner, payload: Buffer, signature: Buffer): Promise<Record<string, string>> {
  const annotations: Record<string, string> = {};
  if (signer.certificatePem !== undefined) annotations[CosignAnnotation.certificate] = signer.certificatePem;
  if (signer.chainPem !== undefined && signer.chainPem !== "") annotations[CosignAnnotation.chain] = signer.chainPem;
  if (signer.timestampUrl !== undefined) {
    const response = await timestampSignature(signer, signer.timestampUrl, signature);
    annotations[CosignAnnotation.rfc3161Timestamp] = JSON.stringify({ SignedRFC3161Timestamp: response.toString("base64") });
  }
  if (signer.rekorUrl !== undefined) {
    const { uploadToRekor } = await import("../../transparency/rekor-client.js");
    const rekorUrl = signer.rekorUrl;
    const entry = await uploadToRekor({
      rekorUrl,
      content: { kind: "message", sha256: Buffer.from(sha256Digest(payload).slice("sha256:".length), "hex"), signature },
      verifierPem: signer.certificatePem ?? publicKeyToPem(signer.key.publicKey),
    }).catch((error: unknown) => {
      throw tlogUploadFailed(rekorUrl, error);
    });
    annotations[CosignAnnotation.bundle] = entry.cosignBundleAnnotation;
  }
  return annotations;
}

function describeLegacy(out: NodeJS.WritableStream, image: string, result: SignImageResult, signer: SigstoreSigner): void {
  if (result.image.resolvedTag !== undefined) out.write(`Resolved ${image} to digest ${result.image.digest}: signing the digest, not the tag.\n`);
  for (const signed of result.signed) {
    const where = signed.uploaded ? `signature stored in ${signed.repository}:${signed.tag}` : "not uploaded (--upload=false)";
    out.write(`Signed ${signed.digest} as ${signer.who}${signer.rekorUrl !== undefined ? ", logged in Rekor" : ", not logged"}; ${where}\n`);
  }
}

/** Each image's signatures as cosign's referrer manifests, or the error that stopped them. */
async function pushReferrers(results: readonly (SignImageResult | SignetError)[]): Promise<(SignatureReferrer[] | SignetError | undefined)[]> {
  const pushed: (SignatureReferrer[] | SignetError | undefined)[] = [];
  for (const result of results) {
    if (SignetError.is(result)) pushed.push(undefined);
    else pushed.push(await pushSignatureReferrers(result.image.repository, result.signed).catch((error: unknown) => toSignetError(error)));
  }
  return pushed;
}

function describeReferrers(out: NodeJS.WritableStream, image: string, result: SignImageResult, pushed: readonly SignatureReferrer[], signer: SigstoreSigner): void {
  if (result.image.resolvedTag !== undefined) out.write(`Resolved ${image} to digest ${result.image.digest}: signing the digest, not the tag.\n`);
  for (const one of pushed) {
    const listed = one.referrer.listedBy === "referrers-api" ? "listed by the referrers API" : `listed in ${result.image.repository.displayName}:${one.referrer.tag}`;
    out.write(`Signed ${one.digest} as ${signer.who}${signer.rekorUrl !== undefined ? ", logged in Rekor" : ", not logged"}; signature stored as referrer ${one.referrer.descriptor.digest} (${listed})\n`);
  }
}

function describeBundles(out: NodeJS.WritableStream, image: string, result: SignImageBundlesResult, signer: SigstoreSigner): void {
  if (result.image.resolvedTag !== undefined) out.write(`Resolved ${image} to digest ${result.image.digest}: signing the digest, not the tag.\n`);
  for (const signed of result.signed) {
    const listed = signed.referrer.listedBy === "referrers-api" ? "listed by the referrers API" : `listed in ${result.image.repository.displayName}:${signed.referrer.tag}`;
    const logged = signed.logIndex !== undefined ? `, logged in Rekor at index ${signed.logIndex}` : ", not logged";
    out.write(`Signed ${signed.digest} as ${signer.who}${logged}; bundle stored as referrer ${signed.referrer.descriptor.digest} (${listed})\n`);
  }
}

function legacyJson(image: string, result: SignImageResult, signer: SigstoreSigner): Record<string, unknown> {
  return {
    image,
    digest: result.image.digest,
    resolvedTag: result.image.resolvedTag ?? null,
    signer: signer.who,
    format: "cosign-legacy",
    transparencyLog: signer.rekorUrl ?? null,
    signed: result.signed.map(signedJson),
  };
}

function bundlesJson(image: string, result: SignImageBundlesResult, signer: SigstoreSigner): Record<string, unknown> {
  return {
    image,
    digest: result.image.digest,
    resolvedTag: result.image.resolvedTag ?? null,
    signer: signer.who,
    format: "sigstore-bundle",
    transparencyLog: signer.rekorUrl ?? null,
    signed: result.signed.map((s) => ({ digest: s.digest, referrer: s.referrer.descriptor.digest, listedBy: s.referrer.listedBy, logIndex: s.logIndex ?? null })),
  };
}
