import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { SignetError } from "../../errors/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { signImages, type SignImageResult } from "../../signatures/cosign/sign-image.js";
import type { Command, CommandContext, OutputFormat } from "../command.js";
import { OUTPUT_OPTION, REGISTRY_OPTIONS, keyValueOptions, outputFormat, registryOptions, requireString, signatureRepositoryFrom, stringOption } from "../options.js";
import { SIGN_OUTPUT_OPTIONS, checkSignOutputOptions, payloadOption, signedJson, uploadOption, writeSignOutputs } from "../sign-outputs.js";
import { exitCodeOf, printError, progress, writeJson } from "../output.js";
import { signingKeyFrom } from "../session.js";
import { SIGN_TIMESTAMP_OPTIONS, SIGSTORE_SIGN_OPTIONS, SIGSTORE_SIGN_USAGE, signWithSigstore, wantsSigstoreSigning } from "./sign-sigstore.js";

/**
 * Images signed at once. Each image's confirming re-read is due a few times its own write window after its write
 * (see signatures/cosign/attach.ts), so the wait overlaps the writing of later images. More requests in flight
 * do not sign faster once the client or a loopback registry is CPU-bound: they only queue, which stretches every
 * window and so the wait left at the end (measured with `npm run bench`: 64 at once left ~2 s idle for 200
 * images where 16 left ~0.3 s).
 */
const SIGN_CONCURRENCY = 16;

export const signCommand: Command = {
  name: "sign",
  summary: "Sign images: cosign .sig attachments, or GPG simple signing to a lookaside store",
  usage: `signet sign --key cosign.key [-a key=value]... [--recursive] IMAGE...
       signet sign --gpg-key key.gpg [--passphrase-file F] [--registries-d DIR] [--lookaside-staging URL] IMAGE...

  IMAGE is a registry reference (docker://REF or REF) or an OCI layout (oci:PATH[:TAG]).
  A tag is resolved to its digest, and the digest is what gets signed.
${SIGSTORE_SIGN_USAGE}
  GPG simple signing (as skopeo copy's sign-by option; registry images only): --gpg-key, written to the lookaside staging
  store of registries.d or --lookaside-staging; with --swr-asc DIR|URL, as an swr-cosign .asc object instead.`,
  options: {
    key: { type: "string", value: "PATH", description: "cosign encrypted key or PEM private key" },
    "password-file": { type: "string", value: "FILE", description: "read the key's password from FILE (else COSIGN_PASSWORD, else a prompt)" },
    annotations: { type: "string", short: "a", multiple: true, value: "k=v", description: "add an annotation to the signed payload" },
    recursive: { type: "boolean", short: "r", description: "for a multi-arch index, also sign every platform manifest" },
    "sign-container-identity": { type: "string", value: "REF", description: "the docker-reference to write in the payload instead of the image's repository" },
    "gpg-key": { type: "string", value: "FILE", description: "GPG simple signing: an OpenPGP secret key (binary or armored)" },
    "passphrase-file": { type: "string", value: "FILE", description: "GPG: the key's passphrase (first line)" },
    "registries-d": { type: "string", value: "DIR", description: "GPG: where lookaside-staging is configured (default ~/.config/containers/registries.d, else /etc/containers/registries.d)" },
    "lookaside-staging": { type: "string", value: "URL", description: "GPG: write to this file: store instead of the registries.d one" },
    "swr-asc": { type: "string", value: "DIR|URL", description: "GPG: write an swr-cosign .asc object (<repository>/<sha256 hex>.asc) under this directory or http(s) URL instead" },
    ...SIGSTORE_SIGN_OPTIONS,
    ...SIGN_TIMESTAMP_OPTIONS,
    ...SIGN_OUTPUT_OPTIONS,
    ...REGISTRY_OPTIONS,
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const format = outputFormat(context);
    const images = context.positionals;
    if (images.length === 0) throw new SignetError("USAGE", "sign needs at least one IMAGE");
    if (stringOption(context, "gpg-key") !== undefined) return signWithGpg(context, images, format);
    for (const name of GPG_ONLY_OPTIONS) {
      if (context.values[name] !== undefined) throw new SignetError("USAGE", `--${name} is for GPG signing: it needs --gpg-key`);
    }
    checkSignOutputOptions(context, images);
    if (wantsSigstoreSigning(context)) return signWithSigstore(context, images, format);
    const key = await signingKeyFrom(context, requireString(context, "key"));
    const payload = payloadOption(context);
    const access = new ImageAccess(registryOptions(context));
    try {
      const signatureRepository = await signatureRepositoryFrom(context, access);
      const options = {
        key,
        annotations: keyValueOptions(context, "annotations"),
        recursive: context.values["recursive"] === true,
        signContainerIdentity: stringOption(context, "sign-container-identity"),
        upload: uploadOption(context),
        ...(payload === undefined ? {} : { payload }),
        ...(signatureRepository === undefined ? {} : { signatureRepository }),
      };
      progress(context.io, `Signing ${images.length} image(s)…`);
      const results = await signImages(access, images, options, SIGN_CONCURRENCY);
      type Outcome = { image: string; result: SignImageResult } | { image: string; error: SignetError };
      const outcomes = results.map((r, i): Outcome => (SignetError.is(r) ? { image: images[i]!, error: r } : { image: images[i]!, result: r }));
      const errors: SignetError[] = [];
      for (const outcome of outcomes) {
        if ("error" in outcome) {
          errors.push(outcome.error);
          if (format === "text") printError(context.io, outcome.error, false);
        } else if (format === "text") {
          describeSigned(context.io.stderr, outcome.image, outcome.result);
        }
      }
      if (errors.length === 0) await writeSignOutputs(context, outcomes.flatMap((o) => ("error" in o ? [] : [o.result])), { key });
      if (format === "json") {
        writeJson(context.io, outcomes.map((o) => ("error" in o ? { image: o.image, error: o.error.toJSON() } : toJson(o.image, o.result))));
      }
      return exitCodeOf(errors);
    } finally {
      await access.close();
    }
  },
};

