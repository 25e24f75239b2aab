/**
 * evaluateImage: may this container's image run? The image is pinned to one digest (once), every matching
 * ClusterImagePolicy must pass (each passes when any of its authorities does), and an image no policy matches
 * follows the no-match action (deny by default). Never throws: a failure to evaluate is a denying verdict
 * marked `error`, and warn-mode policies turn failures into warnings instead.
 */
import { ERROR_CATALOG, SignetError, mostTelling, toSignetError, type ErrorCode } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { parseImageReference, type ImageReference } from "../../oci/reference/index.js";
import type { ContainerImage } from "../admission/types.js";
import { findMatchingPolicies } from "../policy/match.js";
import type { CompiledImagePolicy, CompiledPolicySet } from "../policy/types.js";
import { matchSignersToIdentities } from "../../signatures/verifier/index.js";
import { createSignatureDiscovery, evaluateAuthority, type AuthorityContext } from "./authorities.js";
import { pinnedImageText, resolveImageDigest } from "./pin.js";
import { DEFAULT_PLATFORM, evaluatePolicyJson } from "./policy-json.js";
import { pulledInstance } from "../../oci/manifest/platform.js";
import type { AuthorityVerdict, EvaluateImageDeps, ImageVerdict, PolicyVerdict } from "./types.js";

export async function evaluateImage(image: ContainerImage, policies: CompiledPolicySet, deps: EvaluateImageDeps): Promise<ImageVerdict> {
  const verdict = await abortable(evaluate(image, policies, deps), deps.signal).catch((error: unknown) => errorVerdict(image, toSignetError(error), deps, policies, undefined));
  return { ...verdict, checkedAt: Date.now() };
}

async function evaluate(image: ContainerImage, policies: CompiledPolicySet, deps: EvaluateImageDeps): Promise<ImageVerdict> {
  const now = deps.now ?? new Date();
  let reference: ImageReference;
  try {
    // Only registry references: a pod spec can never point the webhook at a path on its disk ("oci:…").
    if (image.image === "") throw new SignetError("REF_INVALID", `${labelOf(image)} names no image`);
    reference = parseImageReference(image.image);
  } catch (error) {
    const cause = toSignetError(error);
    return finalVerdict(image, {
      allowed: false,
      mode: "enforce",
      policies: [],
      reason: cause.message,
      code: cause.code,
      hint: cause.hint,
      cacheable: true,
      warnings: [],
    });
  }

  const matching = findMatchingPolicies(policies, image.image, deps.resource);
  if (matching.length === 0 && deps.policyJson === undefined) return noMatchVerdict(image, deps);

  let digest: Digest;
  try {
    digest = await resolveImageDigest(reference, deps.access, deps.pinnedDigest);
  } catch (error) {
    return errorVerdict(image, toSignetError(error), deps, policies, matching);
  }

  const evaluations: Promise<PolicyVerdict[]>[] = [evaluatePolicies(matching, { image, reference, digest, deps, now })];
  if (deps.policyJson !== undefined) {
    const policyJson = deps.policyJson;
    evaluations.push(
      evaluatePolicyJson(reference, digest, policyJson, {
        access: deps.access,
        ...(deps.policyJsonFetchers === undefined ? {} : { fetchers: deps.policyJsonFetchers }),
        now,
        ...(deps.platform === undefined ? {} : { platform: deps.platform }),
        ...(deps.policyJsonRegistriesD === undefined ? {} : { registriesD: deps.policyJsonRegistriesD }),
      }).then(({ verdict }) => [verdict]),
    );
  }
  const verdicts = (await Promise.all(evaluations)).flat();
  return combine(image, digest, verdicts);
}

/**
 * The ClusterImagePolicies, on the digest the multi-arch option names: the pinned digest (an index or a single
 * image), the instance of the nodes' platform in an index, or either (the index first; the instance when the
 * index does not pass). A single image is its own instance.
 */
