/**
 * `signet conformance …`: the sigstore-conformance CLI protocol, so that suite (and anyone's copy of its
 * cases) can run signet. `verify-bundle` exits 0 only when the bundle verified. Without `--trusted-root` it
 * uses the embedded public-good (or `--staging`) trusted root, offline.
 */
import { SignetError } from "../../errors/index.js";
import type { ArtifactInput } from "../../signatures/bundle/signed-content.js";
import type { VerifiedBundle } from "../../signatures/bundle/verified-bundle.js";
import type { Command, CommandContext } from "../command.js";
import { OUTPUT_OPTION, outputFormat, readFileBounded, requireString, stringOption } from "../options.js";
import { writeJson } from "../output.js";
import { trustMaterialFrom } from "./trust.js";

/** Larger than any real bundle. */
const BUNDLE_MAX_BYTES = 16 * 1024 * 1024;
const DIGEST_ARGUMENT = /^sha256:([0-9a-f]{64})$/;

export const conformanceCommand: Command = {
  name: "conformance",
  summary: "The sigstore-conformance CLI protocol (verify-bundle, sign-bundle)",
  usage: `signet conformance verify-bundle [--staging] --bundle FILE --certificate-identity IDENTITY --certificate-oidc-issuer URL [--trusted-root FILE] FILE_OR_DIGEST
       signet conformance verify-bundle [--staging] --bundle FILE --key PATH_TO_KEY [--trusted-root FILE] FILE_OR_DIGEST
       signet conformance sign-bundle [--staging] [--in-toto] --identity-token TOKEN --bundle FILE [--trusted-root FILE] [--signing-config FILE] FILE

  FILE_OR_DIGEST is the artifact, or sha256:<hex> of it. Without --trusted-root the public-good (or, with
  --staging, the staging) trusted root shipped with signet is used, offline. Exit status 0 means verified.
  The suite runs an entry point with the sub-command first: \`#!/bin/sh\\nexec signet conformance "$@"\`.`,
  options: {
    bundle: { type: "string" },
    "certificate-identity": { type: "string" },
    "certificate-oidc-issuer": { type: "string" },
    key: { type: "string" },
    "trusted-root": { type: "string" },
    staging: { type: "boolean" },
    "identity-token": { type: "string" },
    "in-toto": { type: "boolean" },
    "signing-config": { type: "string" },
    ...OUTPUT_OPTION,
  },
  async run(context) {
    const [action, ...rest] = context.positionals;
    switch (action) {
      case "verify-bundle":
        return verifyBundle(context, rest);
      case "sign-bundle":
        throw new SignetError("USAGE", "signet conformance sign-bundle is not supported: keyless signing needs Fulcio, Rekor and an OIDC token issuer online", {
          hint: "Only verify-bundle runs offline; sign with cosign or another sigstore client.",
        });
      default:
        throw new SignetError("USAGE", `conformance takes verify-bundle or sign-bundle, not ${JSON.stringify(action ?? "")}`);
    }
  },
};

async function verifyBundle(context: CommandContext, positionals: string[]): Promise<number> {
  if (positionals.length !== 1) throw new SignetError("USAGE", "verify-bundle takes exactly one FILE_OR_DIGEST");
  const keyPath = stringOption(context, "key");
  const identity = stringOption(context, "certificate-identity");
  const issuer = stringOption(context, "certificate-oidc-issuer");
  if (keyPath !== undefined && (identity !== undefined || issuer !== undefined)) {
    throw new SignetError("OPTION_CONFLICT", "give either --key or --certificate-identity with --certificate-oidc-issuer, not both");
  }
  if (keyPath === undefined && (identity === undefined || issuer === undefined)) {
    throw new SignetError("USAGE", "verify-bundle needs --key, or --certificate-identity and --certificate-oidc-issuer");
  }
  const bundleText = readFileBounded(requireString(context, "bundle"), "the bundle", BUNDLE_MAX_BYTES);
  const artifact = artifactFrom(positionals[0]!);
  const [{ verifySigstoreBundle }, trust, policy] = await Promise.all([
    import("../../signatures/bundle/verify-bundle.js"),
    trustMaterialFrom(context, { offlineByDefault: true, ignoreSigstoreEnv: true }),
    keyPath === undefined
      ? Promise.resolve({ kind: "identity" as const, subject: identity!, issuer: issuer! })
      : import("../../keys/key-files.js").then(async ({ loadPublicKey }) => ({ kind: "key" as const, publicKey: await loadPublicKey(keyPath) })),
  ]);
  let untrustedBundle: unknown;
  try {
    untrustedBundle = JSON.parse(bundleText.toString("utf8"));
  } catch (error) {
    throw new SignetError("BUNDLE_INVALID", `the bundle is not valid JSON: ${(error as Error).message}`);
  }
  const verified = verifySigstoreBundle(untrustedBundle, artifact, policy, trust);
  if (outputFormat(context) === "json") writeJson(context.io, toJson(verified));
  else context.io.stderr.write(`Verified OK: ${describeSigner(verified)}\n`);
  return 0;
}

function artifactFrom(argument: string): ArtifactInput {
  const digest = DIGEST_ARGUMENT.exec(argument);
  if (digest) return { digest: { algorithm: "sha256", hex: digest[1]! } };
  return { bytes: readFileBounded(argument, "the artifact", Number.MAX_SAFE_INTEGER) };
}

export function describeSigner(verified: VerifiedBundle): string {
  const { signer } = verified;
  const who = signer.subject !== undefined ? `${signer.subject} (issuer ${signer.issuer ?? "unknown"})` : `key sha256:${signer.publicKeyId}`;
  const when = verified.timestamps.map((t) => `${t.time.toISOString()} by ${t.authority}`).join(", ");
  return when === "" ? who : `${who}, signed at ${when}`;
}

/** The verified result as JSON: bytes as base64, times as RFC 3339. */
export function toJson(verified: VerifiedBundle): Record<string, unknown> {
  return {
    verified: true,
    mediaType: verified.mediaType,
    signer: verified.signer,
    timestamps: verified.timestamps.map((t) => ({ kind: t.kind, time: t.time.toISOString(), authority: t.authority })),
    tlogEntries: verified.tlogEntries.map((entry) => ({ ...entry, ...(entry.integratedTime === undefined ? {} : { integratedTime: entry.integratedTime.toISOString() }) })),
    contentKind: verified.contentKind,
    ...(verified.payloadType === undefined ? {} : { payloadType: verified.payloadType }),
    ...(verified.payload === undefined ? {} : { payload: Buffer.from(verified.payload).toString("base64") }),
    ...(verified.artifactDigest === undefined ? {} : { artifactDigest: verified.artifactDigest }),
  };
}
