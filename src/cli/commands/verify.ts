import { SignetError, toSignetError } from "../../errors/index.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import { ImageAccess } from "../../oci/image-access.js";
import type { SignerProof } from "../../signatures/cosign/keyless.js";
import { verifyImage, type ImageVerificationResult, type SignatureFormats, type VerifiedSignature } from "../../signatures/verifier/index.js";
import { signerToJson } from "../signer-json.js";
import type { Command, CommandContext } from "../command.js";
import { OUTPUT_OPTION, REGISTRY_OPTIONS, keyValueOptions, outputFormat, registryOptions } from "../options.js";
import { printError, writeJson } from "../output.js";
import { SIGNER_OPTIONS, SIGNER_USAGE, signerSetupFrom, type SignerSetup } from "../signer-options.js";

/** Images verified at once when many are given (a CI job or an audit passes hundreds). */
const CONCURRENCY = 64;

export const verifyCommand: Command = {
  name: "verify",
  summary: "Verify the signatures of images",
  usage: `signet verify --key cosign.pub [-a key=value]... IMAGE...
       signet verify --certificate-identity ID --certificate-oidc-issuer URL [--trusted-root F] IMAGE...

  Finds the image's signatures in every format cosign writes: the legacy REPO:sha256-<hex>.sig tag (key or
  keyless: certificate, chain and Rekor bundle annotations), then sigstore bundles attached as OCI referrers
  (referrers API, else the sha256-<hex> tag). Prints the verified payloads of each image as a JSON array on
  stdout (as cosign does) and a summary on stderr naming the verified signer. Exits 1 unless every image has
  at least one valid signature.
${SIGNER_USAGE}
  -a, --annotations k=v               require this annotation in the signed payload (repeatable)
  --platform os/arch[/variant]        for a multi-arch index, verify the platform instance a runtime there pulls
  -r, --recursive                     for a multi-arch index, verify the index and every platform instance
  --new-bundle-format                 look only for sigstore bundles (referrers)
  -o, --output json                   one JSON document with a result per image, failures included
  --allow-http-registry, --allow-insecure-registry, --registry-cacert FILE, --timeout 30s`,
  options: {
    ...SIGNER_OPTIONS,
    annotations: { type: "string", short: "a", multiple: true },
    "new-bundle-format": { type: "boolean" },
    platform: { type: "string" },
    recursive: { type: "boolean", short: "r" },
    ...REGISTRY_OPTIONS,
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const format = outputFormat(context);
    const images = context.positionals;
    if (images.length === 0) throw new SignetError("USAGE", "verify needs at least one IMAGE");
    const setup = await signerSetupFrom(context);
    const requiredAnnotations = keyValueOptions(context, "annotations");
    const formats: SignatureFormats = context.values["new-bundle-format"] === true ? "bundle" : "auto";
    const multiArch = multiArchOptions(context);
    const access = new ImageAccess(registryOptions(context));
    try {
      type Outcome = { image: string; verified: ImageVerificationResult } | { image: string; error: SignetError };
      const outcomes = await mapConcurrently(images, CONCURRENCY, async (image): Promise<Outcome> => {
        try {
          return { image, verified: await verifyImage(access, image, { requirement: setup.requirement, requiredAnnotations, formats, ...multiArch }) };
        } catch (error) {
          return { image, error: toSignetError(error) };
        }
      });
      const failed = outcomes.filter((o) => "error" in o).length;
      if (format === "json") {
        writeJson(context.io, {
          verified: failed === 0,
          signer: setup.description,
          trust: setup.trust ?? null,
          transparencyLog: describeLogPolicy(setup),
          images: outcomes.map((o) => ("error" in o ? { image: o.image, verified: false, error: o.error.toJSON() } : toJson(o.image, o.verified))),
        });
      } else {
        for (const outcome of outcomes) {
          if ("error" in outcome) {
            context.io.stderr.write(`Verification of ${outcome.image} failed.\n`);
            printError(context.io, outcome.error, false);
          } else {
            describeVerified(context.io.stderr, outcome.image, outcome.verified, setup);
            context.io.stdout.write(`${JSON.stringify(outcome.verified.verified.map(cosignStylePayload))}\n`);
          }
        }
      }
      return failed === 0 ? 0 : 1;
    } finally {
      await access.close();
    }
  },
};

function describeLogPolicy(setup: SignerSetup): string {
  const requirement = setup.requirement;
  if (requirement.kind === "key" && requirement.log === undefined) return "not checked: no log is configured";
  const required = requirement.kind === "key" ? requirement.log!.required : requirement.requireTlog;
  return required ? "required" : "not required (--insecure-ignore-tlog)";
}