async function evaluatePolicies(matching: readonly CompiledImagePolicy[], at: Omit<AuthorityContext, "discovery">): Promise<PolicyVerdict[]> {
  const on = (digest: Digest, label?: string): Promise<PolicyVerdict[]> => {
    const context: AuthorityContext = { ...at, digest, discovery: createSignatureDiscovery(at.reference, digest, at.deps) };
    const evaluated = Promise.all(matching.map((policy) => evaluatePolicy(policy, context)));
    return label === undefined ? evaluated : evaluated.then((verdicts) => verdicts.map((verdict) => ({ ...verdict, reason: `${label}: ${verdict.reason}` })));
  };
  const mode = at.deps.multiArch ?? "index";
  if (matching.length === 0 || mode === "index") return on(at.digest);
  const repository = await at.deps.access.repositoryFor({ transport: "docker", reference: at.reference });
  const instance = await pulledInstance(repository, at.digest, at.deps.platform ?? DEFAULT_PLATFORM);
  if (instance.digest === at.digest) return on(at.digest);
  const label = `the ${instance.platform ?? "platform"} instance ${instance.digest} of the index`;
  if (mode === "instance") return on(instance.digest, label);
  const passes = (verdicts: readonly PolicyVerdict[]) => verdicts.every((verdict) => verdict.allowed || verdict.mode === "warn");
  const onIndex = await on(at.digest);
  if (passes(onIndex)) return onIndex;
  const onInstance = await on(instance.digest, label);
  return passes(onInstance) ? onInstance : onIndex;
}

async function evaluatePolicy(policy: CompiledImagePolicy, context: AuthorityContext): Promise<PolicyVerdict> {
  const base = { name: policy.name, mode: policy.mode };
  if (policy.authorities.length === 0) {
    // All of nothing is not a pass (security cases A.4, C.22).
    return { ...base, allowed: false, reason: "the policy has no authorities, so nothing can satisfy it", authorities: [] };
  }
  const authorities = await Promise.all(policy.authorities.map((authority) => evaluateAuthority(authority, context)));
  const passed = authorities.find((authority) => authority.allowed);
  if (policy.policy !== undefined) {
    // A CIP-level policy (cue / rego) over the results would have to pass too; signet cannot evaluate it.
    return {
      ...base,
      allowed: false,
      reason: `spec.policy (${policy.policy.type ?? "unknown"} policy over the results) is not supported yet: the policy fails closed`,
      authorities,
    };
  }
  if (policy.signers !== undefined) return { ...base, ...countSigners(policy.signers, authorities, context.digest), authorities };
  if (passed !== undefined) return { ...base, allowed: true, reason: `authority ${JSON.stringify(passed.name)}: ${passed.reason}`, authorities };
  const rejected = authorities.find((authority) => authority.error !== true);
  const first = rejected ?? authorities[0]!;
  const count = authorities.length;
  const summary = count === 1 ? `authority ${JSON.stringify(first.name)}: ${first.reason}` : `none of its ${count} authorities passed; ${JSON.stringify(first.name)}: ${first.reason}`;
  return { ...base, allowed: false, reason: summary, authorities, ...(rejected === undefined ? { error: true } : {}) };
}

/**
 * `spec.signers` (signet's extension): the authorities are signers, counted as the one verifier counts them
 * (signatures/verifier matchSignersToIdentities): each passing authority offers the identities that signed, each
 * identity counts for one authority, required authorities first. A failure becomes one more authority verdict with
 * the code (SIG_REQUIRED_SIGNER_MISSING, SIG_THRESHOLD_NOT_MET), so it is explained through the one ranking.
 */
