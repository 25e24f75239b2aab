/**
 * The options that say who must have signed and which log must vouch for it (cosign's names), shared by
 * `verify`, `verify-attestation` and the policy-free commands that check signatures. Trust material is
 * loaded only when a keyless or logged check needs it: the key-only path loads no sigstore library.
 */
import type { KeyObject } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { describeKeyReference } from "../keys/key-reference.js";
import type { IdentityPolicy } from "../signatures/bundle/index.js";
import type { SignerRequirement } from "../signatures/cosign/keyless.js";
import type { TrustMaterial } from "../trust/index.js";
import type { CommandContext, OptionSpec } from "./command.js";
import { stringOption } from "./options.js";
import { IDENTITY_OPTIONS, TRUST_ROOT_OPTIONS, trustMaterialFrom, unanchoredRegexps } from "./commands/trust.js";
import { publicKeyFrom } from "./session.js";
import { CERTIFICATE_TRUST_OPTIONS, certificateTrustFrom, hasCertificateTrustOptions } from "./certificate-trust.js";

export const SIGNER_OPTIONS: OptionSpec = {
  key: { type: "string", value: "PATH", description: "public key (PEM), certificate, or private key: key-based signatures" },
  ...IDENTITY_OPTIONS,
  ...TRUST_ROOT_OPTIONS,
  ...CERTIFICATE_TRUST_OPTIONS,
  "insecure-ignore-tlog": { type: "boolean", description: "accept signatures without a verified transparency log entry (said in the output)" },
  "rekor-url": { type: "string", value: "URL", default: "https://rekor.sigstore.dev", description: "accepted for cosign command lines: entries are checked offline against the trusted root's logs" },
};

export const SIGNER_USAGE = `  Who must have signed: --key for key-based signatures; for keyless ones (a Fulcio certificate) one subject rule
  (--certificate-identity or --certificate-identity-regexp) and one issuer rule (--certificate-oidc-issuer or
  --certificate-oidc-issuer-regexp). As cosign 2, a verified transparency log entry is required unless
  --insecure-ignore-tlog, which the output then says. A private CA instead of Fulcio (as cosign):
  --certificate-chain FILE (root last) or --ca-roots FILE [--ca-intermediates FILE]; --certificate FILE verifies
  with that certificate's key; an embedded SCT is then required unless --insecure-ignore-sct.`;

const IDENTITY_FLAGS = {
  subject: "certificate-identity",
  subjectRegExp: "certificate-identity-regexp",
  issuer: "certificate-oidc-issuer",
  issuerRegExp: "certificate-oidc-issuer-regexp",
  githubWorkflowRepository: "certificate-github-workflow-repository",
  githubWorkflowRef: "certificate-github-workflow-ref",
  githubWorkflowTrigger: "certificate-github-workflow-trigger",
  githubWorkflowSha: "certificate-github-workflow-sha",
  githubWorkflowName: "certificate-github-workflow-name",
} as const;

export interface SignerSetup {
  readonly requirement: SignerRequirement;
  /** For output: "key cosign.pub", "identity a@b (issuer https://…)". */
  readonly description: string;
  /** For output: the trust material's description, or undefined when no log or CA is used. */
  readonly trust?: string;
  /** --insecure-ignore-tlog: no log entry is required (the output says so). */
  readonly tlogIgnored: boolean;
}

