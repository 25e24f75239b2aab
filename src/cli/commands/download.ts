/**
 * `signet download signature|attestation IMAGE`: what cosign attached, one JSON line per item, as cosign prints it.
 * Nothing is verified: this shows the untrusted material (use verify for a verdict).
 */
import { SignetError } from "../../errors/index.js";
import { ImageAccess } from "../../oci/image-access.js";
import { discoverLegacyAttestations, PREDICATE_TYPE_ANNOTATION } from "../../signatures/attestation/discover-attestations.js";
import { discoverCosignSignatures } from "../../signatures/cosign/discover.js";
import { CosignAnnotation } from "../../signatures/cosign/signature-manifest.js";
import type { Command } from "../command.js";
import { REGISTRY_OPTIONS, registryOptions, stringOption, signatureRepositoryFrom } from "../options.js";

const RFC3161_ANNOTATION = "dev.sigstore.cosign/rfc3161timestamp";

export const downloadCommand: Command = {
  name: "download",
  summary: "Print the signatures or attestations attached to an image (unverified)",
  usage: `signet download signature IMAGE
       signet download attestation [--predicate-type TYPE] IMAGE

  signature: one JSON line per signature of the .sig tag, as cosign prints it (Base64Signature, Payload, Cert,
  Chain, Bundle, RFC3161Timestamp); Cert and Chain are the PEM text (cosign prints Go's parsed certificate).
  attestation: one DSSE envelope per line from the .att tag, optionally only those of --predicate-type.
  Nothing is verified; no signature is exit 10, as with verify.`,
  subcommands: { signature: "the signatures of the .sig tag", attestation: "the DSSE envelopes of the .att tag" },
  options: {
    "predicate-type": { type: "string", value: "TYPE", description: "attestation: only envelopes whose layer names this predicate type (a URI)" },
    ...REGISTRY_OPTIONS,
  },
  async run(context) {
    const [kind, image, ...rest] = context.positionals;
    if (kind !== "signature" && kind !== "attestation") {
      throw new SignetError("USAGE", kind === undefined ? "download needs a subcommand: signature or attestation" : `download ${kind} is not supported: signature or attestation (cosign's sbom is deprecated)`);
    }
    if (image === undefined || rest.length > 0) throw new SignetError("USAGE", `download ${kind} takes exactly one IMAGE`);
    if (kind === "signature" && stringOption(context, "predicate-type") !== undefined) throw new SignetError("USAGE", "--predicate-type applies to download attestation");
    const access = new ImageAccess(registryOptions(context));
    try {
      const resolved = await access.resolve(image);
      const store = (await signatureRepositoryFrom(context, access)) ?? resolved.repository;
      const where = `${store.displayName}`;
      if (kind === "signature") {
        const found = await discoverCosignSignatures(store, resolved.digest);
        if (found.signatures.length === 0) throw new SignetError("SIG_MISSING", `${image}: no signatures associated (${where}:${found.tag})`, { details: { imageDigest: resolved.digest } });
        for (const signature of found.signatures) {
          const annotations = signature.untrustedAnnotations;
          context.io.stdout.write(
            `${JSON.stringify({
              Base64Signature: signature.untrustedSignatureBase64 ?? "",
              Payload: signature.untrustedPayload.toString("base64"),
              Cert: annotations[CosignAnnotation.certificate] ?? null,
              Chain: annotations[CosignAnnotation.chain] ?? null,
              Bundle: parseJsonAnnotation(annotations[CosignAnnotation.bundle]),
              RFC3161Timestamp: parseJsonAnnotation(annotations[RFC3161_ANNOTATION]),
            })}\n`,
          );
        }
        return 0;
      }
      const predicateType = stringOption(context, "predicate-type");
      const found = await discoverLegacyAttestations(store, resolved.digest);
      const layers = found.layers.filter((layer) => predicateType === undefined || layer.untrustedAnnotations[PREDICATE_TYPE_ANNOTATION] === predicateType);
      if (layers.length === 0) throw new SignetError("ATTESTATION_MISSING", `${image}: no attestations${predicateType !== undefined ? ` of type ${predicateType}` : ""} associated (${where}:${found.tag})`);
      for (const layer of layers) context.io.stdout.write(`${layer.untrustedPayload.toString("utf8").trim()}\n`);
      return 0;
    } finally {
      await access.close();
    }
  },
};

/** An annotation holding JSON (Rekor bundle, RFC 3161 timestamp), printed as the object; unparsable text stays a string. */
function parseJsonAnnotation(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
