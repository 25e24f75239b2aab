import { SignetError, toSignetError, type ErrorCode } from "../../errors/index.js";
import { parseDigest, type Digest } from "../../internal/digest.js";
import { identityOf, type ImageAccess } from "../../oci/image-access.js";
import { formatImageReference, parseImageReference, type ImageReference } from "../../oci/reference/index.js";
import type { ContainerImage } from "../admission/types.js";
import { toCachedVerdict, type CachedVerdict } from "../cache/cached-verdict.js";
import { LruCache } from "../../internal/lru-cache.js";
import { createSingleFlight, type SingleFlight } from "../cache/single-flight.js";
import type { VerdictCache, VerdictKeyParts } from "../cache/verdict-cache.js";
import { pinnedImageText } from "../evaluate/pin.js";
import type { EvaluateImageDeps, ImageVerdict } from "../evaluate/types.js";
import { findMatchingPolicies } from "../policy/match.js";
import type { CompiledPolicySet, ResourceContext } from "../policy/types.js";
import { formatImageWarning, imageWarningPrefix } from "./image-warnings.js";
import type { VerificationLimiter } from "./verification-limiter.js";
import { evaluationInputs, imagePolicyVersion, type PolicyState } from "./policy-state.js";
import { formatPlatformSpec } from "../../oci/manifest/platform.js";

export type EvaluateImage = (image: ContainerImage, policies: CompiledPolicySet, deps: EvaluateImageDeps) => Promise<ImageVerdict>;

/** Where a decision came from, for metrics and logs. */
export type VerdictSource = "cache-memory" | "cache-redis" | "shared" | "evaluated" | "error";

export interface CheckedImage {
  readonly verdict: ImageVerdict;
  readonly source: VerdictSource;
}

export interface ImageCheckerOptions {
  readonly evaluate: EvaluateImage;
  readonly access: ImageAccess;
  readonly cache: VerdictCache<CachedVerdict>;
  readonly ttl: { readonly verdictMs: number; readonly negativeMs: number; readonly tagMs: number };
  /** How long one evaluation may run, whoever waits for it (the deadline). */
  readonly evaluationTimeoutMs: number;
  /** Aborts every running evaluation (shutdown). */
  readonly stopSignal: AbortSignal;
  /** Verifiers and policy.json fetchers passed through to every evaluation. */
  readonly evaluationDeps?: Pick<EvaluateImageDeps, "verifyKeyless" | "verifyAttestations" | "notationRevocation" | "policyJsonFetchers" | "signatureAccessFor" | "multiArch" | "platform" | "policyJsonRegistriesD">;
  readonly onSharedEvaluation?: () => void;
  readonly onCacheWriteSkipped?: (reason: string) => void;
  /** Bounds the verifications (tag resolutions and evaluations) running at once; absent: unbounded. */
  readonly limiter?: VerificationLimiter;
  /**
   * What "could not evaluate" (registry down, timeout, trust root missing) does to an image that only warn-mode
   * policies govern, whether it happens while pinning a tag or during the evaluation: "deny" (fail closed, the
   * default) or "warn" (admitted with a warning, as warn mode treats rejections).
   */
  readonly warnModeUnavailable?: "deny" | "warn";
}

export interface CheckOptions {
  /**
   * The request comes through /validate, which cannot patch: a tag would be pulled by the node later and could
   * name other content than what was verified. A governed image without a digest is then denied (or warned,
   * under warn-mode policies) instead of verified.
   */
  readonly requireDigest?: boolean;
}

export interface ImageChecker {
  /**
   * Decides one image of one container. Never throws: a failure is a denying verdict with the reason.
   * `requestAccess` gives the registry access with the pod's pull secrets (default: the checker's own).
   */
  check(image: ContainerImage, state: PolicyState, resource: ResourceContext | undefined, requestAccess?: () => Promise<ImageAccess>, checkOptions?: CheckOptions): Promise<CheckedImage>;
}

/**
 * Decides images with the cache in front of the evaluation:
 * 1. the reference is pinned to a digest: the one written, else a tag pin from the cache, else one
 *    registry request (shared by concurrent callers), cached for a short time;
 * 2. the verdict for (repository, digest, version of the matching policies, per-container inputs) is read
 *    from the cache; a hit is re-bound to this container;
 * 3. else one evaluation runs for all concurrent callers with the same key, with the digest pinned, so what
 *    is verified and what the patch names is the digest resolved in step 1 (never a second resolution).
 * Errors (registry, Redis, timeouts) are never cached as passes and never become allows.
 */
