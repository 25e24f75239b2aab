/**
 * One authority of one policy, for one image digest. Each kind in its own function; every path that cannot
 * positively verify ends in `allowed: false` with the reason, and "could not evaluate" (registry down) is
 * marked `error` so it is reported apart from "evaluated and rejected".
 */
import { ERROR_CATALOG, toSignetError, type ErrorCode } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { identityOf, type ImageAccess } from "../../oci/image-access.js";
import { parseImageReference, repositoryName, type ImageReference } from "../../oci/reference/index.js";
import type { Repository } from "../../oci/repository.js";
import { createRecordDiscovery, explainNoSignature, verifyDigestSignatures, type RecordDiscovery } from "../../signatures/verifier/index.js";
import type { ContainerImage } from "../admission/types.js";
import type { CompiledAuthority } from "../policy/types.js";
import type { AuthorityVerdict, EvaluateImageDeps, KeylessVerificationResult } from "./types.js";

export const KEYLESS_UNAVAILABLE = "keyless verification is not available in this build";
export const ATTESTATIONS_UNAVAILABLE = "attestation verification is not available in this build";

/** What every authority of one image evaluation shares; signature lookups are made once per repository. */
export interface AuthorityContext {
  readonly image: ContainerImage;
  readonly reference: ImageReference;
  readonly digest: Digest;
  readonly deps: EvaluateImageDeps;
  readonly now: Date;
  readonly discovery: SignatureDiscovery;
}

export interface SignatureDiscovery {
  repositoryFor(authority: CompiledAuthority): Promise<Repository>;
  /** The record discovery of the image digest in this repository, shared by every authority of the evaluation. */
  recordsIn(repository: Repository): RecordDiscovery;
}

/** Lookups memoised for one image evaluation only: nothing is shared between images (security case B.19). */
export function createSignatureDiscovery(reference: ImageReference, digest: Digest, deps: EvaluateImageDeps): SignatureDiscovery {
  const found = new Map<string, RecordDiscovery>();
  return {
    repositoryFor(authority) {
      const access: ImageAccess = deps.signatureAccessFor?.(authority) ?? deps.access;
      const target = authority.signatureRepository === undefined ? reference : signatureRepositoryReference(authority.signatureRepository);
      return access.repositoryFor({ transport: "docker", reference: target });
    },
    recordsIn(repository) {
      let discovery = found.get(repository.displayName);
      if (discovery === undefined) {
        discovery = createRecordDiscovery(repository, digest, { identity: identityOf({ transport: "docker", reference }) });
        found.set(repository.displayName, discovery);
      }
      return discovery;
    },
  };
}

export async function evaluateAuthority(authority: CompiledAuthority, context: AuthorityContext): Promise<AuthorityVerdict> {
  try {
    switch (authority.type) {
      case "static":
        return evaluateStatic(authority);
      case "unavailable":
        return failed(authority, authority.reason, authority.code);
      case "kms":
        return unsupported(authority, `KMS keys (${authority.kms.slice(0, authority.kms.indexOf("://") + 3)}…) are not supported: signet cannot reach a KMS`);
      case "key":
        return await evaluateKey(authority, context);
      case "keyless":
        return await evaluateKeyless(authority, context);
      case "notation":
        return await evaluateNotation(authority, context);
    }
  } catch (error) {
    const cause = toSignetError(error);
    return failed(authority, cause.message, cause.code);
  }
}

function evaluateStatic(authority: Extract<CompiledAuthority, { type: "static" }>): AuthorityVerdict {
  if (authority.action === "pass") return { ...base(authority), allowed: true, reason: "static pass", signatures: [] };
  const reason = authority.message !== undefined && authority.message !== "" ? `static fail: ${authority.message}` : "static fail: the policy rejects every image it matches";
  return failed(authority, reason, "POLICY_DENIED", "The policy's authority is `static: {action: fail}`; use another image, or ask the cluster admin to change the policy.");
}