const GPG_ONLY_OPTIONS = ["passphrase-file", "registries-d", "lookaside-staging", "swr-asc"] as const;
const COSIGN_ONLY_OPTIONS = ["key", "password-file", "annotations", "recursive", ...Object.keys(SIGN_OUTPUT_OPTIONS)] as const;

/** `--gpg-key`: an atomic container signature per image, written to its lookaside staging store. */
async function signWithGpg(context: CommandContext, images: readonly string[], format: OutputFormat): Promise<number> {
  for (const name of [...COSIGN_ONLY_OPTIONS, ...Object.keys(SIGSTORE_SIGN_OPTIONS), ...Object.keys(SIGN_TIMESTAMP_OPTIONS)]) {
    if (context.values[name] !== undefined) throw new SignetError("USAGE", `--${name} is for cosign signing and cannot be combined with --gpg-key`);
  }
  // OpenPGP.js and the lookaside code load only on this path.
  const [{ loadGpgPrivateKey }, { signImagesWithGpg }, { defaultRegistriesDPath, loadRegistriesD }] = await Promise.all([
    import("../../signatures/simplesigning/gpg-sign.js"),
    import("../../signatures/simplesigning/sign-image.js"),
    import("../../signatures/registries-d/index.js"),
  ]);
  if (stringOption(context, "swr-asc") !== undefined && stringOption(context, "lookaside-staging") !== undefined) {
    throw new SignetError("OPTION_CONFLICT", "--swr-asc and --lookaside-staging name two different stores: give one");
  }
  const key = await loadGpgPrivateKey(requireString(context, "gpg-key"), stringOption(context, "passphrase-file"));
  const registriesD = await loadRegistriesD(stringOption(context, "registries-d") ?? defaultRegistriesDPath(context.io.env["HOME"] ?? homedir()));
  const access = new ImageAccess(registryOptions(context));
  try {
    progress(context.io, `Signing ${images.length} image(s) with GPG key ${key.fingerprint}…`);
    const results = await signImagesWithGpg(access, images, {
      key,
      registriesD,
      lookasideStaging: stringOption(context, "lookaside-staging"),
      swrAsc: stringOption(context, "swr-asc"),
      signIdentity: stringOption(context, "sign-container-identity"),
      creator: `signet ${signetVersion()}`,
    });
    const errors: SignetError[] = [];
    results.forEach((result, index) => {
      if (SignetError.is(result)) {
        errors.push(result);
        if (format === "text") printError(context.io, result, false);
      } else if (format === "text") {
        if (result.resolvedTag !== undefined) context.io.stderr.write(`Resolved ${images[index]} to digest ${result.digest}: signing the digest, not the tag.\n`);
        context.io.stderr.write(`Signed ${result.digest} as ${result.identity} with GPG key ${result.signer}; signature written to ${result.path}\n`);
      }
    });
    if (format === "json") {
      writeJson(context.io, results.map((r, i) => (SignetError.is(r) ? { image: images[i], error: r.toJSON() } : { ...r, resolvedTag: r.resolvedTag ?? null })));
    }
    return exitCodeOf(errors);
  } finally {
    await access.close();
  }
}

function signetVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function describeSigned(out: NodeJS.WritableStream, image: string, result: SignImageResult): void {
  if (result.image.resolvedTag !== undefined) {
    out.write(`Resolved ${image} to digest ${result.image.digest}: signing the digest, not the tag.\n`);
  }
  for (const signed of result.signed) {
    const where = `${signed.repository}:${signed.tag}`;
    if (!signed.uploaded) out.write(`Signed ${signed.digest}; not uploaded (--upload=false)\n`);
    else out.write(signed.added ? `Signed ${signed.digest}; signature stored in ${where}\n` : `${signed.digest} already carries this signature in ${where}; nothing added\n`);
  }
}

function toJson(image: string, result: SignImageResult): Record<string, unknown> {
  return {
    image,
    digest: result.image.digest,
    resolvedTag: result.image.resolvedTag ?? null,
    signed: result.signed.map(signedJson),
  };
}