export function createImageChecker(options: ImageCheckerOptions): ImageChecker {
  const evaluations: SingleFlight<ImageVerdict> = createSingleFlight();
  const resolutions: SingleFlight<Digest> = createSingleFlight();
  const multiArchInputs: Record<string, string> = {
    ...(options.evaluationDeps?.multiArch !== undefined ? { "multi-arch": options.evaluationDeps.multiArch } : {}),
    ...(options.evaluationDeps?.platform !== undefined ? { platform: formatPlatformSpec(options.evaluationDeps.platform) } : {}),
  };
  // Which policies match an image only changes with the policies: remembered per (policy state, image text),
  // which takes glob matching and hashing off the path of cached decisions.
  const policyVersions = new LruCache<{ version: string; resourceDependent: boolean; governed: boolean }>({ maxEntries: 10_000 });
  const policyVersionOf = (state: PolicyState, image: ContainerImage) => {
    const key = `${state.version}\u0000${image.image}`;
    let found = policyVersions.get(key);
    if (found === undefined) {
      found = { ...imagePolicyVersion(state, image.image), governed: isGoverned(state, image) };
      policyVersions.set(key, found, 3_600_000);
    }
    return found;
  };

  const pin = async (reference: ImageReference, access: ImageAccess): Promise<Digest> => {
    if (reference.digest !== undefined) return reference.digest;
    const text = formatImageReference(reference);
    const cached = await options.cache.getPinnedDigest(text);
    if (cached !== undefined) return parseDigest(cached.digest);
    const { promise } = resolutions.run(text, async () => {
      const resolved = await limited(() => access.resolve({ transport: "docker", reference }));
      // Not awaited: the answer does not wait for Redis (stores never throw; the memory store writes at once).
      void options.cache.putPinnedDigest(text, resolved.digest, options.ttl.tagMs);
      return resolved.digest;
    });
    return promise;
  };

  const evaluate = (image: ContainerImage, state: PolicyState, resource: ResourceContext | undefined, digest: Digest, parts: VerdictKeyParts, key: string, access: ImageAccess) => {
    const { promise, shared } = evaluations.run(key, async () => {
      const verdict = await limited(() => withEvaluationSignal((signal) => options.evaluate(image, state.clusterImagePolicies, { ...baseDeps(state, resource, signal, access), pinnedDigest: digest })));
      const checked = checkPinned(verdict, digest);
      const cacheable = checked.cacheable && checked.digest === digest && checked.error !== true ? toContainerFreeVerdict(checked, digest) : undefined;
      if (cacheable !== undefined) {
        void options.cache.putVerdict(parts, cacheable, checked.allowed && checked.warnings.length === 0 ? options.ttl.verdictMs : options.ttl.negativeMs);
      } else {
        options.onCacheWriteSkipped?.(checked.error === true ? "error" : "not cacheable");
      }
      return checked;
    });
    if (shared) options.onSharedEvaluation?.();
    return promise.then((verdict) => ({ verdict, shared }));
  };

  return {
    async check(image, state, resource, requestAccess, checkOptions = {}) {
      let reference: ImageReference;
      try {
        // Pod images are registry references only: never `oci:` paths or other transports.
        reference = parseImageReference(image.image);
      } catch (error) {
        return { verdict: errorVerdict(image, toSignetError(error), "the image reference is invalid"), source: "error" };
      }
      const { version, resourceDependent, governed } = policyVersionOf(state, image);
      if (!governed) {
        // No policy matches: the no-match action decides, with no registry request and nothing worth caching
        // (an image nobody governs must not be denied because its registry is down).
        try {
          return { verdict: await options.evaluate(image, state.clusterImagePolicies, baseDeps(state, resource, options.stopSignal)), source: "evaluated" };
        } catch (error) {
          return { verdict: errorVerdict(image, toSignetError(error), `${image.image} could not be evaluated`), source: "error" };
        }
      }
      if (checkOptions.requireDigest === true && reference.digest === undefined) {
        const error = new SignetError(
          "ADMISSION_TAG_UNPINNED",
          `${image.image} is named by tag, and /validate cannot pin a tag to the digest it would verify: the node could pull other content later`,
        );
        return { verdict: errorVerdict(image, error, `${image.image} cannot be pinned`, undefined, warnOnly(state, image, resource)), source: "error" };
      }
      // The pod's registry credentials are read only when the registry is needed; failing to read them is
      // "could not evaluate" (fail closed).
      let access: ImageAccess | undefined = requestAccess === undefined ? options.access : undefined;
      const accessNow = async (): Promise<ImageAccess> => (access ??= await requestAccess!());
      let digest: Digest;
      try {
        digest = reference.digest ?? (await pin(reference, await accessNow()));
      } catch (error) {
        const cause = toSignetError(error);
        return { verdict: errorVerdict(image, cause, `cannot resolve ${formatImageReference(reference)} to a digest`, undefined, warnOnly(state, image, resource) && admitsUnavailable(cause)), source: "error" };
      }
      const parts: VerdictKeyParts = {
        repository: identityOf({ transport: "docker", reference }),
        digest,
        policyVersion: version,
        inputs: {
          ...evaluationInputs(image, resource, resourceDependent),
          // What a multi-arch image is checked as decides the verdict: replicas configured otherwise never share one.
          ...multiArchInputs,
          // policy.json decides by the name as written (tag or digest scope, signedIdentity): one verdict per form.
          ...(state.policyJson !== undefined ? { "policy.json name": reference.digest !== undefined || reference.tag === undefined ? "@digest" : `:${reference.tag}` } : {}),
        },
      };
      const hit = await options.cache.getVerdict(parts);
      if (hit !== undefined && hit.verdict.digest === digest) {
        return { verdict: bindToContainer(hit.verdict, image, digest), source: hit.source === "redis" ? "cache-redis" : "cache-memory" };
      }
      try {
        const { verdict, shared } = await evaluate(image, state, resource, digest, parts, cacheKeyOf(parts), await accessNow());
        // A shared evaluation was made for another container with the same key: take its outcome, not its position.
        return { verdict: unavailableRule(shared ? rebind(verdict, image, digest) : verdict), source: shared ? "shared" : "evaluated" };
      } catch (error) {
        return { verdict: errorVerdict(image, toSignetError(error), `${image.image} could not be verified`, digest), source: "error" };
      }
    },
  };

  /** Runs registry work under the global bound; a verification that cannot start before the deadline gives up. */
  function limited<T>(work: () => Promise<T>): Promise<T> {
    return options.limiter === undefined ? work() : options.limiter.run(work, options.evaluationTimeoutMs);
  }

  /** Whether "could not evaluate" may admit a warn-only image (with a warning): only when configured so. */
  function admitsUnavailable(cause: SignetError): boolean {
    return cause.category === "rejected" || options.warnModeUnavailable === "warn";
  }

  /**
   * The one rule for "could not evaluate" under warn-mode policies (issue #9 item 10): the evaluation admits such
   * an image with a warning; unless configured to, the checker denies it, as it does when the tag cannot be
   * resolved. Rejections in warn mode stay warnings.
   */
  function unavailableRule(verdict: ImageVerdict): ImageVerdict {
    if (options.warnModeUnavailable === "warn" || !verdict.allowed) return verdict;
    // Only warn-mode policies can be allowed while failing: an enforced one that fails denies on its own.
    const failed = verdict.policies.filter((policy) => !policy.allowed && policy.error === true);
    if (verdict.error !== true && failed.length === 0) return verdict;
    const first = failed[0];
    const reason = first === undefined ? verdict.reason : `policy ${JSON.stringify(first.name)} (warn mode) could not be evaluated: ${first.reason}`;
    const code = verdict.code ?? first?.authorities.find((authority) => authority.error === true)?.code ?? "TIMEOUT";
    const hint = `${verdict.hint ?? first?.authorities.find((authority) => authority.code === code)?.hint ?? ""} Warn mode warns about rejections; an image that could not be evaluated is denied (set warnModeUnavailable: warn to admit it with a warning).`.trim();
    return failClosed(verdict, code, `${reason} (denied: a warn-mode policy that cannot be evaluated fails closed)`, hint);
  }

  function baseDeps(state: PolicyState, resource: ResourceContext | undefined, signal: AbortSignal, access: ImageAccess = options.access): EvaluateImageDeps {
    return {
      ...options.evaluationDeps,
      access,
      noMatchAction: state.noMatchAction,
      ...(state.policyJson !== undefined ? { policyJson: state.policyJson.policy } : {}),
      ...(resource !== undefined ? { resource } : {}),
      signal,
    };
  }

  /**
   * Runs an evaluation with a signal that fires at its time limit or at shutdown, and releases the timer and
   * the listener as soon as it ends (AbortSignal.timeout would keep one timer per evaluation alive).
   */
  async function withEvaluationSignal<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const abort = () => controller.abort(new SignetError("TIMEOUT", "the evaluation reached its time limit or the webhook is stopping"));
    const timer = setTimeout(abort, options.evaluationTimeoutMs);
    options.stopSignal.addEventListener("abort", abort, { once: true });
    try {
      return await run(controller.signal);
    } finally {
      clearTimeout(timer);
      options.stopSignal.removeEventListener("abort", abort);
    }
  }
}

