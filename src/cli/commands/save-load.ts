/**
 * cosign's `save` and `load`: an image and its signatures, attestations and SBOM in cosign's on-disk layout (an OCI
 * image layout whose index.json names each manifest by a `kind` annotation), and back into a registry.
 */
import { SignetError } from "../../errors/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { parseImageLocation } from "../../oci/reference/index.js";
import type { Command, CommandContext } from "../command.js";
import { OUTPUT_FORMAT_OPTION, REGISTRY_OPTIONS, outputFormat, registryOptions, requireString, signatureRepositoryFrom } from "../options.js";
import { writeJson } from "../output.js";

export const saveCommand: Command = {
  name: "save",
  summary: "Save an image and its signatures to a directory (cosign's save layout)",
  usage: `signet save --dir DIR IMAGE

  Writes IMAGE (an image or a multi-arch index, with every platform) and what is attached to it (the .sig, .att and
  .sbom tags; from COSIGN_REPOSITORY when set) into DIR as \`cosign save\` does: an OCI image layout whose index.json
  names each manifest by a "kind" annotation. \`cosign load\`, \`signet load\` and \`signet verify\` (local image) read it.`,
  options: {
    dir: { type: "string", value: "DIR", description: "the directory to write the image to (created when missing)" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_FORMAT_OPTION,
  },
  async run(context) {
    const image = onlyImage(context, "save");
    const dir = requireString(context, "dir");
    const access = new ImageAccess(registryOptions(context));
    try {
      const [{ saveImage }, { openLayout }] = await Promise.all([import("../../signatures/cosign/save-layout.js"), import("../../oci/layout/index.js")]);
      const resolved = await access.resolve(image);
      const attachments = (await signatureRepositoryFrom(context, access)) ?? resolved.repository;
      const layout = await openLayout(dir, { create: true });
      const saved = await saveImage(resolved.repository, attachments, resolved.digest, layout);
      if (outputFormat(context) === "json") writeJson(context.io, { image, digest: saved.digest, dir, attachments: saved.attachments, ...saved.stats });
      else context.io.stderr.write(`Saved ${resolved.repository.displayName}@${saved.digest}${saved.attachments.length > 0 ? ` with its ${saved.attachments.join(", ")}` : " (nothing attached)"} to ${dir}\n`);
      return 0;
    } finally {
      await access.close();
    }
  },
};

export const loadCommand: Command = {
  name: "load",
  summary: "Push an image saved with save (cosign's layout) with its signatures",
  usage: `signet load --dir DIR IMAGE

  Pushes the image of a \`cosign save\` / \`signet save\` layout to IMAGE (a repository with a tag), and its
  signatures, attestations and SBOM to their sha256-<hex>.sig/.att/.sbom tags there (or in COSIGN_REPOSITORY).
  Every blob and manifest is checked against its digest before it is pushed.`,
  options: {
    dir: { type: "string", value: "DIR", description: "the directory written by save" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_FORMAT_OPTION,
  },
  async run(context) {
    const image = onlyImage(context, "load");
    const dir = requireString(context, "dir");
    const location = parseImageLocation(image);
    const tag = location.transport === "oci" ? location.tag : location.reference.tag;
    if ((location.transport === "oci" ? location.digest : location.reference.digest) !== undefined) {
      throw new SignetError("USAGE", `load pushes to a tag: ${image} names a digest`, { hint: "Give the repository and a tag, e.g. registry.example/app:v1." });
    }
    const access = new ImageAccess(registryOptions(context));
    try {
      const [{ loadImage }, { openLayout }] = await Promise.all([import("../../signatures/cosign/save-layout.js"), import("../../oci/layout/index.js")]);
      const layout = await openLayout(dir);
      const destination = await access.repositoryFor(location, { create: true });
      const attachments = (await signatureRepositoryFrom(context, access)) ?? destination;
      const loaded = await loadImage(layout, destination, attachments, tag);
      if (outputFormat(context) === "json") writeJson(context.io, { image, digest: loaded.digest, dir, attachments: loaded.attachments, ...loaded.stats });
      else context.io.stderr.write(`Loaded ${loaded.digest}${loaded.attachments.length > 0 ? ` with its ${loaded.attachments.join(", ")}` : ""} into ${destination.displayName}${tag !== undefined ? `:${tag}` : ""}\n`);
      return 0;
    } finally {
      await access.close();
    }
  },
};

function onlyImage(context: CommandContext, command: string): string {
  if (context.positionals.length !== 1) throw new SignetError("USAGE", `${command} takes exactly one IMAGE`);
  return context.positionals[0]!;
}
