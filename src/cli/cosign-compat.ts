/**
 * What signet says about a cosign flag or command it does not take: the reason (from the table below, which
 * docs/compatibility.md also lists), or that cosign does not have it either. Loaded only on that error path and by
 * the documentation generator.
 */
import { cosignCommandsWithFlag, cosignFlagsOf, isCosignCommand } from "./cosign-flags.js";

const OIDC_FLOWS = "interactive OIDC flows are not supported: pass --identity-token TOKEN|FILE or SIGSTORE_ID_TOKEN (GitHub Actions' ambient token is read without a flag)";
const PIV = "hardware security keys (PIV) are not supported: use --key with a key file";
const MTLS = "client certificates for registries (mutual TLS) are not supported yet";
const TSA_CLIENT = "TLS client options for a timestamp authority are not supported (signet does not request RFC 3161 timestamps when signing)";

/** Why signet refuses a cosign flag: by flag name, or "command --flag" for one command only. */
export const COSIGN_FLAG_REASONS: Readonly<Record<string, string>> = {
  sk: PIV,
  slot: PIV,
  "k8s-keychain": "the Kubernetes keychain (workload identity) is not supported by the CLI: use docker credentials, a credential helper, or --registry-username/--registry-password (the webhook reads pull secrets)",
  "registry-client-cert": MTLS,
  "registry-client-key": MTLS,
  "registry-server-name": MTLS,
  "attachment-tag-prefix": "signet reads and writes cosign's default attachment tags (sha256-<hex>.sig/.att/.sbom) only",
  "fulcio-auth-flow": OIDC_FLOWS,
  "oidc-client-id": OIDC_FLOWS,
  "oidc-client-secret-file": OIDC_FLOWS,
  "oidc-redirect-url": OIDC_FLOWS,
  "oidc-provider": OIDC_FLOWS,
  "oidc-disable-ambient-providers": OIDC_FLOWS,
  "insecure-skip-verify": "signet always verifies the SCT of the certificate Fulcio returns",
  "issue-certificate": "a Fulcio certificate for a key file is not supported: sign with --key (no certificate) or keyless",
  "record-creation-timestamp": "signatures carry no creation timestamp annotation (they stay byte-identical when re-signed)",
  "timestamp-client-cacert": TSA_CLIENT,
  "timestamp-client-cert": TSA_CLIENT,
  "timestamp-client-key": TSA_CLIENT,
  "timestamp-server-name": TSA_CLIENT,
  "timestamp-server-url": "RFC 3161 timestamps are verified (from a bundle and --trusted-root) but not requested when signing yet",
  "rfc3161-timestamp": "detached RFC 3161 timestamp files are not supported: use a sigstore bundle (--bundle), which carries them",
  "rfc3161-timestamp-bundle": "detached RFC 3161 timestamp files are not supported: use a sigstore bundle (--bundle), which carries them",
  "rekor-entry-type": "signet logs attestations as dsse entries (cosign's default); intoto entries are not written",
  replace: "replacing attestations of the same predicate type is not supported: attestations are added",
  "no-upload": "attest always stores the attestation (use --tlog-upload=false to skip the log)",
  "insecure-ignore-sct": "signet always requires the certificate's SCT to verify with a CT log of the trusted root",
  "private-infrastructure": "use --trusted-root FILE for a private sigstore instance (its logs and CAs are then required), or --insecure-ignore-tlog for key-signed images without a log",
  sct: "detached SCTs are not supported: the SCT must be embedded in the certificate",
  "signature-digest-algorithm": "signatures are checked with the digest of the key's algorithm (sha256 for P-256 and RSA keys, cosign's default)",
  "use-signed-timestamps": "RFC 3161 timestamps are taken from the bundle and checked against the timestamp authorities of --trusted-root",
  "timestamp-certificate-chain": "give the timestamp authority in a trusted_root.json (--trusted-root) instead",
  "certificate-chain": "a certificate chain outside a trusted_root.json is not supported yet: use --trusted-root FILE with the CA",
  "ca-roots": "CA files outside a trusted_root.json are not supported yet: use --trusted-root FILE",
  "ca-intermediates": "CA files outside a trusted_root.json are not supported yet: use --trusted-root FILE",
  "local-image": "verifying a layout written by `cosign save` is not supported yet: `signet verify oci:DIR` verifies an OCI layout with its signatures",
  attachment: "the deprecated --attachment (signing or verifying an attached SBOM) is not supported",
  kms: "KMS keys are not supported: use a key file",
  "rekor-response": "attaching a Rekor response is not supported",
  tsr: "attaching an RFC 3161 timestamp response is not supported",
  "use-signing-config": "signet has no signing-config support: it uses the URLs of --fulcio-url and --rekor-url (so --use-signing-config=false is accepted)",
  "signing-config": "signing-config files are not supported yet: give --fulcio-url and --rekor-url",
};

const COMMAND_REASONS: Readonly<Record<string, string>> = {
  dockerfile: "`cosign dockerfile verify` is not supported: list the images and run `signet verify` on them",
  manifest: "`cosign manifest verify` is not supported: list the images and run `signet verify` on them (or use the admission webhook)",
  upload: "`cosign upload` is not supported: push blobs with your registry client (oras, crane)",
  bundle: "`cosign bundle create` is not supported: sign with `signet sign-blob --bundle FILE` to get a bundle",
  "trusted-root": "`cosign trusted-root create` is not supported: `signet trust show` prints the trust root in use",
  "piv-tool": "hardware security keys (PIV) are not supported",
  "pkcs11-tool": "PKCS#11 tokens are not supported by the CLI",
};

export interface CosignFlagExplanation {
  readonly message: string;
  readonly hint?: string;
  /** "not-in-cosign", "other-command" or "unsupported". */
  readonly cosign: string;
}

export function describeUnsupportedCosignFlag(command: string, subcommand: string | undefined, flag: string): CosignFlagExplanation {
  const cosignCommand = subcommand !== undefined && isCosignCommand(`${command} ${subcommand}`) ? `${command} ${subcommand}` : command;
  const spelled = flag.length === 1 ? `-${flag}` : `--${flag}`;
  const known = cosignFlagsOf(cosignCommand).find((f) => f.name === flag || f.short === flag);
  if (known !== undefined) {
    const reason = reasonFor(cosignCommand, known.name);
    return {
      message: `a cosign flag that signet does not support${reason ? `: ${reason}` : ""}`,
      hint: `signet ${command} supports the cosign flags listed by \`signet ${command} --help\`; docs/compatibility.md lists every cosign flag and why some are refused.`,
      cosign: "unsupported",
    };
  }
  const elsewhere = flag.length > 1 ? cosignCommandsWithFlag(flag) : [];
  if (elsewhere.length > 0) {
    return { message: `unknown flag: cosign has ${spelled} for ${elsewhere.slice(0, 4).join(", ")}${elsewhere.length > 4 ? ", …" : ""}, not for ${cosignCommand}`, cosign: "other-command" };
  }
  return { message: "unknown flag (cosign has no such flag either)", cosign: "not-in-cosign" };
}

export function describeUnsupportedCosignCommand(name: string): string | undefined {
  return COMMAND_REASONS[name];
}

/** The reason signet gives for a cosign flag it does not take ("" when none is recorded). */
export function reasonFor(cosignCommand: string, flag: string): string {
  const top = cosignCommand.split(" ")[0]!;
  return COSIGN_FLAG_REASONS[`${cosignCommand} --${flag}`] ?? COSIGN_FLAG_REASONS[`${top} --${flag}`] ?? COSIGN_FLAG_REASONS[flag] ?? "";
}
