import { SignetError } from "../../errors/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { readReferrerTree, type ReferrerNode } from "../../oci/referrers/index.js";
import { parseSignatureManifestLayers } from "../../signatures/cosign/signature-manifest.js";
import { attachmentTag, type AttachmentKind } from "../../signatures/cosign/tags.js";
import type { Command, CommandContext } from "../command.js";
import { OUTPUT_OPTION, REGISTRY_OPTIONS, outputFormat, registryOptions, stringOption, signatureRepositoryFrom } from "../options.js";
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
      const store = (await signatureRepositoryFrom(context, access)) ?? resolved.repository;
      const location = `${store.displayName}:${attachmentTag(resolved.digest, kind)}`;
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
  usage: `signet tree IMAGE

  Lists what cosign attached under its tags (.sig, .att, .sbom) and the image's OCI referrers (sigstore
  bundles, attestations, Notation signatures, SBOMs, and what refers to those), read through the referrers
  API, else the sha256-<hex> tag. A listed manifest that does not name the image as its subject is not shown.`,
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
      const tree = await readReferrerTree(resolved.repository, resolved.digest);
      const where = tree.listing.source === "referrers-api" ? `the referrers API (${tree.listing.where})` : `the referrers tag ${tree.listing.where}`;
      if (outputFormat(context) === "json") {
        writeJson(context.io, {
          image,
          digest: resolved.digest,
          attachments,
          referrers: { source: tree.listing.source, where: tree.listing.where, entries: tree.referrers.map(referrerToJson), skipped: tree.skipped },
        });
        return 0;
      }
      const out = context.io.stdout;
      out.write(`Artifacts attached to ${image} (${resolved.digest}):\n`);
      const sections: { title: string; children: TreeLine[] }[] = attachments.map((a) => ({ title: `${a.label}: ${a.location}`, children: a.layers.map((layer) => ({ text: layer, children: [] })) }));
      if (tree.referrers.length > 0) sections.push({ title: `Referrers: ${where}`, children: tree.referrers.map(referrerLine) });
      if (sections.length === 0) out.write("└── nothing attached\n");
      sections.forEach((section, i) => writeTree(out, { text: section.title, children: section.children }, "", i === sections.length - 1));
      for (const skipped of tree.skipped) context.io.stderr.write(`Not shown: ${skipped.digest}: ${skipped.reason} [${skipped.code}]\n`);
      return 0;
    } finally {
      await access.close();
    }
  },
};

interface TreeLine {
  readonly text: string;
  readonly children: TreeLine[];
}

function writeTree(out: NodeJS.WritableStream, line: TreeLine, indent: string, last: boolean): void {
  out.write(`${indent}${last ? "└──" : "├──"} ${line.text}\n`);
  line.children.forEach((child, i) => writeTree(out, child, `${indent}${last ? "    " : "│   "}`, i === line.children.length - 1));
}

function referrerLine(node: ReferrerNode): TreeLine {
  const type = node.descriptor.artifactType ?? node.descriptor.mediaType;
  return { text: `${node.descriptor.digest} ${type} (${describeArtifactType(type)})`, children: node.referrers.map(referrerLine) };
}

function referrerToJson(node: ReferrerNode): Record<string, unknown> {
  const type = node.descriptor.artifactType ?? null;
  return {
    digest: node.descriptor.digest,
    mediaType: node.descriptor.mediaType,
    artifactType: type,
    kind: describeArtifactType(type ?? node.descriptor.mediaType),
    annotations: node.descriptor.annotations ?? {},
    referrers: node.referrers.map(referrerToJson),
  };
}

/** A reader's name for an artifact type. */
export function describeArtifactType(type: string): string {
  if (type.startsWith("application/vnd.dev.sigstore.bundle")) return "sigstore bundle";
  if (type === "application/vnd.cncf.notary.signature") return "Notation signature";
  if (type.startsWith("application/vnd.in-toto") || type === "application/vnd.dsse.envelope.v1+json") return "attestation";
  if (/spdx|cyclonedx|syft/i.test(type)) return "SBOM";
  return "artifact";
}

function onlyImage(context: CommandContext, command: string): string {
  if (context.positionals.length !== 1) throw new SignetError("USAGE", `${command} takes exactly one IMAGE`);
  return context.positionals[0]!;
}