function countSigners(
  signers: NonNullable<CompiledImagePolicy["signers"]>,
  authorities: AuthorityVerdict[],
  digest: Digest,
): Pick<PolicyVerdict, "allowed" | "reason" | "error"> {
  const candidates = authorities.map((authority) => (authority.allowed ? (authority.signerIdentities ?? []) : []));
  const owner = matchSignersToIdentities(candidates, authorities.map((authority) => signers.required.includes(authority.name)));
  const counted = new Map<number, string>([...owner].map(([identity, index]) => [index, identity]));
  const found = authorities.flatMap((authority, index) => (counted.has(index) ? [`${authority.name} (${counted.get(index)!})`] : []));
  const missing = authorities.flatMap((authority, index) => {
    if (counted.has(index)) return [];
    const why = authority.allowed ? "its signer already counts for another authority" : authority.reason;
    return [`${authority.name}${signers.required.includes(authority.name) ? " [required]" : ""}: ${why}`];
  });
  const requiredMissing = signers.required.filter((name) => !authorities.some((authority, index) => authority.name === name && counted.has(index)));
  const summary = `found: ${found.length === 0 ? "no signer" : found.join(", ")}; missing: ${missing.length === 0 ? "none" : missing.join("; ")}`;
  if (requiredMissing.length === 0 && counted.size >= signers.threshold) {
    return { allowed: true, reason: `${counted.size} distinct signer${counted.size === 1 ? "" : "s"} of the ${signers.threshold} required (${summary})` };
  }
  const code: ErrorCode = requiredMissing.length > 0 ? "SIG_REQUIRED_SIGNER_MISSING" : "SIG_THRESHOLD_NOT_MET";
  const reason =
    requiredMissing.length > 0
      ? `required signer${requiredMissing.length === 1 ? "" : "s"} ${requiredMissing.map((name) => JSON.stringify(name)).join(", ")} did not sign ${digest} (${summary})`
      : `${counted.size} of the ${signers.threshold} distinct signers required signed ${digest} (${summary})`;
  const errorOnly = authorities.every((authority) => authority.allowed || authority.error === true) && authorities.some((authority) => authority.error === true);
  authorities.push({ name: "spec.signers", type: "signers", allowed: false, reason, code, hint: ERROR_CATALOG[code].hint, signatures: [] });
  return { allowed: false, reason, ...(errorOnly ? { error: true } : {}) };
}

/** Every matching policy must pass; warn-mode failures become warnings. */
function combine(image: ContainerImage, digest: Digest, verdicts: PolicyVerdict[]): ImageVerdict {
  const failedEnforced = verdicts.filter((policy) => !policy.allowed && policy.mode === "enforce");
  const failedWarned = verdicts.filter((policy) => !policy.allowed && policy.mode === "warn");
  const warnings = failedWarned.map((policy) => warning(image, `policy ${JSON.stringify(policy.name)} (warn mode) would reject it: ${policy.reason}`));
  const mode = verdicts.some((policy) => policy.mode === "enforce") ? "enforce" : "warn";
  const anyError = [...failedEnforced, ...failedWarned].some((policy) => policy.error === true);
  const common = { digest, pinnedImage: pinnedImageText(image.image, digest), mode, policies: verdicts, warnings } as const;
  if (failedEnforced.length === 0) {
    const names = verdicts.filter((policy) => policy.allowed).map((policy) => JSON.stringify(policy.name));
    const reason =
      names.length === 0
        ? `allowed in warn mode: ${failedWarned.map((policy) => `policy ${JSON.stringify(policy.name)}: ${policy.reason}`).join("; ")}`
        : `allowed by ${names.length === 1 ? "policy" : "policies"} ${names.join(", ")}`;
    return finalVerdict(image, { ...common, allowed: true, reason, cacheable: !anyError });
  }
  const definitive = failedEnforced.find((policy) => policy.error !== true);
  const first = definitive ?? failedEnforced[0]!;
  const others = failedEnforced.length > 1 ? ` (and ${failedEnforced.length - 1} more polic${failedEnforced.length === 2 ? "y" : "ies"})` : "";
  const { code, hint } = explain(first.authorities, definitive === undefined);
  return finalVerdict(image, {
    ...common,
    allowed: false,
    reason: `policy ${JSON.stringify(first.name)}: ${first.reason}${others}`,
    code,
    hint,
    ...(definitive === undefined ? { error: true } : {}),
    cacheable: !anyError,
  });
}

