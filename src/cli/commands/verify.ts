import { SignetError, toSignetError } from "../../errors/index.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import { ImageAccess } from "../../oci/image-access.js";
import { verifyImage, type VerifiedImage } from "../../signatures/cosign/verify-image.js";
import type { Command } from "../command.js";
import { OUTPUT_OPTION, REGISTRY_OPTIONS, keyValueOptions, outputFormat, registryOptions, requireString } from "../options.js";
import { printError, writeJson } from "../output.js";
import { publicKeyFrom } from "../session.js";

/** Images verified at once when many are given (a CI job or an audit passes hundreds). */
const CONCURRENCY = 64;

export const verifyCommand: Command = {
  name: "verify",
  summary: "Verify the signatures of images",
  usage: `signet verify --key cosign.pub [-a key=value]... IMAGE...

  Prints the verified payloads of each image as a JSON array on stdout (as cosign does) and a summary on
  stderr. Exits 1 unless every image has at least one valid signature.
  --key PATH               public key (PEM), certificate, or private key
  -a, --annotations k=v    require this annotation in the signed payload (repeatable)
  --insecure-ignore-tlog   accepted for cosign compatibility: no transparency log is configured, so none is checked
  -o, --output json        one JSON document with a result per image, failures included
  --allow-http-registry, --allow-insecure-registry, --registry-cacert FILE, --timeout 30s`,
  options: {
    key: { type: "string" },
    annotations: { type: "string", short: "a", multiple: true },
    "insecure-ignore-tlog": { type: "boolean" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const format = outputFormat(context);
    const images = context.positionals;
    if (images.length === 0) throw new SignetError("USAGE", "verify needs at least one IMAGE");
    const publicKey = await publicKeyFrom(requireString(context, "key"));
    const requiredAnnotations = keyValueOptions(context, "annotations");
    const access = new ImageAccess(registryOptions(context));
    try {
      type Outcome = { image: string; verified: VerifiedImage } | { image: string; error: SignetError };
      const outcomes = await mapConcurrently(images, CONCURRENCY, async (image): Promise<Outcome> => {
        try {
          return { image, verified: await verifyImage(access, image, { publicKeys: [publicKey], requiredAnnotations }) };
        } catch (error) {
          return { image, error: toSignetError(error) };
        }
      });
      const failed = outcomes.filter((o) => "error" in o).length;
      if (format === "json") {
        writeJson(context.io, {
          verified: failed === 0,
          transparencyLog: "not checked: no log is configured",
          images: outcomes.map((o) => ("error" in o ? { image: o.image, verified: false, error: o.error.toJSON() } : toJson(o.image, o.verified))),
        });
      } else {
        for (const outcome of outcomes) {
          if ("error" in outcome) {
            context.io.stderr.write(`Verification of ${outcome.image} failed.\n`);
            printError(context.io, outcome.error, false);
          } else {
            describeVerified(context.io.stderr, outcome.image, outcome.verified);
            context.io.stdout.write(`${JSON.stringify(outcome.verified.signatures.map((s) => s.payload))}\n`);
          }
        }
      }
      return failed === 0 ? 0 : 1;
    } finally {
      await access.close();
    }
  },
};

function describeVerified(out: NodeJS.WritableStream, image: string, verified: VerifiedImage): void {
  const count = verified.signatures.length;
  out.write(
    `\nVerification for ${image} --\n` +
      (verified.image.resolvedTag !== undefined ? `(tag ${verified.image.resolvedTag} resolved to ${verified.digest})\n` : "") +
      `The following checks were performed on each of these signatures:\n` +
      `  - The cosign claims were validated (the payload names ${verified.digest})\n` +
      `  - The signatures were verified against the specified public key\n` +
      `  - No transparency log was checked: none is configured\n` +
      `${count} signature${count === 1 ? "" : "s"} verified` +
      (verified.rejected.length > 0 ? `; ${verified.rejected.length} other signature(s) did not verify and were ignored` : "") +
      `.\n`,
  );
}

function toJson(image: string, verified: VerifiedImage): Record<string, unknown> {
  return {
    image,
    verified: true,
    digest: verified.digest,
    resolvedTag: verified.image.resolvedTag ?? null,
    signatureTag: verified.signatureTag,
    signatures: verified.signatures.map((s) => ({ layerDigest: s.layerDigest, payload: s.payload })),
    rejected: verified.rejected,
  };
}
