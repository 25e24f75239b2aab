/**
 * Whether a verified keyless signer is one a ClusterImagePolicy authority accepts. The certificate is verified
 * cryptographically first (chain, SCT, Rekor) for any identity; its subject and issuer are then matched here
 * against the authority's identities (any one, each rule anchored: exact, or an RE2 regexp over the whole
 * value, compiled with the policy) and against the per-container annotations, which may only narrow: when
 * given, the subject and issuer must also equal them exactly.
 */
import type { IdentityPolicy } from "../../signatures/bundle/index.js";
import type { SignerProof } from "../../signatures/cosign/keyless.js";
import type { CompiledIdentity } from "../policy/types.js";

/** Verifies any signer the trust material vouches for; `matchSigner` then decides who is accepted. */
export const ANY_VERIFIED_IDENTITY: IdentityPolicy = { kind: "identity", insecureAnyIdentity: true };

export interface RequiredIdentity {
  readonly subject?: string;
  readonly issuer?: string;
}

export type SignerMatch = { readonly accepted: true; readonly subject: string; readonly issuer: string } | { readonly accepted: false; readonly reason: string };

export function matchSigner(signer: SignerProof, identities: readonly CompiledIdentity[], required: RequiredIdentity | undefined): SignerMatch {
  const { subject, issuer } = signer;
  if (subject === undefined) return { accepted: false, reason: "the certificate does not name exactly one signer identity" };
  if (issuer === undefined) return { accepted: false, reason: `the certificate of ${JSON.stringify(subject)} has no OIDC issuer` };
  const who = `${JSON.stringify(subject)} (issuer ${JSON.stringify(issuer)})`;
  if (!identities.some((identity) => identity.matchesIssuer(issuer) && identity.matchesSubject(subject))) {
    return { accepted: false, reason: `signed by ${who}, which matches none of the authority's identities: ${describeIdentities(identities)}` };
  }
  if (required?.subject !== undefined && required.subject !== subject) {
    return { accepted: false, reason: `signed by ${who}, not by the subject ${JSON.stringify(required.subject)} the container's annotation requires` };
  }
  if (required?.issuer !== undefined && required.issuer !== issuer) {
    return { accepted: false, reason: `signed by ${who}, not through the issuer ${JSON.stringify(required.issuer)} the container's annotation requires` };
  }
  return { accepted: true, subject, issuer };
}

export function describeIdentities(identities: readonly CompiledIdentity[]): string {
  return identities
    .map((identity) => {
      const subject = identity.subject !== undefined ? `subject ${JSON.stringify(identity.subject)}` : `subjectRegExp ${JSON.stringify(identity.subjectRegExp ?? "")}`;
      const issuer = identity.issuer !== undefined ? `issuer ${JSON.stringify(identity.issuer)}` : `issuerRegExp ${JSON.stringify(identity.issuerRegExp ?? "")}`;
      return `{${subject}, ${issuer}}`;
    })
    .join(", ");
}

/** "signed by "x" (issuer "y"), logged in Rekor at 2022-…" for a verdict. */
export function describeSigner(signer: SignerProof, subject: string, issuer: string): string {
  const logged = signer.integratedTime !== undefined ? `, logged in Rekor at ${signer.integratedTime.toISOString()}` : signer.tlog === "verified" ? ", logged in Rekor" : "";
  return `signed by ${JSON.stringify(subject)} (issuer ${JSON.stringify(issuer)})${logged}`;
}
