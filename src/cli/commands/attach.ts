/**
 * cosign's `attach signature|attestation`: stores a signature or a DSSE envelope made elsewhere (for instance with
 * `sign --upload=false` or `attest-blob`) next to an image, in the layout cosign reads: a layer of the .sig or .att
 * tag, appended with the one writer (signatures/cosign/attach.ts). Nothing attached is trusted for it: verify checks it.
 */
import { SignetError } from "../../errors/index.js";
import { LIMITS } from "../../internal/limits.js";
import { ImageAccess } from "../../oci/image-access.js";
import { DSSE_LAYER_MEDIA_TYPE, PREDICATE_TYPE_ANNOTATION } from "../../signatures/attestation/discover-attestations.js";
import { IN_TOTO_PAYLOAD_TYPE, parseDsseEnvelope } from "../../signatures/attestation/dsse.js";
import { parseInTotoStatement } from "../../signatures/attestation/in-toto-statement.js";
import { decodeBlobSignature } from "../../signatures/blob/blob-signature.js";
import { attachSignatureLayers, type AttachRequest } from "../../signatures/cosign/attach.js";
import { CosignAnnotation } from "../../signatures/cosign/signature-manifest.js";
import { createSimpleSigningPayload } from "../../signatures/payload/simple-signing.js";
import type { Command, CommandContext } from "../command.js";
import { OUTPUT_FORMAT_OPTION, REGISTRY_OPTIONS, outputFormat, readFileBounded, readSignatureArgument, registryOptions, signatureRepositoryFrom, stringOption } from "../options.js";
import { writeJson } from "../output.js";

