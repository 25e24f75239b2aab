import { SignetError, toSignetError } from "../../errors/index.js";
import { parseJsonBytes } from "../../internal/strict-json.js";
import type { ImageAccess } from "../../oci/image-access.js";
import { buildAdmissionResponse, buildPlanResponse, deniedResponse } from "../admission/build-response.js";
import { parseAdmissionReview } from "../admission/parse-review.js";
import { planAdmission, type PlanAdmissionOptions } from "../admission/plan.js";
import type { AdmissionMode, AdmissionPlan, AdmissionRequest, AdmissionReviewResponse, ContainerImage } from "../admission/types.js";
import type { ImageVerdict } from "../evaluate/types.js";
import type { AdmissionResult, WebhookMetrics } from "../metrics/webhook-metrics.js";
import type { ResourceContext } from "../policy/types.js";
import { errorVerdict, type CheckedImage, type ImageChecker } from "./image-checker.js";
import type { WebhookLogger } from "./logger.js";
import type { PolicyState } from "./policy-state.js";

export interface AdmissionHandlerOptions {
  readonly checker: ImageChecker;
  /** The policies in force when a request arrives; one request uses one state throughout. */
  readonly policies: () => PolicyState | undefined;
  /** Answer within this time; images not decided by then are denied (fail closed). */
  readonly deadlineMs: number;
  /** Per-container identity annotations, namespace opt-in through the API. */
  readonly plan: PlanAdmissionOptions;
  readonly metrics: WebhookMetrics;
  readonly logger: WebhookLogger;
  /** Registry access with the request's pull secrets (src/webhook/credentials); absent: the checker's own. */
  readonly requestAccess?: (request: AdmissionRequest) => (() => Promise<ImageAccess>) | undefined;
  /** An object naming more images than this is denied before any is evaluated (ADMISSION_TOO_MANY_IMAGES). */
  readonly maxImagesPerRequest?: number;
  /**
   * /validate cannot patch: a governed image named by tag is denied (ADMISSION_TAG_UNPINNED) unless this is
   * false. Default true. /mutate always pins tags to the digest it verified.
   */
  readonly validateRequiresDigest?: boolean;
}

/** An HTTP answer: 200 with an AdmissionReview, or 400 when the body is not one (the API server then applies failurePolicy: Fail). */
export interface AdmissionAnswer {
  readonly status: 200 | 400;
  readonly body: AdmissionReviewResponse | { error: string };
}

export type AdmissionHandler = (body: Buffer, endpoint: AdmissionMode) => Promise<AdmissionAnswer>;

/**
 * Answers one AdmissionReview: reads it, finds every image of the object, decides each one (cache or
 * evaluation) within the deadline, and builds the response. Every path that does not end in "all verified"
 * denies: unreadable requests, unknown kinds, timeouts, registry and cache failures.
 */
