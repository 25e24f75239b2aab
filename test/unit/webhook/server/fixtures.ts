import type { Digest } from "../../../../src/internal/digest.js";
import type { ImageAccess, ResolvedImage } from "../../../../src/oci/image-access.js";
import type { ContainerImage } from "../../../../src/webhook/admission/types.js";
import type { EvaluateImageDeps, ImageVerdict } from "../../../../src/webhook/evaluate/types.js";
import { pinnedImageText } from "../../../../src/webhook/evaluate/pin.js";
import { compileImageGlob } from "../../../../src/webhook/policy/glob.js";
import { formatImageWarning } from "../../../../src/webhook/server/image-warnings.js";
import type { CompiledImagePolicy, CompiledMatchResource, CompiledPolicySet } from "../../../../src/webhook/policy/types.js";
import { createPolicyState, type PolicyState } from "../../../../src/webhook/server/policy-state.js";

export const digestOf = (letter: string) => `sha256:${letter.repeat(64)}` as Digest;

export interface PolicySpec {
  name: string;
  globs: string[];
  version?: string;
  mode?: "enforce" | "warn";
  match?: CompiledMatchResource[];
}

/** A compiled policy set with only what the server reads (names, globs, versions). */
export function policySet(specs: PolicySpec[]): CompiledPolicySet {
  const policies: CompiledImagePolicy[] = specs.map((spec) => ({
    name: spec.name,
    mode: spec.mode ?? "enforce",
    images: spec.globs.map((glob) => compileImageGlob(glob)),
    authorities: [],
    match: spec.match ?? [],
    source: { document: 0 },
    version: spec.version ?? `${spec.name}-v1`,
  }));
  return { version: policies.map((p) => p.version).join("+"), policies, problems: [] };
}

export function policyState(specs: PolicySpec[], noMatchAction: "deny" | "allow" | "warn" = "deny"): PolicyState {
  return createPolicyState({ clusterImagePolicies: policySet(specs), policyJson: undefined, noMatchAction, trustVersion: "none" });
}

export function containerImage(image: string, overrides: Partial<ContainerImage> = {}): ContainerImage {
  return { field: "/spec/containers/0/image", containerName: "app", kind: "container", image, ...overrides };
}

export interface FakeEvaluation {
  image: ContainerImage;
  deps: EvaluateImageDeps;
}

/**
 * A stand-in for evaluateImage: allows the digests in `signed`, denies the rest; records every call. The
 * verdict names the digest it was given (deps.pinnedDigest), as the real evaluation does.
 */
export function fakeEvaluator(options: { signed: Set<string>; delayMs?: number; cacheable?: boolean; throwFor?: Set<string>; warnFor?: Set<string> }) {
  const calls: FakeEvaluation[] = [];
  const evaluate = async (image: ContainerImage, _policies: CompiledPolicySet, deps: EvaluateImageDeps): Promise<ImageVerdict> => {
    calls.push({ image, deps });
    if (options.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const digest = deps.pinnedDigest;
    if (digest !== undefined && options.throwFor?.has(digest)) throw new Error("evaluation exploded");
    if (digest !== undefined && options.warnFor?.has(digest)) {
      return {
        image: image.image,
        field: image.field,
        containerName: image.containerName,
        kind: image.kind,
        digest,
        pinnedImage: pinnedImageText(image.image, digest),
        allowed: true,
        mode: "warn",
        policies: [{ name: "audit", mode: "warn", allowed: false, reason: "no signature", authorities: [] }],
        reason: "allowed in warn mode",
        warnings: [formatImageWarning(image, 'policy "audit" (warn mode) would reject it: no signature')],
        cacheable: true,
        checkedAt: Date.now(),
      };
    }
    const allowed = digest !== undefined && options.signed.has(digest);
    return {
      image: image.image,
      field: image.field,
      containerName: image.containerName,
      kind: image.kind,
      ...(digest !== undefined ? { digest, pinnedImage: pinnedImageText(image.image, digest) } : {}),
      allowed,
      mode: "enforce",
      policies: [{ name: "signed-images", mode: "enforce", allowed, reason: allowed ? "verified" : "no signature", authorities: [] }],
      reason: allowed ? "every matching policy passed" : "no valid signature",
      ...(allowed ? {} : { code: "SIG_MISSING" as const, hint: "sign it" }),
      warnings: [],
      cacheable: options.cacheable ?? true,
      checkedAt: Date.now(),
    };
  };
  return { evaluate, calls };
}

/** An ImageAccess that resolves tags from a table and counts resolutions (nothing else is used). */
export function fakeAccess(tags: Record<string, Digest>) {
  const resolved: string[] = [];
  const access = {
    async resolve(location: { transport: "docker"; reference: { registry: string; repository: string; tag?: string } }): Promise<ResolvedImage> {
      const key = `${location.reference.registry}/${location.reference.repository}:${location.reference.tag}`;
      resolved.push(key);
      const digest = tags[key];
      if (digest === undefined) {
        const { SignetError } = await import("../../../../src/errors/index.js");
        throw new SignetError("REGISTRY_NOT_FOUND", `${key} does not exist`);
      }
      return { digest } as ResolvedImage;
    },
    requestCount: () => resolved.length,
    async close() {},
  };
  return { access: access as unknown as ImageAccess, resolved };
}