export const attachCommand: Command = {
  name: "attach",
  summary: "Attach a signature or an attestation made elsewhere to an image",
  usage: `signet attach signature --signature SIG [--payload FILE] [--certificate PEM [--certificate-chain PEM]] IMAGE
       signet attach attestation --attestation ENVELOPE... IMAGE

  signature: a layer of the .sig tag holding the payload (default: the image's standard payload) with the base64
  signature SIG (as \`sign\` writes it to a file) and, for a keyless signature, its
  certificate and chain. attestation: each DSSE envelope (as \`attest-blob\` or \`attest\` write them) as a layer
  of the .att tag, with the predicate type its statement names. COSIGN_REPOSITORY is honoured. Nothing is checked
  here: verify and verify-attestation check what was attached.`,
  subcommands: { signature: "a signature (and payload, certificate) in the .sig tag", attestation: "DSSE envelopes in the .att tag" },
  options: {
    signature: { type: "string", value: "FILE", description: "signature: the base64 signature (a file, or the text)" },
    payload: { type: "string", value: "FILE", description: "signature: the signed payload (default: the image's standard payload)" },
    certificate: { type: "string", value: "FILE", description: "signature: the signer's certificate (PEM), for keyless signatures" },
    "certificate-chain": { type: "string", value: "FILE", description: "signature: the certificate's chain (PEM), root last" },
    attestation: { type: "string", multiple: true, value: "FILE", description: "attestation: a DSSE envelope (JSON); repeat for several" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_FORMAT_OPTION,
  },
  async run(context) {
    const [kind, image, ...rest] = context.positionals;
    if (kind !== "signature" && kind !== "attestation") {
      throw new SignetError("USAGE", kind === undefined ? "attach needs a subcommand: signature or attestation" : `attach ${kind} is not supported: signature or attestation (cosign's sbom attachments are deprecated)`);
    }
    if (image === undefined || rest.length > 0) throw new SignetError("USAGE", `attach ${kind} takes exactly one IMAGE`);
    const other = kind === "signature" ? ["attestation"] : ["signature", "payload", "certificate", "certificate-chain"];
    for (const name of other) if (context.values[name] !== undefined) throw new SignetError("USAGE", `--${name} is not a flag of attach ${kind}`);
    const access = new ImageAccess(registryOptions(context));
    try {
      const resolved = await access.resolve(image);
      const repository = (await signatureRepositoryFrom(context, access)) ?? resolved.repository;
      const requests: AttachRequest[] = kind === "signature" ? [signatureRequest(context, resolved.identity, resolved.digest, repository)] : attestationRequests(context, resolved.digest, repository);
      const outcomes = await attachSignatureLayers(requests);
      const failure = outcomes.find((o) => SignetError.is(o));
      if (failure !== undefined) throw failure;
      const results = outcomes.map((o) => o as Exclude<typeof o, SignetError>);
      if (outputFormat(context) === "json") writeJson(context.io, { image, digest: resolved.digest, attached: results.map((r) => ({ tag: `${repository.displayName}:${r.tag}`, added: r.added, manifest: r.manifestDigest })) });
      else for (const r of results) context.io.stderr.write(`${r.added ? "Attached to" : "Already in"} ${repository.displayName}:${r.tag} (${resolved.digest})\n`);
      return 0;
    } finally {
      await access.close();
    }
  },
};

function signatureRequest(context: CommandContext, identity: string, digest: AttachRequest["imageDigest"], repository: AttachRequest["repository"]): AttachRequest {
  const signaturePath = stringOption(context, "signature");
  if (signaturePath === undefined) throw new SignetError("USAGE", "attach signature needs --signature (the base64 signature)");
  const payloadPath = stringOption(context, "payload");
  const payload = payloadPath === undefined ? createSimpleSigningPayload({ dockerReference: identity, manifestDigest: digest }) : readFileBounded(payloadPath, "the payload", LIMITS.signatureLayerBytes);
  const signature = decodeBlobSignature(readSignatureArgument(signaturePath));
  const annotations: Record<string, string> = { [CosignAnnotation.signature]: signature.toString("base64") };
  const certificate = stringOption(context, "certificate");
  const chain = stringOption(context, "certificate-chain");
  if (chain !== undefined && certificate === undefined) throw new SignetError("USAGE", "--certificate-chain goes with --certificate");
  if (certificate !== undefined) annotations[CosignAnnotation.certificate] = readFileBounded(certificate, "the certificate", LIMITS.certificateFileBytes).toString("utf8");
  if (chain !== undefined) annotations[CosignAnnotation.chain] = readFileBounded(chain, "the certificate chain", LIMITS.certificateChainFileBytes).toString("utf8");
  return { repository, imageDigest: digest, input: { payload, annotations } };
}

function attestationRequests(context: CommandContext, digest: AttachRequest["imageDigest"], repository: AttachRequest["repository"]): AttachRequest[] {
  const paths = (context.values["attestation"] as string[] | undefined) ?? [];
  if (paths.length === 0) throw new SignetError("USAGE", "attach attestation needs --attestation (a DSSE envelope file)");
  return paths.map((path) => {
    const envelope = readFileBounded(path, "the attestation", LIMITS.signatureLayerBytes);
    return { repository, imageDigest: digest, input: { payload: envelope, mediaType: DSSE_LAYER_MEDIA_TYPE, annotations: { [CosignAnnotation.signature]: "", [PREDICATE_TYPE_ANNOTATION]: untrustedPredicateType(envelope, path) } }, options: { kind: "att" } };
  });
}

/** The predicate type the envelope's statement claims: an untrusted label for the layer (as cosign writes it); verify checks the signed one. */
function untrustedPredicateType(envelope: Buffer, path: string): string {
  try {
    const parsed = parseDsseEnvelope(envelope, path);
    if (parsed.payloadType !== IN_TOTO_PAYLOAD_TYPE) throw new Error(`its payload type is ${JSON.stringify(parsed.payloadType.slice(0, 100))}`);
    return parseInTotoStatement(parsed.payload).predicateType;
  } catch (error) {
    throw new SignetError("ATTESTATION_INVALID", `${path} is not a DSSE envelope of an in-toto statement: ${(error as Error).message}`, { hint: "Give the envelope attest-blob or attest --output-signature wrote (JSON with payloadType and payload)." });
  }
}
