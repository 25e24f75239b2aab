/**
 * A containers-policy.json evaluated for an admission: the same engine and the same fetchers as `signet policy
 * verify --use-sigstore-attachments [--registries-d DIR] --platform P`, with the image's digest pinned to the one
 * this evaluation resolved (so the policy verifies exactly what is decided and patched): for a multi-arch index,
 * the instance a node of the platform pulls, as containers/image checks it.
 */
import type { Digest } from "../../internal/digest.js";
import type { ImageAccess } from "../../oci/image-access.js";
import { withDigest, type ImageReference } from "../../oci/reference/index.js";
import { SignetError } from "../../errors/index.js";
import { pulledInstance, type PlatformSpec } from "../../oci/manifest/platform.js";
import { createPolicyFetchers, evaluatePolicy, type CompiledPolicy, type PolicyDecision, type PolicyFetchers } from "../../policy/index.js";
import { emptyRegistriesDConfig, type RegistriesDConfig } from "../../signatures/registries-d/index.js";
import type { AuthorityVerdict, PolicyVerdict } from "./types.js";

export const POLICY_JSON_NAME = "policy.json";

export async function evaluatePolicyJson(
  reference: ImageReference,
  digest: Digest,
  policy: CompiledPolicy,
  options: { access: ImageAccess; fetchers?: PolicyFetchers; now: Date; platform?: PlatformSpec; registriesD?: RegistriesDConfig },
): Promise<{ verdict: PolicyVerdict; decision: PolicyDecision }> {
  const platform = options.platform ?? DEFAULT_PLATFORM;
  const base = options.fetchers ?? defaultFetchers(options.access, options.registriesD ?? emptyRegistriesDConfig(), platform);
  const fetchers: PolicyFetchers = {
    ...base,
    async resolveManifestDigest(image) {
      return (await pulledInstance(await options.access.repositoryFor(image), digest, platform)).digest;
    },
  };
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

/** The platform of the nodes when none is configured. */
export const DEFAULT_PLATFORM: PlatformSpec = { os: "linux", architecture: "amd64" };

/**
 * `signet policy verify`'s fetchers: cosign attachments of every image (as --use-sigstore-attachments; the webhook
 * has no registries.d gate for them), lookaside stores as registries.d says; keys are read only at compile time.
 */
function defaultFetchers(access: ImageAccess, registriesD: RegistriesDConfig, platform: PlatformSpec): PolicyFetchers {
  return createPolicyFetchers({
    access,
    registriesD,
    alwaysReadSigstoreAttachments: true,
    platform,
    readKey: (location) => Promise.reject(new SignetError("POLICY_KEY_UNREADABLE", `${location}: the webhook reads keys only when the policy is compiled`)),
  });
}
