/**
 * A keyless authority's identities as the one keyless identity requirement (signatures/cosign/keyless.ts, matched
 * by signatures/bundle/identity-match.ts): any one of the authority's identities, and, when a container's
 * annotations name a subject or issuer, that too (annotations may only narrow).
 */
import type { IdentityPolicy } from "../../signatures/bundle/index.js";
import type { SignerProof, SignerRequirement } from "../../signatures/cosign/keyless.js";
import type { TrustMaterial } from "../../trust/index.js";
import type { CompiledIdentity } from "../policy/types.js";

export interface RequiredIdentity {
  readonly subject?: string;
  readonly issuer?: string;
}

/** The requirement a keyless authority sets: a Rekor entry is always required (policy-controller's default). */
export function keylessRequirement(identities: readonly CompiledIdentity[], trust: TrustMaterial, required: RequiredIdentity | undefined): SignerRequirement {
  const narrowing = narrowingOf(required);
  return { kind: "identity", identity: identities.map((identity) => identity.policy), trust, requireTlog: true, ...(narrowing === undefined ? {} : { alsoRequired: narrowing }) };
}

function narrowingOf(required: RequiredIdentity | undefined): IdentityPolicy | undefined {
  if (required === undefined || (required.subject === undefined && required.issuer === undefined)) return undefined;
  return {
    kind: "identity",
    ...(required.subject === undefined ? { subjectRegExp: ".*" } : { subject: required.subject }),
    ...(required.issuer === undefined ? { issuerRegExp: ".*" } : { issuer: required.issuer }),
  };
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
export function describeSigner(signer: SignerProof): string {
  const logged = signer.integratedTime !== undefined ? `, logged in Rekor at ${signer.integratedTime.toISOString()}` : signer.tlog === "verified" ? ", logged in Rekor" : "";
  if (signer.kind === "key") return `signed with the authority's key${logged}`;
  return `signed by ${JSON.stringify(signer.subject ?? "")} (issuer ${JSON.stringify(signer.issuer ?? "")})${logged}`;
}
