/**
 * cosign's certificate-based trust for verification: `--certificate` (the signing certificate), and a private PKI in
 * place of the trust root's Fulcio CAs (`--certificate-chain`, root last, or `--ca-roots` with `--ca-intermediates`),
 * and `--insecure-ignore-sct`. They become trust material and fields of the one identity requirement the verifier
 * already takes (signatures/cosign/keyless.ts); nothing here verifies anything.
 *
 * As cosign 2.5: the identity flags still apply; the transparency log is required unless --insecure-ignore-tlog
 * (its keys, and the CT log keys, come from the trust root as before); with a private PKI an SCT is required
 * unless --insecure-ignore-sct (a certificate without one is rejected, never passed); with the log waived and no
 * verified time, the certificate is checked at the current time.
 */
import { SignetError } from "../errors/index.js";
import { decodePemBlocks, encodePem, pemBlockBytes } from "../keys/pem.js";
import type { TrustMaterial } from "../trust/index.js";
import type { CommandContext, OptionSpec } from "./command.js";
import { readTextFile, stringOption } from "./options.js";

export const CERTIFICATE_TRUST_OPTIONS: OptionSpec = {
  certificate: { type: "string", value: "FILE", description: "the signing certificate (PEM): signatures are verified with its key, and it must chain to --certificate-chain, --ca-roots or the trust root's CAs and match the identity flags" },
  "certificate-chain": { type: "string", value: "FILE", description: "a PEM CA chain, root last: the only CAs trusted for certificates (--certificate, or those signatures carry)" },
  "ca-roots": { type: "string", value: "FILE", description: "PEM root CA certificates: the only CAs trusted for certificates (instead of the trust root's Fulcio CAs)" },
  "ca-intermediates": { type: "string", value: "FILE", description: "PEM intermediate CA certificates leading to --ca-roots" },
  "insecure-ignore-sct": { type: "boolean", description: "do not require the certificate's embedded SCT (certificates of a private CA have none)" },
};

/** What the flags add to an identity requirement. */
export interface CertificateTrust {
  /** The trust material with the private PKI as its CAs; undefined when the trust root's CAs stay. */
  readonly trust?: TrustMaterial;
  readonly certificatePem?: string;
  /** false with --insecure-ignore-sct; true with a private PKI; undefined: the trust root decides (its CT logs). */
  readonly requireSct?: boolean;
  /** Check a certificate at the current time when the log is waived and nothing verified a time (cosign). */
  readonly untimedCertificateAtCurrentTime: boolean;
  /** For messages: "CA roots FILE", "certificate chain FILE". */
  readonly description?: string;
}

/**
 * True when a certificate or CA file is given (they need a keyless verification). --insecure-ignore-sct is not one:
 * with --key it has nothing to waive, and cosign accepts it there.
 */
export function hasCertificateTrustOptions(context: CommandContext): boolean {
  return ["certificate", "certificate-chain", "ca-roots", "ca-intermediates"].some((name) => stringOption(context, name) !== undefined);
}

/**
 * Reads the flags; `baseTrust` loads the trust root, called only when its logs are needed (the log or SCT is
 * required) or no private PKI is given.
 */
export async function certificateTrustFrom(context: CommandContext, options: { readonly ignoreTlog: boolean; readonly baseTrust: () => Promise<TrustMaterial> }): Promise<CertificateTrust> {
  const certificatePath = stringOption(context, "certificate");
  const chainPath = stringOption(context, "certificate-chain");
  const rootsPath = stringOption(context, "ca-roots");
  const intermediatesPath = stringOption(context, "ca-intermediates");
  const ignoreSct = context.values["insecure-ignore-sct"] === true;
  if (chainPath !== undefined && rootsPath !== undefined) {
    throw new SignetError("OPTION_CONFLICT", "give --certificate-chain or --ca-roots (with --ca-intermediates), not both", { hint: "As cosign: --certificate-chain is a chain ending in its root; --ca-roots lists roots." });
  }
  if (intermediatesPath !== undefined && rootsPath === undefined) {
    throw new SignetError("USAGE", "--ca-intermediates needs --ca-roots: intermediates alone are not trusted", { hint: "Give the roots they lead to with --ca-roots FILE." });
  }
  const privatePki = chainPath !== undefined || rootsPath !== undefined;
  if (privatePki && stringOption(context, "trusted-root") !== undefined) {
    throw new SignetError("OPTION_CONFLICT", "--trusted-root and --certificate-chain/--ca-roots both name the certificate authorities; give one", {
      hint: "A trusted_root.json lists its CAs itself; use --certificate-chain or --ca-roots for a private CA without one.",
    });
  }
  const certificatePem = certificatePath === undefined ? undefined : singleCertificate(readTextFile(certificatePath, "--certificate"), certificatePath);
  const requireSct = ignoreSct ? false : privatePki ? true : undefined;
  const common = {
    ...(certificatePem === undefined ? {} : { certificatePem }),
    ...(requireSct === undefined ? {} : { requireSct }),
    untimedCertificateAtCurrentTime: privatePki || certificatePem !== undefined,
  };
  if (!privatePki) return common;
  const { trustMaterialFromCertificateAuthorities } = await import("../trust/index.js");
  const needsLogs = !options.ignoreTlog || !ignoreSct;
  const logs = needsLogs ? await options.baseTrust() : { tlogs: [], ctlogs: [], timestampAuthorities: [] };
  let trust: TrustMaterial;
  let description: string;
  if (chainPath !== undefined) {
    // cosign: the chain's last certificate is the root, the others are intermediates.
    description = `certificate chain ${chainPath}`;
    trust = trustMaterialFromCertificateAuthorities({ chainPem: readTextFile(chainPath, "--certificate-chain"), logs, description });
  } else {
    description = `CA roots ${rootsPath}${intermediatesPath === undefined ? "" : ` and intermediates ${intermediatesPath}`}`;
    trust = trustMaterialFromCertificateAuthorities({
      rootsPem: readTextFile(rootsPath!, "--ca-roots"),
      ...(intermediatesPath === undefined ? {} : { intermediatesPem: readTextFile(intermediatesPath, "--ca-intermediates") }),
      logs,
      description,
    });
  }
  return { ...common, trust, description };
}

/** The --certificate file must hold one PEM certificate (cosign reads the first; two would be ambiguous). */
function singleCertificate(text: string, path: string): string {
  let blocks;
  try {
    blocks = decodePemBlocks(text).filter((block) => block.label === "CERTIFICATE");
  } catch (error) {
    throw new SignetError("TRUST_ROOT_INVALID", `--certificate ${path} is not PEM: ${(error as Error).message}`);
  }
  if (blocks.length !== 1) {
    throw new SignetError("TRUST_ROOT_INVALID", `--certificate ${path} must hold one PEM certificate, not ${blocks.length}`, { hint: "Give the signing certificate alone; its CAs go in --certificate-chain or --ca-roots." });
  }
  return encodePem("CERTIFICATE", pemBlockBytes(blocks[0]!));
}
