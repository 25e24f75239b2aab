/**
 * Turns image verdicts into the AdmissionReview the API server reads: allowed only when every image is,
 * warnings for warn mode, and in mutate mode a JSON Patch that pins each image to the digest that was verified.
 * A denial is one readable block: which container, which image, which policy, what was found, how to fix it.
 */
import type { ErrorCode } from "../../errors/index.js";
import { appendAll } from "../../internal/arrays.js";
import type { ImageVerdict } from "../evaluate/types.js";
import { ADMISSION_API_VERSION, type AdmissionMode, type AdmissionPlan, type AdmissionRequest, type AdmissionReviewResponse, type JsonPatchOperation } from "./types.js";

/** Kubernetes truncates longer warnings; each is cut here with an ellipsis instead. */
export const WARNING_MAX_LENGTH = 256;
export const WARNINGS_MAX = 20;
/** Images detailed in a denial; the rest are counted. */
const DENIED_IMAGES_LISTED = 20;
const LINE_MAX = 600;

export interface BuildResponseOptions {
  mode: AdmissionMode;
}

export function buildAdmissionResponse(request: AdmissionRequest, verdicts: readonly ImageVerdict[], options: BuildResponseOptions): AdmissionReviewResponse {
  const denied = verdicts.filter((verdict) => !verdict.allowed);
  const warnings = collectWarnings(verdicts);
  if (denied.length > 0) {
    return review(request.uid, {
      allowed: false,
      status: denialStatus(formatDenial(request, verdicts, denied)),
      ...(warnings.length === 0 ? {} : { warnings }),
    });
  }
  const patch = options.mode === "mutate" ? digestPatch(request, verdicts) : [];
  return review(request.uid, {
    allowed: true,
    ...(warnings.length === 0 ? {} : { warnings }),
    ...(patch.length === 0 ? {} : { patchType: "JSONPatch" as const, patch: Buffer.from(JSON.stringify(patch)).toString("base64") }),
  });
}

/** The response for a request that needed no image evaluation (or could not get one). */
export function buildPlanResponse(request: AdmissionRequest, plan: Exclude<AdmissionPlan, { action: "evaluate" }>): AdmissionReviewResponse {
  if (plan.action === "allow") return allowedResponse(request);
  return deniedResponse(request, `signet denied ${describeObject(request)}: ${plan.reason}`, plan.code);
}

export function allowedResponse(request: Pick<AdmissionRequest, "uid">): AdmissionReviewResponse {
  return review(request.uid, { allowed: true });
}

/** A denial with a message of its own (deadline passed, cache down, …): status code 403. */
export function deniedResponse(request: Pick<AdmissionRequest, "uid">, message: string, code?: ErrorCode): AdmissionReviewResponse {
  return review(request.uid, { allowed: false, status: denialStatus(code === undefined ? message : `${message} [${code}]`) });
}

/**
 * One `replace` per image whose verified digest is not already what the object names. For the
 * ephemeralcontainers subresource only ephemeral containers are patched (the rest cannot change there).
 */
export function digestPatch(request: AdmissionRequest, verdicts: readonly ImageVerdict[]): JsonPatchOperation[] {
  const onlyEphemeral = request.subResource === "ephemeralcontainers";
  const operations: JsonPatchOperation[] = [];
  for (const verdict of verdicts) {
    if (verdict.pinnedImage === undefined || verdict.pinnedImage === verdict.image) continue;
    if (onlyEphemeral && verdict.kind !== "ephemeralContainer") continue;
    operations.push({ op: "replace", path: verdict.field, value: verdict.pinnedImage });
  }
  return operations;
}

/** The denial block; exported so logs and the CLI can print the same text. */
export function formatDenial(request: AdmissionRequest, verdicts: readonly ImageVerdict[], denied: readonly ImageVerdict[]): string {
  const count = `${denied.length} of ${verdicts.length} image${verdicts.length === 1 ? "" : "s"}`;
  const lines = [`signet denied ${describeObject(request)}: ${count} ${denied.length === 1 ? "is" : "are"} not allowed.`];
  for (const verdict of denied.slice(0, DENIED_IMAGES_LISTED)) {
    lines.push("");
    appendAll(lines, describeVerdict(verdict));
  }
  if (denied.length > DENIED_IMAGES_LISTED) lines.push("", `… and ${denied.length - DENIED_IMAGES_LISTED} more images not allowed.`);
  return lines.join("\n");
}

