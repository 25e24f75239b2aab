import { SignetError } from "../../errors/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { copyImageWithSignatures } from "../../signatures/cosign/copy-image.js";
import type { Command } from "../command.js";
import { OUTPUT_OPTION, REGISTRY_OPTIONS, outputFormat, registryOptions } from "../options.js";
import { writeJson } from "../output.js";

export const copyCommand: Command = {
  name: "copy",
  summary: "Copy an image with its signatures",
  usage: `signet copy [--only sig,att,sbom] SRC DST

  SRC and DST are registry references or OCI layouts (oci:PATH[:TAG]). The image (every platform of an
  index), its blobs, and what cosign attached to it (.sig, .att, .sbom) are copied; signatures already at
  DST are kept and merged with the copied ones. Without a tag, DST takes SRC's tag. As cosign, --only copies
  only the attachments named, not the image.`,
  options: {
    only: { type: "string", multiple: true, value: "sig,att,sbom", description: "copy only these attachments, and not the image (comma-separated or repeated)" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_OPTION,
  },
  async run(context) {
    if (context.positionals.length !== 2) throw new SignetError("USAGE", "copy takes SRC and DST");
    const [source, destination] = context.positionals as [string, string];
    const onlyValues = (context.values["only"] as string[] | undefined) ?? ["sig,att,sbom"];
    const copyImage = context.values["only"] === undefined;
    const only = onlyValues.flatMap((value) => value.split(",")).map((s) => s.trim());
    for (const kind of only) if (!["sig", "att", "sbom"].includes(kind)) throw new SignetError("USAGE", `--only takes sig, att and sbom, not ${JSON.stringify(kind)}`);
    const access = new ImageAccess(registryOptions(context));
    try {
      const result = await copyImageWithSignatures(access, source, destination, { kinds: only as ("sig" | "att" | "sbom")[], copyImage });
      if (outputFormat(context) === "json") writeJson(context.io, result);
      else {
        context.io.stderr.write(`Copied ${source} (${result.digest}) to ${result.destination}: ${result.manifests} manifest(s), ${result.blobsCopied} blob(s) copied, ${result.blobsSkipped} already there.\n`);
        for (const attachment of result.attachments) context.io.stderr.write(`Copied ${attachment.tag} (${attachment.layers} layer(s)).\n`);
      }
      return 0;
    } finally {
      await access.close();
    }
  },
};
