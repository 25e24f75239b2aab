/**
 * What signet says about a cosign flag or command it does not take: the reason (from the table below, which
 * docs/compatibility.md also lists), or that cosign does not have it either. Loaded only on that error path and by
 * the documentation generator.
 */
import { COSIGN_FLAGS, cosignCommandsWithFlag, cosignFlagsOf, isCosignCommand } from "./cosign-flags.js";

const OIDC_FLOWS = "interactive OIDC flows are not supported: pass --identity-token TOKEN|FILE or SIGSTORE_ID_TOKEN (GitHub Actions' ambient token is read without a flag)";
const PIV = "hardware security keys (PIV) are not supported: use --key with a key file";
const MTLS = "client certificates for registries (mutual TLS) are not supported yet";
const TSA_CLIENT = "client certificates for a timestamp authority (mutual TLS) are not supported: sign and attest take --timestamp-server-url and --timestamp-client-cacert";

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
  "timestamp-client-cacert": "RFC 3161 timestamps are requested by `sign` and `attest` only so far",
  "timestamp-client-cert": TSA_CLIENT,
  "timestamp-client-key": TSA_CLIENT,
  "timestamp-server-name": TSA_CLIENT,
  "timestamp-server-url": "RFC 3161 timestamps are requested by `sign` and `attest` only so far (verified from a bundle or a .sig layer's annotation with --trusted-root)",
  "rfc3161-timestamp": "detached RFC 3161 timestamp files are not supported: use a sigstore bundle (--bundle), which carries them",
  "rfc3161-timestamp-bundle": "detached RFC 3161 timestamp files are not supported: use a sigstore bundle (--bundle), which carries them",
  "rekor-entry-type": "signet logs attestations as dsse entries (cosign's default); intoto entries are not written",
  replace: "replacing attestations of the same predicate type is not supported: attestations are added",
  "no-upload": "attest always stores the attestation (use --tlog-upload=false to skip the log)",
  "private-infrastructure": "use --trusted-root FILE for a private sigstore instance (its logs and CAs are then required), or --insecure-ignore-tlog for key-signed images without a log",
  sct: "detached SCTs are not supported: the SCT must be embedded in the certificate",
  "signature-digest-algorithm": "signatures are checked with the digest of the key's algorithm (sha256 for P-256 and RSA keys, cosign's default)",
  "use-signed-timestamps": "RFC 3161 timestamps are taken from the bundle and checked against the timestamp authorities of --trusted-root",
  "timestamp-certificate-chain": "give the timestamp authority in a trusted_root.json (--trusted-root) instead",
  attachment: "the deprecated --attachment (signing or verifying an attached SBOM) is not supported",
  kms: "KMS keys are not supported: use a key file",
  "rekor-response": "attaching a Rekor response is not supported",
  tsr: "attaching an RFC 3161 timestamp response is not supported",
  "sign --trusted-root": "a trusted root for signing (cosign 3) is not supported: give --fulcio-url and --rekor-url",
  "attest --trusted-root": "a trusted root for signing (cosign 3) is not supported: give --fulcio-url and --rekor-url",
  "attach sbom --sbom": "SBOM attachments (deprecated in cosign) are not supported: attest the SBOM instead (attest --type spdxjson|cyclonedx)",
  "attach sbom --type": "SBOM attachments (deprecated in cosign) are not supported: attest the SBOM instead (attest --type spdxjson|cyclonedx)",
  "attach sbom --input-format": "SBOM attachments (deprecated in cosign) are not supported: attest the SBOM instead (attest --type spdxjson|cyclonedx)",
  "attach sbom --registry-referrers-mode": "SBOM attachments (deprecated in cosign) are not supported",
  "attest-blob --hash": "signet reads the file and hashes it itself: give the file",
  "attest-blob --trusted-root": "a trusted root for signing (cosign 3) is not supported: give --fulcio-url and --rekor-url",
  "verify-blob-attestation --experimental-oci11": "not applicable to blobs in signet",
  "verify-blob-attestation --max-workers": "one blob is verified per command",
  "copy --force": "not supported yet: signet copies without asking and merges signatures already at the destination",
  "copy --platform": "not supported yet: every platform of an index is copied",
  "copy --sig-only": "deprecated in cosign: use --only=sig",
  "sign-blob --bundle": "sign-blob writes no bundle yet: the signature is printed or written with --output-signature, and logged unless --tlog-upload=false",
  "sign-blob --fulcio-url": "keyless sign-blob is not supported yet: sign blobs with --key",
  "sign-blob --identity-token": "keyless sign-blob is not supported yet: sign blobs with --key",
  "sign-blob --oidc-issuer": "keyless sign-blob is not supported yet: sign blobs with --key",
  "sign-blob --output-certificate": "keyless sign-blob is not supported yet: sign blobs with --key",
  "sign-blob --new-bundle-format": "sign-blob writes no bundle yet",
  "sign-blob --trusted-root": "a trusted root for signing (cosign 3) is not supported",
  "verify-attestation --check-claims": "signet always checks the claims of attestations",
  "verify-attestation --experimental-oci11": "signet always looks for OCI 1.1 referrers as well as the .att tag",
  "verify-blob --experimental-oci11": "not applicable to blobs in signet",
  "verify-blob --max-workers": "one blob is verified per command",
  "verify-blob --new-bundle-format": "signet reads every bundle version (v0.1 to v0.3) without the flag",
  "verify-blob --rekor-url": "log entries are checked offline against the trusted root's logs, from the bundle",
  "download --platform": "not supported yet: give the platform manifest's digest as IMAGE",
  "version --json": "not supported yet: `signet version` prints one line",
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