async function evaluateKey(authority: Extract<CompiledAuthority, { type: "key" }>, context: AuthorityContext): Promise<AuthorityVerdict> {
  const gap = unsupportedFeature(authority);
  if (gap !== undefined) return unsupported(authority, gap);
  if (authority.hashAlgorithm !== "sha256") {
    return unsupported(authority, `hashAlgorithm ${authority.hashAlgorithm} is not supported yet (only sha256)`);
  }
  const repository = await context.discovery.repositoryFor(authority);
  // The one image verifier, as `signet verify --key`: `.sig` signatures, then sigstore bundles among the referrers.
  const verification = await verifyDigestSignatures({
    discovery: context.discovery.recordsIn(repository),
    requirement: { kind: "key", publicKeys: authority.publicKeys },
    claims: { repository: repository.displayName },
    formats: authority.signatureFormat === "legacy" ? "legacy" : "auto",
  });
  const signatures = [
    ...verification.verified.map((signature) => ({ source: sourceIn(repository, signature), allowed: true, reason: `verified with the ${authority.keySource}` })),
    ...verification.rejected.map((rejection) => ({ source: sourceIn(repository, rejection), allowed: false, reason: rejection.reason })),
  ];
  if (verification.verified.length === 0) {
    const explanation = explainNoSignature(context.digest, verification, verification.searched);
    return { ...failed(authority, explanation.message, explanation.code, explanation.hint), signatures };
  }
  const count = verification.verified.length;
  const signed: AuthorityVerdict = { ...base(authority), allowed: true, reason: `${count} signature${count === 1 ? "" : "s"} verified with the ${authority.keySource}`, signatures };
  return withAttestations(authority, signed, repository, context);
}

async function evaluateKeyless(authority: Extract<CompiledAuthority, { type: "keyless" }>, context: AuthorityContext): Promise<AuthorityVerdict> {
  const gap = unsupportedFeature(authority);
  if (gap !== undefined) return unsupported(authority, gap);
  if (authority.trust.caCertKms !== undefined) return unsupported(authority, "a CA certificate held in a KMS is not supported");
  const verifyKeyless = context.deps.verifyKeyless;
  if (verifyKeyless === undefined) return unsupported(authority, KEYLESS_UNAVAILABLE);
  const repository = await context.discovery.repositoryFor(authority);
  const result = await verifyKeyless({
    image: context.image.image,
    digest: context.digest,
    signatureRepository: repository,
    identities: authority.identities,
    trust: authority.trust,
    authority,
    ...(context.image.identity === undefined ? {} : { requiredIdentity: context.image.identity }),
    now: context.now,
    discovery: context.discovery.recordsIn(repository),
  });
  const verdict = fromResult(authority, result);
  return verdict.allowed ? withAttestations(authority, verdict, repository, context) : verdict;
}

/**
 * signet's notation authority: the one image verifier with a notation requirement, the trust policy statement
 * chosen by the image's own repository (`registry/repository`, as notation scopes it), one verified signature enough.
 */
async function evaluateNotation(authority: Extract<CompiledAuthority, { type: "notation" }>, context: AuthorityContext): Promise<AuthorityVerdict> {
  const gap = unsupportedFeature(authority);
  if (gap !== undefined) return unsupported(authority, gap);
  const repository = await context.discovery.repositoryFor(authority);
  const verification = await verifyDigestSignatures({
    discovery: context.discovery.recordsIn(repository),
    requirement: {
      kind: "notation",
      policy: authority.trustPolicy,
      scope: repositoryName(context.reference),
      trustStores: authority.trustStores,
      now: context.now,
      ...(context.deps.notationRevocation === undefined ? {} : { checkRevocation: context.deps.notationRevocation }),
      ...(Object.keys(authority.userMetadata).length > 0 ? { userMetadata: authority.userMetadata } : {}),
    },
    claims: { repository: repository.displayName },
  });
  const signatures = [
    ...verification.verified.map((signature) => ({ source: sourceIn(repository, signature), allowed: true, reason: signature.signer.kind === "notation" ? `signed by "${signature.signer.subject}", accepted by trust policy statement "${signature.signer.statement}"` : "verified" })),
    ...verification.rejected.map((rejection) => ({ source: sourceIn(repository, rejection), allowed: false, reason: rejection.reason })),
  ];
  const accepted = verification.verified[0];
  if (accepted === undefined) {
    const explanation = explainNoSignature(context.digest, verification, verification.searched);
    return { ...failed(authority, explanation.message, explanation.code, explanation.hint), signatures };
  }
  const warnings = accepted.signer.kind === "notation" && accepted.signer.warnings.length > 0 ? ` (logged: ${accepted.signer.warnings.join("; ")})` : "";
  return { ...base(authority), allowed: true, reason: `${signatures[0]!.reason}${warnings}`, signatures };
}

