/**
 * cosign's `clean`: deletes what is attached to an image (its sha256-<hex>.sig, .att and .sbom manifests, in the
 * image's repository or COSIGN_REPOSITORY). Destructive, so, as cosign, it asks first: signet never prompts, so
 * without -f it refuses (cosign declines the same way when no one answers).
 */
import { SignetError } from "../../errors/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { attachmentTag, type AttachmentKind } from "../../signatures/cosign/tags.js";
import type { Command } from "../command.js";
import { OUTPUT_FORMAT_OPTION, REGISTRY_OPTIONS, booleanOption, outputFormat, registryOptions, signatureRepositoryFrom, stringOption } from "../options.js";
import { writeJson } from "../output.js";

const TYPES: Readonly<Record<string, readonly AttachmentKind[]>> = { signature: ["sig"], attestation: ["att"], sbom: ["sbom"], all: ["sig", "att", "sbom"] };

export const cleanCommand: Command = {
  name: "clean",
  summary: "Delete the signatures, attestations and SBOMs attached to an image",
  usage: `signet clean [--type signature|attestation|sbom|all] -f IMAGE

  Deletes the image's sha256-<hex>.sig, .att and .sbom manifests (--type: only those; default all) from its
  repository, or from COSIGN_REPOSITORY when set. The registry must allow deletes. -f confirms: without it signet
  refuses, as cosign does when its prompt is not answered. OCI referrers (sigstore bundles) are not deleted.`,
  options: {
    type: { type: "string", value: "TYPE", default: "all", choices: ["signature", "attestation", "sbom", "all"], description: "what to delete: signature, attestation, sbom or all" },
    force: { type: "boolean", short: "f", description: "do not prompt for confirmation (required: signet never prompts)" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_FORMAT_OPTION,
  },
  async run(context) {
    if (context.positionals.length !== 1) throw new SignetError("USAGE", "clean takes exactly one IMAGE");
    const image = context.positionals[0]!;
    const kinds = TYPES[stringOption(context, "type") ?? "all"]!;
    if (!booleanOption(context, "force", false)) {
      throw new SignetError("USAGE", "clean deletes what is attached to the image and signet does not prompt: confirm with -f", { hint: `Run \`signet clean -f ${image}\`.` });
    }
    const access = new ImageAccess(registryOptions(context));
    try {
      const resolved = await access.resolve(image);
      const store = (await signatureRepositoryFrom(context, access)) ?? resolved.repository;
      if (store.deleteManifest === undefined) throw new SignetError("USAGE", `${store.displayName} does not allow deleting manifests`);
      const removed: string[] = [];
      for (const kind of kinds) {
        const tag = attachmentTag(resolved.digest, kind);
        const found = await store.tryGetManifest(tag);
        if (found === undefined) continue;
        await store.deleteManifest(found.digest);
        removed.push(`${store.displayName}:${tag}`);
        if (outputFormat(context) === "text") context.io.stderr.write(`Removed ${store.displayName}:${tag} from ${image}\n`);
      }
      if (outputFormat(context) === "json") writeJson(context.io, { image, digest: resolved.digest, removed });
      else if (removed.length === 0) context.io.stderr.write(`Nothing attached to ${image} to remove\n`);
      return 0;
    } finally {
      await access.close();
    }
  },
};