/** True when some policy (or the policy.json) decides this image; otherwise the no-match action does. */
function isGoverned(state: PolicyState, image: ContainerImage): boolean {
  return state.policyJson !== undefined || findMatchingPolicies(state.clusterImagePolicies, image.image).length > 0;
}

/** Failures of warn-only images are warnings, as the evaluation itself treats them. */
function warnOnly(state: PolicyState, image: ContainerImage, resource: ResourceContext | undefined): boolean {
  if (state.policyJson !== undefined) return false;
  const matching = findMatchingPolicies(state.clusterImagePolicies, image.image, resource);
  return matching.length > 0 && matching.every((policy) => policy.mode === "warn");
}

function cacheKeyOf(parts: VerdictKeyParts): string {
  return JSON.stringify([parts.repository, parts.digest, parts.policyVersion, Object.entries(parts.inputs).sort()]);
}

/** The evaluation must decide the digest it was given; anything else is a bug and fails closed. */
function checkPinned(verdict: ImageVerdict, digest: Digest): ImageVerdict {
  if (verdict.digest === digest || (verdict.digest === undefined && !verdict.allowed)) return verdict;
  return failClosed(verdict, "INTERNAL", `the evaluation decided ${verdict.digest ?? "no digest"} instead of the pinned ${digest}`);
}

