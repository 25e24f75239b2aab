import { SignetError } from "../../errors/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { parseSignatureManifestLayers } from "../../signatures/cosign/signature-manifest.js";
import { attachmentTag, type AttachmentKind } from "../../signatures/cosign/tags.js";
import type { Command, CommandContext } from "../command.js";
import { OUTPUT_OPTION, REGISTRY_OPTIONS, outputFormat, registryOptions, stringOption } from "../options.js";
import { writeJson } from "../output.js";

const KINDS: Record<string, AttachmentKind> = { signature: "sig", attestation: "att", sbom: "sbom" };

export const triangulateCommand: Command = {
  name: "triangulate",
  summary: "Print where an image's signatures are stored",
  usage: `signet triangulate [--type signature|attestation|sbom] IMAGE`,
  options: { type: { type: "string" }, ...REGISTRY_OPTIONS, ...OUTPUT_OPTION },
  async run(context) {
    const image = onlyImage(context, "triangulate");
    const typeName = stringOption(context, "type") ?? "signature";
    const kind = KINDS[typeName];
    if (kind === undefined) throw new SignetError("USAGE", `--type must be signature, attestation or sbom, not ${JSON.stringify(typeName)}`);
    const access = new ImageAccess(registryOptions(context));
    try {
      const resolved = await access.resolve(image);
      const location = `${resolved.repository.displayName}:${attachmentTag(resolved.digest, kind)}`;
      if (outputFormat(context) === "json") writeJson(context.io, { image, digest: resolved.digest, type: typeName, location });
      else context.io.stdout.write(`${location}\n`);
      return 0;
    } finally {
      await access.close();
    }
  },
};

export const treeCommand: Command = {
  name: "tree",
  summary: "Show what is attached to an image",
  usage: `signet tree IMAGE`,
  options: { ...REGISTRY_OPTIONS, ...OUTPUT_OPTION },
  async run(context) {
    const image = onlyImage(context, "tree");
    const access = new ImageAccess(registryOptions(context));
    try {
      const resolved = await access.resolve(image);
      const attachments = [];
      for (const [label, kind] of [["Signatures", "sig"], ["Attestations", "att"], ["SBOMs", "sbom"]] as const) {
        const tag = attachmentTag(resolved.digest, kind);
        const manifest = await resolved.repository.tryGetManifest(tag);
        if (manifest === undefined) continue;
        const layers = parseSignatureManifestLayers(manifest.bytes);
        attachments.push({ label, kind, location: `${resolved.repository.displayName}:${tag}`, manifestDigest: manifest.digest, layers: layers.map((l) => l.digest) });
      }
      if (outputFormat(context) === "json") {
        writeJson(context.io, { image, digest: resolved.digest, attachments });
        return 0;
      }
      const out = context.io.stdout;
      out.write(`Artifacts attached to ${image} (${resolved.digest}):\n`);
      if (attachments.length === 0) out.write("└── nothing attached\n");
      attachments.forEach((attachment, i) => {
        const last = i === attachments.length - 1;
        out.write(`${last ? "└──" : "├──"} ${attachment.label}: ${attachment.location}\n`);
        attachment.layers.forEach((layer, j) => out.write(`${last ? "    " : "│   "}${j === attachment.layers.length - 1 ? "└──" : "├──"} ${layer}\n`));
      });
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