/** The most specific code among the failed authorities, and the hint that goes with it. */
function explain(authorities: readonly AuthorityVerdict[], errorOnly: boolean): { code: ErrorCode; hint: string } {
  const failed = authorities.filter((authority) => !authority.allowed && authority.code !== undefined);
  // The catalog's one ranking (errors/catalog.ts EXPLANATION_RANK), as every other entry point.
  const code = (errorOnly ? failed[0]?.code : mostTelling(failed)?.code) ?? "POLICY_DENIED";
  const hint = failed.find((authority) => authority.code === code)?.hint ?? ERROR_CATALOG[code].hint;
  return { code, hint };
}

function noMatchVerdict(image: ContainerImage, deps: EvaluateImageDeps): ImageVerdict {
  const action = deps.noMatchAction ?? "deny";
  const reason = `no ClusterImagePolicy matches ${image.image}`;
  const common = { policies: [], cacheable: true, ...(deps.pinnedDigest === undefined ? {} : { digest: deps.pinnedDigest }) };
  if (action === "allow") return finalVerdict(image, { ...common, allowed: true, mode: "enforce", reason: `${reason}; the no-match action allows it`, warnings: [] });
  if (action === "warn") {
    return finalVerdict(image, { ...common, allowed: true, mode: "warn", reason: `${reason}; the no-match action warns`, warnings: [warning(image, `${reason} (allowed: the no-match action is warn)`)] });
  }
  return finalVerdict(image, { ...common, allowed: false, mode: "enforce", reason, code: "ADMISSION_NO_POLICY", hint: ERROR_CATALOG.ADMISSION_NO_POLICY.hint, warnings: [] });
}

/**
 * Could not evaluate (registry down, deadline): denied, unless every policy that matched is in warn mode, when
 * the image is admitted with a warning as warn mode promises. Never cacheable.
 */
function errorVerdict(image: ContainerImage, cause: SignetError, deps: EvaluateImageDeps, policies: CompiledPolicySet, matching: readonly CompiledImagePolicy[] | undefined): ImageVerdict {
  const matched = matching ?? safeMatching(policies, image, deps);
  const warnOnly = deps.policyJson === undefined && matched.length > 0 && matched.every((policy) => policy.mode === "warn");
  const reason = `could not be evaluated: ${cause.message}`;
  const policyVerdicts: PolicyVerdict[] = matched.map((policy) => ({ name: policy.name, mode: policy.mode, allowed: false, reason: cause.message, authorities: [], error: true }));
  if (warnOnly) {
    return finalVerdict(image, { allowed: true, mode: "warn", policies: policyVerdicts, reason, error: true, code: cause.code, hint: cause.hint, cacheable: false, warnings: [warning(image, reason)] });
  }
  return finalVerdict(image, { allowed: false, mode: "enforce", policies: policyVerdicts, reason, error: true, code: cause.code, hint: cause.hint, cacheable: false, warnings: [] });
}

function safeMatching(policies: CompiledPolicySet, image: ContainerImage, deps: EvaluateImageDeps): CompiledImagePolicy[] {
  try {
    return findMatchingPolicies(policies, image.image, deps.resource);
  } catch {
    return [];
  }
}

type VerdictBody = Omit<ImageVerdict, "image" | "field" | "containerName" | "kind" | "checkedAt">;

function finalVerdict(image: ContainerImage, body: VerdictBody): ImageVerdict {
  return { image: image.image, field: image.field, containerName: image.containerName, kind: image.kind, ...body, checkedAt: Date.now() };
}

function warning(image: ContainerImage, text: string): string {
  return `signet: ${labelOf(image)} ${image.image}: ${text}`;
}

function labelOf(image: ContainerImage): string {
  const kind = image.kind === "initContainer" ? "init container" : image.kind === "ephemeralContainer" ? "ephemeral container" : image.kind === "imageVolume" ? "image volume" : "container";
  return `${kind} ${JSON.stringify(image.containerName)}`;
}

/** Rejects when the signal fires: the verdict is then an error (fail closed), never a late allow. */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  const deadline = () => new SignetError("TIMEOUT", "the evaluation did not finish before the webhook's deadline", { hint: "Check the registry's latency; the webhook denies what it cannot verify in time." });
  if (signal.aborted) return Promise.reject(deadline());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(deadline());
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