/** An authority with attestations passes only when they verify too (never by their absence: A.4). */
async function withAttestations(authority: CompiledAuthority, signed: AuthorityVerdict, repository: Repository, context: AuthorityContext): Promise<AuthorityVerdict> {
  if (authority.attestations.length === 0) return signed;
  const verifyAttestations = context.deps.verifyAttestations;
  if (verifyAttestations === undefined) {
    const names = authority.attestations.map((attestation) => attestation.name).join(", ");
    return { ...unsupported(authority, `${ATTESTATIONS_UNAVAILABLE} (attestations required: ${names})`), signatures: signed.signatures };
  }
  const result = await verifyAttestations({ image: context.image.image, digest: context.digest, signatureRepository: repository, authority, attestations: authority.attestations, now: context.now });
  const attested = fromResult(authority, result);
  return { ...attested, signatures: [...signed.signatures, ...attested.signatures] };
}

/** Where a signature was found, for the verdict: `registry/app layer sha256:…` or `registry/app referrer sha256:…`. */
export function sourceIn(repository: Repository, signature: { readonly format: string; readonly source: string }): string {
  return `${repository.displayName} ${signature.format === "sigstore-bundle" || signature.format === "notation" ? "referrer" : "layer"} ${signature.source}`;
}

/** Authority features whose checks signet does not make yet: each fails the authority closed. */
function unsupportedFeature(authority: CompiledAuthority): string | undefined {
  if (authority.tagPrefix !== undefined) return "source.tagPrefix (tag-based signature discovery) is not supported";
  if (authority.signatureRepository !== undefined && !authority.signatureRepository.includes("/")) {
    return `source.oci ${JSON.stringify(authority.signatureRepository)} names a registry, not a repository`;
  }
  if (authority.signatureFormat !== undefined && authority.signatureFormat !== "" && authority.signatureFormat !== "legacy") {
    return `signatureFormat ${JSON.stringify(authority.signatureFormat)} is not supported (only "legacy", cosign's .sig signatures)`;
  }
  if (authority.type === "key" && authority.ctlog !== undefined) return "transparency log checks (ctlog) are not available in this build";
  if (authority.type === "key" && authority.rfc3161timestamp !== undefined) return "RFC 3161 timestamp checks are not available in this build";
  return undefined;
}

function signatureRepositoryReference(text: string): ImageReference {
  // parseImageReference adds a tag; only the repository is used.
  return parseImageReference(text);
}

function fromResult(authority: CompiledAuthority, result: KeylessVerificationResult): AuthorityVerdict {
  if (result.verified) return { ...base(authority), allowed: true, reason: result.reason, signatures: result.signatures };
  return { ...failed(authority, result.reason, result.code ?? "SIG_INVALID"), signatures: result.signatures };
}

function unsupported(authority: CompiledAuthority, reason: string): AuthorityVerdict {
  return failed(authority, reason, "POLICY_UNSUPPORTED");
}

function failed(authority: CompiledAuthority, reason: string, code: ErrorCode, hint?: string): AuthorityVerdict {
  const category = ERROR_CATALOG[code].category;
  const error = category === "unavailable" || category === "internal";
  return { ...base(authority), allowed: false, reason, code, hint: hint ?? ERROR_CATALOG[code].hint, ...(error ? { error: true } : {}), signatures: [] };
}

function base(authority: CompiledAuthority): Pick<AuthorityVerdict, "name" | "type"> {
  return { name: authority.name, type: authority.type };
}

