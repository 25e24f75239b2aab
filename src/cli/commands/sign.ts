import { SignetError } from "../../errors/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { signImages, type SignImageResult } from "../../signatures/cosign/sign-image.js";
import type { Command } from "../command.js";
import { OUTPUT_OPTION, REGISTRY_OPTIONS, keyValueOptions, outputFormat, registryOptions, requireString, stringOption } from "../options.js";
import { printError, progress, writeJson } from "../output.js";
import { signingKeyFrom } from "../session.js";

/**
 * Images signed at once. Each signer waits a little after writing (see signatures/cosign/attach.ts), so a
 * high concurrency hides that wait; the registry connection pool bounds the load.
 */
const SIGN_CONCURRENCY = 64;

export const signCommand: Command = {
  name: "sign",
  summary: "Sign images and attach the signatures (cosign .sig format)",
  usage: `signet sign --key cosign.key [-a key=value]... [--recursive] IMAGE...

  IMAGE is a registry reference (docker://REF or REF) or an OCI layout (oci:PATH[:TAG]).
  A tag is resolved to its digest, and the digest is what gets signed.
  --key PATH                 cosign encrypted key or PEM private key
  --password-file FILE       read the key's password from FILE (else COSIGN_PASSWORD, else a prompt)
  -a, --annotations k=v      add an annotation to the signed payload (repeatable)
  -r, --recursive            for a multi-arch index, also sign every platform manifest
  --sign-container-identity  the docker-reference to write instead of the image's repository
  --tlog-upload=false        accepted for cosign compatibility (signet uploads to no log yet)
  -o, --output json          print the results as JSON
  --allow-http-registry, --allow-insecure-registry, --registry-cacert FILE, --timeout 30s`,
  options: {
    key: { type: "string" },
    "password-file": { type: "string" },
    annotations: { type: "string", short: "a", multiple: true },
    recursive: { type: "boolean", short: "r" },
    "sign-container-identity": { type: "string" },
    "tlog-upload": { type: "string" },
    yes: { type: "boolean", short: "y" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const format = outputFormat(context);
    const images = context.positionals;
    if (images.length === 0) throw new SignetError("USAGE", "sign needs at least one IMAGE");
    const key = await signingKeyFrom(context, requireString(context, "key"));
    const access = new ImageAccess(registryOptions(context));
    const options = {
      key,
      annotations: keyValueOptions(context, "annotations"),
      recursive: context.values["recursive"] === true,
      signContainerIdentity: stringOption(context, "sign-container-identity"),
    };
    try {
      progress(context.io, `Signing ${images.length} image(s)…`);
      const results = await signImages(access, images, options, SIGN_CONCURRENCY);
      type Outcome = { image: string; result: SignImageResult } | { image: string; error: SignetError };
      const outcomes = results.map((r, i): Outcome => (SignetError.is(r) ? { image: images[i]!, error: r } : { image: images[i]!, result: r }));
      let failed = 0;
      for (const outcome of outcomes) {
        if ("error" in outcome) {
          failed++;
          if (format === "text") printError(context.io, outcome.error, false);
        } else if (format === "text") {
          describeSigned(context.io.stderr, outcome.image, outcome.result);
        }
      }
      if (format === "json") {
        writeJson(context.io, outcomes.map((o) => ("error" in o ? { image: o.image, error: o.error.toJSON() } : toJson(o.image, o.result))));
      }
      return failed === 0 ? 0 : 1;
    } finally {
      await access.close();
    }
  },
};

function describeSigned(out: NodeJS.WritableStream, image: string, result: SignImageResult): void {
  if (result.image.resolvedTag !== undefined) {
    out.write(`Resolved ${image} to digest ${result.image.digest}: signing the digest, not the tag.\n`);
  }
  for (const signed of result.signed) {
    const where = `${result.image.repository.displayName}:${signed.tag}`;
    out.write(signed.added ? `Signed ${signed.digest}; signature stored in ${where}\n` : `${signed.digest} already carries this signature in ${where}; nothing added\n`);
  }
}

function toJson(image: string, result: SignImageResult): Record<string, unknown> {
  return {
    image,
    digest: result.image.digest,
    resolvedTag: result.image.resolvedTag ?? null,
    signed: result.signed.map((s) => ({ digest: s.digest, signatureTag: s.tag, added: s.added, signatureManifest: s.manifestDigest, signatureCount: s.signatureCount })),
  };
}
