/**
 * cosign's `sign` flags around the signing itself: the payload to sign (`--payload`), whether to attach
 * (`--upload`), the files the signature, payload and certificate are written to, where the `.sig` tags go
 * (COSIGN_REPOSITORY) and the referrers mode. Shared by the key-only and the sigstore signing paths.
 */
import { SignetError } from "../errors/index.js";
import { writeFileAtomic } from "../internal/atomic-file.js";
import { publicKeyToPem, type Signer } from "../keys/index.js";
import type { SignImageResult, SignedManifest } from "../signatures/cosign/sign-image.js";
import type { CommandContext, OptionSpec } from "./command.js";
import { booleanOption, readFileBounded, stringOption } from "./options.js";

export const SIGN_OUTPUT_OPTIONS: OptionSpec = {
  upload: { type: "boolean", default: true, description: "attach the signature to the image (--upload=false: only sign, and write the --output-* files)" },
  payload: { type: "string", value: "FILE", description: "sign the bytes of FILE (e.g. from `generate`) instead of the generated payload" },
  "output-signature": { type: "string", value: "FILE", description: "write the base64 signature to FILE" },
  "output-payload": { type: "string", value: "FILE", description: "write the signed payload to FILE" },
  "output-certificate": { type: "string", value: "FILE", description: "write the signer's certificate (keyless) or public key (--key) to FILE, PEM" },
  "registry-referrers-mode": {
    type: "string",
    value: "legacy|oci-1-1",
    choices: ["legacy", "oci-1-1"],
    description: "legacy: the .sig tag; oci-1-1 (needs COSIGN_EXPERIMENTAL=1, as cosign): the .sig manifest stored as an OCI 1.1 referrer of the image, as cosign 2.5 writes it (with --new-bundle-format: the sigstore bundle)",
  },
};

/** The payload file (`--payload`): read whole, bounded like any signature payload. */
export function payloadOption(context: CommandContext): Buffer | undefined {
  const path = stringOption(context, "payload");
  return path === undefined ? undefined : readFileBounded(path, "the payload", 1024 * 1024);
}

export function uploadOption(context: CommandContext): boolean {
  return booleanOption(context, "upload", true);
}

/** `--registry-referrers-mode=oci-1-1`: as cosign, only with COSIGN_EXPERIMENTAL=1; it then means a referrer (cosign's .sig-style one, or the bundle with --new-bundle-format). */
export function wantsReferrer(context: CommandContext): boolean {
  const mode = stringOption(context, "registry-referrers-mode");
  if (mode !== "oci-1-1") return false;
  if (!isExperimental(context.io.env)) {
    throw new SignetError("USAGE", `invalid argument "oci-1-1" for "--registry-referrers-mode" flag: in order to use mode "oci-1-1", you must set COSIGN_EXPERIMENTAL=1`, {
      hint: "Set COSIGN_EXPERIMENTAL=1, or leave --registry-referrers-mode out (the .sig tag).",
    });
  }
  return true;
}

/** cosign's COSIGN_EXPERIMENTAL: any value Go's strconv.ParseBool reads as true. */
export function isExperimental(env: NodeJS.ProcessEnv): boolean {
  return ["1", "t", "T", "TRUE", "true", "True"].includes(env["COSIGN_EXPERIMENTAL"] ?? "");
}

const OUTPUT_FILES = ["output-signature", "output-payload", "output-certificate"] as const;

/** Refuses what the bundle (referrer) path cannot honour. */
export function checkBundleSignOptions(context: CommandContext): void {
  for (const name of ["payload", ...OUTPUT_FILES] as const) {
    if (stringOption(context, name) !== undefined) throw new SignetError("OPTION_CONFLICT", `--${name} is for .sig signatures: it cannot be combined with a sigstore bundle (--new-bundle-format)`);
  }
  if (!uploadOption(context)) throw new SignetError("OPTION_CONFLICT", "--upload=false is for .sig signatures: it cannot be combined with a sigstore bundle (--new-bundle-format)");
}

/**
 * Writes the --output-* files as cosign does: the base64 signature, the payload bytes, and the certificate (or,
 * for a key, its public key) in PEM. One signature only: several images (or --recursive) would overwrite them.
 */
export async function writeSignOutputs(context: CommandContext, results: readonly SignImageResult[], signer: { key: Pick<Signer, "publicKey">; certificatePem?: string }): Promise<void> {
  const wanted = OUTPUT_FILES.filter((name) => stringOption(context, name) !== undefined);
  if (wanted.length === 0) return;
  const signed = results.flatMap((r) => r.signed);
  if (signed.length !== 1) {
    throw new SignetError("USAGE", `--${wanted[0]} names one file, but ${signed.length} signatures were made`, { hint: "Sign one image (without --recursive) per command when writing the signature to files." });
  }
  const one = signed[0]!;
  const contents: Record<(typeof OUTPUT_FILES)[number], Buffer> = {
    "output-signature": Buffer.from(one.signature.toString("base64")),
    "output-payload": one.payload,
    "output-certificate": Buffer.from(signer.certificatePem ?? publicKeyToPem(signer.key.publicKey)),
  };
  for (const name of wanted) {
    const path = stringOption(context, name)!;
    await writeFileAtomic(path, contents[name], { mode: 0o600 });
    if (name === "output-certificate") context.io.stderr.write(`Certificate wrote in the file ${path}\n`);
  }
}

/** Checks the combination before anything is signed. */
export function checkSignOutputOptions(context: CommandContext, images: readonly string[]): void {
  if (OUTPUT_FILES.some((name) => stringOption(context, name) !== undefined) && (images.length > 1 || context.values["recursive"] === true)) {
    throw new SignetError("USAGE", "the --output-* files hold one signature: give one IMAGE and no --recursive");
  }
}

/** One signature in the JSON report (shared with the sigstore signing path). */
export function signedJson(s: SignedManifest): Record<string, unknown> {
  return {
    digest: s.digest,
    uploaded: s.uploaded,
    signatureRepository: s.repository,
    signatureTag: s.tag,
    added: s.added,
    signatureManifest: s.manifestDigest ?? null,
    signatureCount: s.signatureCount,
    signature: s.signature.toString("base64"),
  };
}