/** `--platform` and `--recursive` (verify and verify-attestation): one multi-arch rule, not both. */
export function multiArchOptions(context: CommandContext): { platform?: string; recursive?: boolean } {
  const platform = typeof context.values["platform"] === "string" ? context.values["platform"] : undefined;
  const recursive = context.values["recursive"] === true;
  if (platform !== undefined && recursive) throw new SignetError("OPTION_CONFLICT", "give --platform (one instance) or --recursive (the index and every instance), not both");
  return { ...(platform === undefined ? {} : { platform }), ...(recursive ? { recursive } : {}) };
}

function describeVerified(out: NodeJS.WritableStream, image: string, verified: ImageVerificationResult, setup: SignerSetup): void {
  const count = verified.verified.length;
  const keyless = setup.requirement.kind === "identity";
  const lines = [
    `\nVerification for ${image} --`,
    ...(verified.image.resolvedTag !== undefined ? [`(tag ${verified.image.resolvedTag} resolved to ${verified.index ?? verified.digest})`] : []),
    ...(verified.index !== undefined ? [`(platform ${verified.platform ?? "?"} of index ${verified.index}: ${verified.digest})`] : []),
    "The following checks were performed on each of these signatures:",
    `  - The cosign claims were validated (the signed payload names ${verified.digest})`,
    ...(keyless
      ? ["  - The code-signing certificate was verified using trusted certificate authority certificates", `  - The certificate's identity matched ${setup.description}`]
      : ["  - The signatures were verified against the specified public key"]),
    `  - ${describeTlog(verified.verified)}`,
    ...verified.verified.map((s) => `  ${describeSignature(s)}`),
    ...verified.instances.map((i) => `  platform ${i.platform ?? "?"} ${i.digest}: ${i.verified.length} signature(s) verified`),
    `${count} signature${count === 1 ? "" : "s"} verified` +
      (verified.rejected.length > 0 ? `; ${verified.rejected.length} other signature(s) did not verify and were ignored` : "") +
      ".",
  ];
  out.write(`${lines.join("\n")}\n`);
}

function describeTlog(signatures: readonly VerifiedSignature[]): string {
  const statuses = new Set(signatures.map((s) => s.signer.tlog));
  if (statuses.size === 1 && statuses.has("verified")) return "Existence of the claims in the transparency log was verified offline";
  if (statuses.size === 1 && statuses.has("not-configured")) return "No transparency log was checked: none is configured";
  if (statuses.size === 1 && statuses.has("ignored")) return "The transparency log was not checked (--insecure-ignore-tlog)";
  return "Transparency log: " + signatures.map((s) => s.signer.tlog).join(", ");
}

function describeSignature(signature: VerifiedSignature): string {
  const where = signature.format === "cosign-legacy" ? `legacy .sig layer ${signature.source}` : `sigstore bundle ${signature.source}`;
  return `${where}: ${describeSigner(signature.signer)}`;
}

export function describeSigner(signer: SignerProof | VerifiedSignature["signer"]): string {
  if (signer.kind === "gpg") return `signed with GPG key ${signer.fingerprint}`;
  const who = signer.kind === "keyless" ? `signed by ${signer.subject ?? "(no subject)"} (issuer ${signer.issuer ?? "unknown"})` : `signed with key${signer.keyIndex !== undefined && signer.keyIndex > 0 ? ` ${signer.keyIndex + 1}` : ""}`;
  const log = signer.logIndex !== undefined ? `, logged at index ${signer.logIndex}${signer.integratedTime ? ` on ${signer.integratedTime.toISOString()}` : ""}` : "";
  return who + log;
}

/** What cosign prints on stdout: the payload, with the keyless signer's Issuer and Subject added to optional. */
function cosignStylePayload(signature: VerifiedSignature): unknown {
  if (signature.signer.kind !== "keyless") return signature.payload;
  const optional: Record<string, unknown> = { ...(signature.payload.optional ?? {}) };
  if (signature.signer.issuer !== undefined) optional["Issuer"] = signature.signer.issuer;
  if (signature.signer.subject !== undefined) optional["Subject"] = signature.signer.subject;
  return { ...signature.payload, optional };
}

function toJson(image: string, verified: ImageVerificationResult): Record<string, unknown> {
  return {
    image,
    verified: true,
    digest: verified.digest,
    ...(verified.index !== undefined ? { index: verified.index, platform: verified.platform ?? null } : {}),
    resolvedTag: verified.image.resolvedTag ?? null,
    ...digestJson(verified),
    ...(verified.instances.length > 0 ? { instances: verified.instances.map((i) => ({ digest: i.digest, platform: i.platform ?? null, ...digestJson(i) })) } : {}),
  };
}

function digestJson(result: ImageVerificationResult | ImageVerificationResult["instances"][number]): Record<string, unknown> {
  return {
    searched: result.searched,
    signatures: result.verified.map((s) => ({ format: s.format, source: s.source, payload: s.payload, signer: signerToJson(s.signer) })),
    rejected: result.rejected.map(({ format, source, code, reason }) => ({ format, source, code, reason })),
    ignored: result.ignored,
  };
}
