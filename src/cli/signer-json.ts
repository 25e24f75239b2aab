import type { SignerProof } from "../signatures/cosign/keyless.js";
import type { VerifiedSigner } from "../signatures/verifier/index.js";

/** How a verified signer is printed with --output json, for signatures and attestations alike. */
export function signerToJson(signer: SignerProof | VerifiedSigner): Record<string, unknown> {
  if (signer.kind === "gpg") return { kind: "gpg", fingerprint: signer.fingerprint, signingKeyFingerprint: signer.signingKeyFingerprint, transparencyLog: signer.tlog };
  if (signer.kind === "notation") {
    return {
      kind: "notation",
      subject: signer.subject,
      statement: signer.statement,
      ...(signer.signingTime !== undefined ? { signingTime: signer.signingTime.toISOString() } : {}),
      userMetadata: signer.userMetadata,
      outcomes: signer.outcomes,
      warnings: signer.warnings,
      transparencyLog: signer.tlog,
    };
  }
  return {
    kind: signer.kind,
    ...(signer.subject !== undefined ? { subject: signer.subject } : {}),
    ...(signer.issuer !== undefined ? { issuer: signer.issuer } : {}),
    transparencyLog: signer.tlog,
    ...(signer.logIndex !== undefined ? { logIndex: signer.logIndex } : {}),
    ...(signer.integratedTime !== undefined ? { integratedTime: signer.integratedTime.toISOString() } : {}),
  };
}