/** The verdict turned into a denial marked "could not evaluate": never cached, no warnings. */
function failClosed(verdict: ImageVerdict, code: ErrorCode, reason: string, hint?: string): ImageVerdict {
  return { ...verdict, allowed: false, mode: "enforce", error: true, cacheable: false, code, reason, ...(hint !== undefined ? { hint } : {}), warnings: [] };
}

function rebind(verdict: ImageVerdict, image: ContainerImage, digest: Digest): ImageVerdict {
  const cached = toContainerFreeVerdict(verdict, digest);
  // Warnings that cannot be re-addressed: the shared verdict is taken whole, minus the wrong container's words.
  if (cached === undefined) return { ...verdict, image: image.image, field: image.field, containerName: image.containerName, kind: image.kind, pinnedImage: pinnedImageText(image.image, digest), warnings: [] };
  return { ...bindToContainer(cached, image, digest), cacheable: verdict.cacheable };
}

/**
 * The verdict without what belongs to the container it was made for. Warnings name their container
 * (`signet: init container "setup" IMAGE: …`); they are stored without that prefix and re-addressed when
 * bound. Undefined when a warning does not have the expected prefix: such a verdict is not cached.
 */
function toContainerFreeVerdict(verdict: ImageVerdict, digest: Digest): CachedVerdict | undefined {
  const prefix = imageWarningPrefix(verdict);
  if (!verdict.warnings.every((warning) => warning.startsWith(prefix))) return undefined;
  return toCachedVerdict({ ...verdict, digest, warnings: verdict.warnings.map((warning) => warning.slice(prefix.length)) });
}

/** A cached verdict for this container: its field, its name, its spelling of the image, pinned to the digest. */
function bindToContainer(cached: CachedVerdict, image: ContainerImage, digest: Digest): ImageVerdict {
  return {
    ...cached,
    image: image.image,
    field: image.field,
    containerName: image.containerName,
    kind: image.kind,
    digest,
    pinnedImage: pinnedImageText(image.image, digest),
    warnings: cached.warnings.map((text) => formatImageWarning(image, text)),
    cacheable: true,
  };
}

/**
 * A verdict for an image that could not be evaluated: denied, never cached. Only when every policy that
 * matches it is in warn mode is it admitted with a warning, as the evaluation does for its own failures.
 */
export function errorVerdict(image: ContainerImage, error: SignetError, what: string, digest?: Digest, warnOnly = false): ImageVerdict {
  const reason = `${what}: ${error.message}`;
  return {
    image: image.image,
    field: image.field,
    containerName: image.containerName,
    kind: image.kind,
    ...(digest !== undefined ? { digest } : {}),
    allowed: warnOnly,
    mode: warnOnly ? "warn" : "enforce",
    policies: [],
    reason,
    hint: error.hint,
    code: error.code,
    error: error.category !== "rejected",
    warnings: warnOnly ? [formatImageWarning(image, reason)] : [],
    cacheable: false,
    checkedAt: Date.now(),
  };
}