function describeVerdict(verdict: ImageVerdict): string[] {
  const digest = verdict.digest === undefined || verdict.image.includes(verdict.digest) ? "" : ` (${verdict.digest})`;
  const lines = [`${labelOf(verdict.kind)} ${JSON.stringify(verdict.containerName)} at ${verdict.field}: image ${JSON.stringify(verdict.image)}${digest}`];
  const failedPolicies = verdict.policies.filter((policy) => !policy.allowed && policy.mode === "enforce");
  if (failedPolicies.length === 0) {
    const couldNot = verdict.reason.startsWith("could not be evaluated") ? verdict.reason : `could not be evaluated: ${verdict.reason}`;
    lines.push(`  ${verdict.error === true ? couldNot : `rejected: ${verdict.reason}`}`);
  } else {
    for (const policy of failedPolicies) {
      const outcome = policy.error === true ? "could not be evaluated" : "rejected it";
      const count = policy.authorities.length;
      // With authorities, each says what it found; the policy line only says how they combine.
      const summary = count === 0 ? policy.reason : count === 1 ? "its authority did not pass" : `none of its ${count} authorities passed`;
      lines.push(`  policy ${JSON.stringify(policy.name)} ${outcome}: ${policy.authorities.some((a) => a.allowed) ? policy.reason : summary}`);
      for (const authority of policy.authorities) {
        lines.push(`    ${authority.type} authority ${JSON.stringify(authority.name)}: ${authority.allowed ? "passed" : authority.reason}`);
        for (const signature of authority.signatures.slice(0, 5)) lines.push(`      ${signature.source}: ${signature.reason}`);
        if (authority.signatures.length > 5) lines.push(`      … and ${authority.signatures.length - 5} more signatures`);
      }
    }
  }
  if (verdict.hint !== undefined) lines.push(`  fix: ${verdict.hint}`);
  // The stable code (docs/errors.md), as the CLI and the library report it for the same image.
  if (verdict.code !== undefined) lines.push(`  code: ${verdict.code}`);
  return lines.map((line) => {
    const flat = singleLine(line);
    return flat.length > LINE_MAX ? `${flat.slice(0, LINE_MAX)}…` : flat;
  });
}

/** Reasons can carry text from a registry: control characters must not forge lines of the block. */
function singleLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ");
}

function collectWarnings(verdicts: readonly ImageVerdict[]): string[] {
  const warnings = [...new Set(verdicts.flatMap((verdict) => verdict.warnings))];
  const shown = warnings
    .slice(0, WARNINGS_MAX)
    .map(singleLine)
    .map((warning) => (warning.length > WARNING_MAX_LENGTH ? `${warning.slice(0, WARNING_MAX_LENGTH - 1)}…` : warning));
  if (warnings.length > WARNINGS_MAX) shown.push(`signet: … and ${warnings.length - WARNINGS_MAX} more warnings`);
  return shown;
}

function labelOf(kind: ImageVerdict["kind"]): string {
  switch (kind) {
    case "initContainer":
      return "init container";
    case "ephemeralContainer":
      return "ephemeral container";
    case "imageVolume":
      return "image volume";
    default:
      return "container";
  }
}

export function describeObject(request: AdmissionRequest): string {
  const name = request.name ?? objectName(request.untrustedObject);
  const namespaced = request.namespace === undefined ? name : `${request.namespace}/${name ?? ""}`;
  const sub = request.subResource === undefined ? "" : ` (${request.subResource})`;
  return `${request.kind.kind}${namespaced === undefined ? "" : ` ${JSON.stringify(namespaced)}`}${sub}`;
}

function objectName(object: unknown): string | undefined {
  if (typeof object !== "object" || object === null) return undefined;
  const metadata = (object as Record<string, unknown>)["metadata"];
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const record = metadata as Record<string, unknown>;
  const name = record["name"] ?? (typeof record["generateName"] === "string" ? `${record["generateName"]}…` : undefined);
  return typeof name === "string" ? name : undefined;
}

function denialStatus(message: string) {
  return { metadata: {}, status: "Failure" as const, code: 403, reason: "Forbidden", message };
}

function review(uid: string, response: Omit<AdmissionReviewResponse["response"], "uid">): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response: { uid, ...response } };
}