/** Builds the signer requirement from the command line; rejects incomplete or conflicting identity rules. */
export async function signerSetupFrom(context: CommandContext): Promise<SignerSetup> {
  const keyPath = stringOption(context, "key");
  const identity = identityFrom(context, await unanchoredRegexps(context));
  const ignoreTlog = context.values["insecure-ignore-tlog"] === true;
  if (keyPath !== undefined && identity !== undefined) {
    throw new SignetError("OPTION_CONFLICT", "--key and --certificate-* options name two kinds of signer; give one", {
      hint: "Use --key for key-signed images, or the --certificate-identity and --certificate-oidc-issuer options for keyless ones.",
    });
  }
  if (keyPath !== undefined && hasCertificateTrustOptions(context)) {
    throw new SignetError("OPTION_CONFLICT", "--key and the certificate options (--certificate, --certificate-chain, --ca-roots, --ca-intermediates) name two kinds of signer; give one", {
      hint: "Use --key for key-signed images, or --certificate (with --certificate-chain or --ca-roots) and the --certificate-identity flags.",
    });
  }
  if (keyPath !== undefined) {
    const publicKeys: KeyObject[] = [await publicKeyFrom(keyPath, context.io.env)];
    // cosign 2: a key-signed image needs a verified log entry too, unless --insecure-ignore-tlog (then said aloud).
    if (ignoreTlog) return { requirement: { kind: "key", publicKeys }, description: `key ${describeKeyReference(keyPath)}`, tlogIgnored: true };
    const trust = await trustFrom(context);
    return { requirement: { kind: "key", publicKeys, log: { trust, required: true } }, description: `key ${describeKeyReference(keyPath)}`, trust: trust.description, tlogIgnored: false };
  }
  if (identity === undefined) {
    throw new SignetError("IDENTITY_POLICY_INVALID", "verifying needs --key, or a keyless identity: --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]");
  }
  const certificates = await certificateTrustFrom(context, { ignoreTlog, baseTrust: () => trustFrom(context) });
  const trust = certificates.trust ?? (await trustFrom(context));
  const requirement: SignerRequirement = {
    kind: "identity",
    identity,
    trust,
    requireTlog: !ignoreTlog,
    ...(certificates.requireSct === undefined ? {} : { requireSct: certificates.requireSct }),
    ...(certificates.certificatePem === undefined ? {} : { certificatePem: certificates.certificatePem }),
    ...(certificates.untimedCertificateAtCurrentTime ? { untimedCertificateAtCurrentTime: true } : {}),
  };
  const certificateNote = certificates.certificatePem === undefined ? "" : ` (certificate ${stringOption(context, "certificate")})`;
  return { requirement, description: `${describeIdentity(identity)}${certificateNote}`, trust: trust.description, tlogIgnored: ignoreTlog };
}

/** What cosign prints when the log is skipped: a verification that skips it never passes silently. */
export const TLOG_SKIPPED_WARNING =
  "WARNING: Skipping tlog verification is an insecure practice that lacks transparency and auditability verification for the signature (--insecure-ignore-tlog).";

/** Says so on stderr when the command line skips the transparency log. */
export function warnIfTlogIgnored(context: CommandContext, setup: SignerSetup): void {
  if (setup.tlogIgnored) context.io.stderr.write(`${TLOG_SKIPPED_WARNING}\n`);
}

/** The identity policy the flags give, undefined when no identity flag is given. */
export function identityFrom(context: CommandContext, unanchored: { subjectRegExp?: string; issuerRegExp?: string } = {}): IdentityPolicy | undefined {
  const values: Partial<Record<keyof typeof IDENTITY_FLAGS, string>> = {};
  for (const [field, flag] of Object.entries(IDENTITY_FLAGS) as [keyof typeof IDENTITY_FLAGS, string][]) {
    const value = stringOption(context, flag);
    if (value === "") throw new SignetError("IDENTITY_POLICY_INVALID", `--${flag} is empty`);
    if (value !== undefined) values[field] = value;
  }
  for (const [field, flag] of [["subjectRegExp", "certificate-identity-regexp"], ["issuerRegExp", "certificate-oidc-issuer-regexp"]] as const) {
    if (unanchored[field] === undefined) continue;
    if (values[field] !== undefined) throw new SignetError("OPTION_CONFLICT", `give --${flag} or --${flag}-unanchored, not both`);
    values[field] = unanchored[field];
  }
  if (Object.keys(values).length === 0) return undefined;
  if (values.subject !== undefined && values.subjectRegExp !== undefined) {
    throw new SignetError("OPTION_CONFLICT", "give --certificate-identity or --certificate-identity-regexp, not both");
  }
  if (values.issuer !== undefined && values.issuerRegExp !== undefined) {
    throw new SignetError("OPTION_CONFLICT", "give --certificate-oidc-issuer or --certificate-oidc-issuer-regexp, not both");
  }
  if (values.subject === undefined && values.subjectRegExp === undefined) {
    throw new SignetError("IDENTITY_POLICY_INVALID", "keyless verification needs --certificate-identity or --certificate-identity-regexp (use '.*' to accept any subject on purpose)");
  }
  if (values.issuer === undefined && values.issuerRegExp === undefined) {
    throw new SignetError("IDENTITY_POLICY_INVALID", "keyless verification needs --certificate-oidc-issuer or --certificate-oidc-issuer-regexp (use '.*' to accept any issuer on purpose)");
  }
  return { kind: "identity", ...values };
}

/**
 * The trust material: --trusted-root, else cosign's SIGSTORE_* key files, else the public-good root (TUF
 * cache or embedded; --offline never updates it). One implementation serves every command (commands/trust.ts).
 */
export function trustFrom(context: CommandContext): Promise<TrustMaterial> {
  return trustMaterialFrom(context);
}

function describeIdentity(identity: IdentityPolicy): string {
  const subject = identity.subject ?? `/${identity.subjectRegExp}/`;
  const issuer = identity.issuer ?? `/${identity.issuerRegExp}/`;
  return `identity ${subject} from issuer ${issuer}`;
}