/** The cosign commands signet does not have yet, with what to use instead. */
export const COMMANDS_NOT_YET: Readonly<Record<string, string>> = {
};

export interface SignetCommandView {
  readonly name: string;
  readonly options: Readonly<Record<string, { readonly hidden?: boolean; readonly aliasOf?: string; readonly description?: string }>>;
}

/**
 * The table of docs/compatibility.md: every flag of every cosign 2.5 command (and the cosign 3 flags guides use),
 * with what signet does with it. Generated from cosign's flags (cosign-flags.ts) and signet's option tables, so it
 * cannot drift from what the parser accepts.
 */
export function cosignFlagsMarkdown(signetCommands: readonly SignetCommandView[], globals: SignetCommandView["options"]): string {
  const byName = new Map(signetCommands.map((command) => [command.name, command]));
  const lines: string[] = [];
  const counts = { supported: 0, mapped: 0, refused: 0 };
  for (const cosignCommand of Object.keys(cosignFlagsIndex())) {
    const top = cosignCommand.split(" ")[0]!;
    const signet = byName.get(top);
    lines.push("", `### cosign ${cosignCommand}`, "");
    if (signet === undefined) {
      const reason = COMMAND_REASONS[top] ?? COMMANDS_NOT_YET[top] ?? "not supported";
      lines.push(`signet has no \`${top}\` command: ${reason}. Its flags: ${cosignFlagsOf(cosignCommand).filter((f) => !isGlobal(f.name)).map((f) => `\`--${f.name}\``).join(", ") || "none"}.`);
      counts.refused += cosignFlagsOf(cosignCommand).filter((f) => !isGlobal(f.name)).length;
      continue;
    }
    lines.push("| flag | signet | notes |", "| --- | --- | --- |");
    for (const flag of cosignFlagsOf(cosignCommand)) {
      if (isGlobal(flag.name) && cosignCommand !== "sign") continue;
      const def = signet.options[flag.name] ?? globals[flag.name];
      const spelled = `${flag.short !== undefined ? `-${flag.short}, ` : ""}--${flag.name}${flag.since === "3" ? " (cosign 3)" : ""}`;
      if (def === undefined) {
        counts.refused++;
        lines.push(`| \`${spelled}\` | refused | ${escapeCell(reasonFor(cosignCommand, flag.name) || "not supported yet")} |`);
        continue;
      }
      const mapped = def.aliasOf !== undefined || /^(accepted|cosign 3: only)/.test(def.description ?? "") || /\(cosign: /.test(def.description ?? "");
      counts[mapped ? "mapped" : "supported"]++;
      const note = def.aliasOf !== undefined ? `another name of \`--${def.aliasOf}\`` : (def.description ?? "");
      lines.push(`| \`${spelled}\` | ${mapped ? "mapped" : "supported"} | ${escapeCell(note)} |`);
    }
  }
  const globalNote = "cosign's global flags (`--output-file`, `-t/--timeout`, `-d/--verbose`) are listed under `sign` and accepted by every command.";
  return [`${counts.supported} cosign flags supported, ${counts.mapped} mapped (accepted with a stated difference), ${counts.refused} refused (each with its reason). ${globalNote}`, ...lines].join("\n");
}

function cosignFlagsIndex(): Record<string, true> {
  return Object.fromEntries([...Object.keys(COSIGN_FLAGS)].map((name) => [name, true]));
}

function isGlobal(flag: string): boolean {
  return flag === "output-file" || flag === "timeout" || flag === "verbose";
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|");
}
