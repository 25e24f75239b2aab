/**
 * A containers-policy.json evaluated for an admission: the same engine as `signet policy verify`, with the
 * image's digest pinned to the one this evaluation resolved (so the policy verifies exactly what is decided and
 * patched) and cosign attachments read through the webhook's ImageAccess.
 */
import type { Digest } from "../../internal/digest.js";
import { identityOf, type ImageAccess } from "../../oci/image-access.js";
import { withDigest, type ImageReference } from "../../oci/reference/index.js";
import { discoverCosignSignatures } from "../../signatures/cosign/discover.js";
import { SignetError } from "../../errors/index.js";
import { evaluatePolicy, type CompiledPolicy, type PolicyDecision, type PolicyFetchers } from "../../policy/index.js";
import type { AuthorityVerdict, PolicyVerdict } from "./types.js";

export const POLICY_JSON_NAME = "policy.json";

export async function evaluatePolicyJson(
  reference: ImageReference,
  digest: Digest,
  policy: CompiledPolicy,
  options: { access: ImageAccess; fetchers?: PolicyFetchers; now: Date },
): Promise<{ verdict: PolicyVerdict; decision: PolicyDecision }> {
  const fetchers: PolicyFetchers = { ...(options.fetchers ?? defaultFetchers(options.access)), resolveManifestDigest: () => Promise.resolve(digest) };
  // containers/image names an image by tag or by digest, not both: with both, the digest is what counts.
  const named = reference.tag !== undefined && reference.digest !== undefined ? withDigest(reference, reference.digest) : reference;
  const decision = await evaluatePolicy({ transport: "docker", reference: named }, policy, { fetchers, now: options.now });
  const authorities: AuthorityVerdict[] = decision.requirements.map((requirement) => ({
    name: `requirement ${requirement.index + 1} (${requirement.type})`,
    type: "policy.json",
    allowed: requirement.allowed,
    reason: requirement.reason,
    ...(requirement.hint === undefined ? {} : { hint: requirement.hint }),
    ...(requirement.code === undefined ? {} : { code: requirement.code }),
    signatures: requirement.signatures.map((signature) => ({ source: signature.source, allowed: signature.allowed, reason: signature.reason })),
  }));
  const verdict: PolicyVerdict = {
    name: POLICY_JSON_NAME,
    mode: "enforce",
    allowed: decision.allowed,
    reason: decision.reason,
    authorities,
    ...(decision.outcome === "error" ? { error: true } : {}),
  };
  return { verdict, decision };
}

/** Cosign attachments through the webhook's access; no lookaside store and no key files are read. */
function defaultFetchers(access: ImageAccess): PolicyFetchers {
  return {
    resolveManifestDigest: () => Promise.reject(new SignetError("INTERNAL", "the digest is pinned by the webhook")),
    gpgSignatures: () => Promise.resolve({ signatures: [], searched: ["(the webhook reads no lookaside store for simple-signing signatures)"] }),
    async cosignSignatures(image, digest) {
      const repository = await access.repositoryFor(image);
      const discovered = await discoverCosignSignatures(repository, digest, { identity: identityOf(image) });
      const where = `${repository.displayName}:${discovered.tag}`;
      return { signatures: discovered.signatures.map((signature) => ({ source: `${where} layer ${signature.layerDigest}`, signature })), searched: [where] };
    },
    readKey: (location) => Promise.reject(new SignetError("POLICY_KEY_UNREADABLE", `${location}: the webhook reads keys only when the policy is compiled`)),
  };
}