export function createAdmissionHandler(options: AdmissionHandlerOptions): AdmissionHandler {
  const { metrics, logger } = options;

  return async (body, endpoint) => {
    const started = performance.now();
    let untrusted: unknown;
    try {
      untrusted = parseJsonBytes(body, "the AdmissionReview", "ADMISSION_REVIEW_INVALID");
    } catch (error) {
      return finish(endpoint, started, "error", { status: 400, body: { error: toSignetError(error).message } });
    }
    const uid = untrustedUid(untrusted);
    let request: AdmissionRequest;
    try {
      request = parseAdmissionReview(untrusted);
    } catch (error) {
      const cause = toSignetError(error);
      const message = `signet denied the request: it is not a valid admission.k8s.io/v1 AdmissionReview: ${cause.message}`;
      logger.warn({ uid, endpoint, error: cause.message }, "unreadable AdmissionReview");
      return finish(endpoint, started, "error", uid === undefined ? { status: 400, body: { error: message } } : { status: 200, body: deniedResponse({ uid }, message, cause.code) });
    }
    const context = { uid: request.uid, endpoint, operation: request.operation, kind: request.kind.kind, namespace: request.namespace, name: request.name };

    const state = options.policies();
    if (state === undefined) {
      logger.error(context, "no policies loaded: denying");
      return finish(endpoint, started, "error", { status: 200, body: deniedResponse(request, "signet denied the request: its policies are not loaded yet", "WEBHOOK_CONFIG_INVALID") });
    }

    let plan: AdmissionPlan;
    try {
      plan = await planAdmission(request, options.plan);
    } catch (error) {
      const cause = toSignetError(error);
      logger.warn({ ...context, error: cause.message }, "cannot plan admission");
      return finish(endpoint, started, "error", { status: 200, body: deniedResponse(request, `signet denied the request: cannot read the images of the object: ${cause.message}`, cause.code) });
    }
    if (plan.action !== "evaluate") {
      logger[plan.action === "allow" ? "debug" : "info"]({ ...context, reason: plan.reason }, `${plan.action === "allow" ? "allowed" : "denied"} without evaluation`);
      return finish(endpoint, started, plan.action === "allow" ? "allowed" : "denied", { status: 200, body: buildPlanResponse(request, plan) });
    }

    const maxImages = options.maxImagesPerRequest;
    if (maxImages !== undefined && plan.images.length > maxImages) {
      // Refused before any registry request: the work (and memory) of one review stays bounded.
      const message = `signet denied the request: the object names ${plan.images.length} images; this webhook evaluates at most ${maxImages} per request (maxImagesPerRequest)`;
      logger.info({ ...context, images: plan.images.length, maxImagesPerRequest: maxImages }, "admission denied: too many images");
      return finish(endpoint, started, "denied", { status: 200, body: deniedResponse(request, message, "ADMISSION_TOO_MANY_IMAGES") });
    }
    const resource: ResourceContext = plan.resource;
    const checked = await checkWithinDeadline(plan.images, state, resource, endpoint, options.requestAccess?.(request));
    const verdicts = checked.map((item) => item.verdict);
    let review: AdmissionReviewResponse;
    try {
      review = enforceVerdicts(buildAdmissionResponse(request, verdicts, { mode: endpoint }), verdicts);
    } catch (error) {
      const cause = toSignetError(error);
      logger.error({ ...context, error: cause.message }, "cannot build the admission response");
      return finish(endpoint, started, "error", { status: 200, body: deniedResponse(request, `signet denied the request: ${cause.message}`, cause.code) });
    }
    for (const item of checked) {
      const result = item.verdict.allowed ? (item.verdict.warnings.length > 0 ? "warned" : "allowed") : "denied";
      if (item.verdict.policies.length === 0) metrics.imageVerdicts.inc({ result, policy: "none" });
      for (const policy of item.verdict.policies) metrics.imageVerdicts.inc({ result, policy: policy.name });
    }
    const result: AdmissionResult = !review.response.allowed ? "denied" : (review.response.warnings?.length ?? 0) > 0 ? "warned" : "allowed";
    // Allowed decisions log at debug: at thousands a second, building their log lines would cost more than deciding.
    const level = result === "allowed" ? "debug" : "info";
    if (logger.isLevelEnabled(level)) {
      logger[level](
        {
          ...context,
          result,
          policyVersion: state.version,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          images: checked.map(({ verdict, source }) => ({
            container: verdict.containerName,
            field: verdict.field,
            image: verdict.image,
            digest: verdict.digest,
            allowed: verdict.allowed,
            mode: verdict.mode,
            source,
            ...(verdict.allowed && verdict.warnings.length === 0 ? {} : { reason: verdict.reason, code: verdict.code }),
          })),
        },
        `admission ${result}`,
      );
    }
    return finish(endpoint, started, result, { status: 200, body: review });
  };

  /** Decides every image, concurrently; an image not decided before the deadline gets a denying verdict. */
  async function checkWithinDeadline(images: readonly ContainerImage[], state: PolicyState, resource: ResourceContext, endpoint: AdmissionMode, access: (() => Promise<ImageAccess>) | undefined): Promise<CheckedImage[]> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => {
      timer = setTimeout(() => resolve("deadline"), options.deadlineMs);
    });
    let expired = false;
    let deadlineError: SignetError | undefined;
    const checkOptions = { requireDigest: endpoint === "validate" && options.validateRequiresDigest !== false };
    try {
      return await Promise.all(
        images.map(async (image) => {
          const started = performance.now();
          const outcome = await Promise.race([options.checker.check(image, state, resource, access, checkOptions), deadline]);
          if (outcome === "deadline") {
            if (!expired) metrics.deadlineExceeded.inc({ endpoint });
            expired = true;
            // One error for every image the deadline caught (a wide pod would otherwise build thousands of stacks).
            deadlineError ??= new SignetError("WEBHOOK_DEADLINE_EXCEEDED", `not verified within the webhook's deadline of ${options.deadlineMs / 1000}s`);
            return { verdict: errorVerdict(image, deadlineError, image.image), source: "error" as const };
          }
          metrics.imageSeconds.observe({ source: outcome.source }, (performance.now() - started) / 1000);
          return outcome;
        }),
      );
    } finally {
      clearTimeout(timer);
    }
  }

  function finish(endpoint: AdmissionMode, started: number, result: AdmissionResult, answer: AdmissionAnswer): AdmissionAnswer {
    metrics.admissions.inc({ endpoint, result });
    metrics.admissionSeconds.observe({ endpoint, result }, (performance.now() - started) / 1000);
    return answer;
  }
}

/**
 * Defence in depth over the response builder: an answer that allows while an image was not allowed (warn mode
 * allows, with warnings) is turned into a denial. This should never fire; if it does, the bug fails closed.
 */
function enforceVerdicts(review: AdmissionReviewResponse, verdicts: readonly ImageVerdict[]): AdmissionReviewResponse {
  const blocking = verdicts.filter((verdict) => !verdict.allowed);
  if (!review.response.allowed || blocking.length === 0) return review;
  const lines = blocking.map((verdict) => `${verdict.containerName} (${verdict.image}): ${verdict.reason}`);
  return deniedResponse({ uid: review.response.uid }, `signet denied the request:\n${lines.join("\n")}`, "INTERNAL");
}

/** The request's uid if the body has one, so even an unreadable request gets a proper denial. */
function untrustedUid(untrusted: unknown): string | undefined {
  if (typeof untrusted !== "object" || untrusted === null) return undefined;
  const request = (untrusted as { request?: unknown }).request;
  if (typeof request !== "object" || request === null) return undefined;
  const uid = (request as { uid?: unknown }).uid;
  return typeof uid === "string" && uid.length > 0 && uid.length <= 128 ? uid : undefined;
}
