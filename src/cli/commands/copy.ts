import { SignetError } from "../../errors/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { copyImageWithSignatures } from "../../signatures/cosign/copy-image.js";
import type { Command } from "../command.js";
import { OUTPUT_OPTION, REGISTRY_OPTIONS, outputFormat, registryOptions } from "../options.js";
import { writeJson } from "../output.js";

export const copyCommand: Command = {
  name: "copy",
  summary: "Copy an image with its signatures",
  usage: `signet copy [--only sig,att,sbom,referrers] SRC DST

  SRC and DST are registry references or OCI layouts (oci:PATH[:TAG]). The image (every platform of an
  index), its blobs, what cosign attached to it (.sig, .att, .sbom) and its OCI referrers (sigstore bundles,
  attestations, Notation signatures, SBOMs; listed at DST by its referrers API, else the sha256-<hex> tag)
  are copied; signatures and referrers already at DST are kept and merged with the copied ones. Without a
  tag, DST takes SRC's tag. As cosign, --only copies only the attachments named, not the image.`,
  options: {
    only: { type: "string", multiple: true, value: "sig,att,sbom,referrers", description: "copy only these attachments, and not the image (comma-separated or repeated)" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_OPTION,
  },
  async run(context) {
    if (context.positionals.length !== 2) throw new SignetError("USAGE", "copy takes SRC and DST");
    const [source, destination] = context.positionals as [string, string];
    const onlyValues = (context.values["only"] as string[] | undefined) ?? ["sig,att,sbom,referrers"];
    const copyImage = context.values["only"] === undefined;
    const only = onlyValues.flatMap((value) => value.split(",")).map((s) => s.trim());
    for (const kind of only) if (!["sig", "att", "sbom", "referrers"].includes(kind)) throw new SignetError("USAGE", `--only takes sig, att, sbom and referrers, not ${JSON.stringify(kind)}`);
    const kinds = only.filter((kind): kind is "sig" | "att" | "sbom" => kind !== "referrers");
    const access = new ImageAccess(registryOptions(context));
    try {
      const result = await copyImageWithSignatures(access, source, destination, { kinds, copyImage, referrers: only.includes("referrers") });
      if (outputFormat(context) === "json") writeJson(context.io, result);
      else {
        context.io.stderr.write(`Copied ${source} (${result.digest}) to ${result.destination}: ${result.manifests} manifest(s), ${result.blobsCopied} blob(s) copied, ${result.blobsSkipped} already there.\n`);
        for (const attachment of result.attachments) context.io.stderr.write(`Copied ${attachment.tag} (${attachment.layers} layer(s)).\n`);
        for (const referrer of result.referrers) {
          const listed = referrer.listedBy === "tag-schema" ? `listed in ${referrer.tag}` : "listed by the referrers API";
          context.io.stderr.write(`Copied referrer ${referrer.digest} (${referrer.artifactType ?? "no artifact type"}) of ${referrer.subject}, ${listed}.\n`);
        }
      }
      return 0;
    } finally {
      await access.close();
    }
  },
};
