/**
 * Checks the shape of an AdmissionReview before anything reads it. Only admission.k8s.io/v1 is accepted: the
 * webhook configuration must list `admissionReviewVersions: ["v1"]`. The object under review stays untrusted.
 */
import { z } from "zod";
import { SignetError } from "../../errors/index.js";
import { ADMISSION_API_VERSION, type AdmissionRequest } from "./types.js";

const gvk = z.looseObject({ group: z.string(), version: z.string(), kind: z.string() });
const gvr = z.looseObject({ group: z.string(), version: z.string(), resource: z.string() });

const requestSchema = z.looseObject({
  uid: z.string().min(1).max(256),
  kind: gvk,
  resource: gvr,
  subResource: z.string().optional(),
  requestKind: gvk.optional(),
  requestResource: gvr.optional(),
  requestSubResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT"]),
  userInfo: z.looseObject({ username: z.string().optional(), uid: z.string().optional(), groups: z.array(z.string()).optional() }).optional(),
  object: z.unknown().optional(),
  oldObject: z.unknown().optional(),
  dryRun: z.boolean().optional(),
});

export function parseAdmissionReview(untrusted: unknown): AdmissionRequest {
  if (typeof untrusted !== "object" || untrusted === null || Array.isArray(untrusted)) {
    throw invalid("the body is not a JSON object");
  }
  const review = untrusted as Record<string, unknown>;
  const apiVersion = review["apiVersion"];
  if (apiVersion !== ADMISSION_API_VERSION) {
    const hint =
      apiVersion === "admission.k8s.io/v1beta1"
        ? "admission.k8s.io/v1beta1 is not supported: set admissionReviewVersions: [\"v1\"] in the webhook configuration."
        : undefined;
    throw invalid(`apiVersion is ${JSON.stringify(apiVersion)}, expected ${JSON.stringify(ADMISSION_API_VERSION)}`, hint);
  }
  if (review["kind"] !== "AdmissionReview") throw invalid(`kind is ${JSON.stringify(review["kind"])}, expected "AdmissionReview"`);
  if (review["request"] === undefined || review["request"] === null) throw invalid("the AdmissionReview has no request");
  const parsed = requestSchema.safeParse(review["request"]);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`request.${issue.path.map(String).join(".")}: ${issue.message}`);
  }
  const request = parsed.data;
  const result: AdmissionRequest = {
    uid: request.uid,
    kind: { group: request.kind.group, version: request.kind.version, kind: request.kind.kind },
    resource: { group: request.resource.group, version: request.resource.version, resource: request.resource.resource },
    operation: request.operation,
    userInfo: {
      ...(request.userInfo?.username === undefined ? {} : { username: request.userInfo.username }),
      ...(request.userInfo?.uid === undefined ? {} : { uid: request.userInfo.uid }),
      ...(request.userInfo?.groups === undefined ? {} : { groups: request.userInfo.groups }),
    },
    untrustedObject: request.object ?? null,
    untrustedOldObject: request.oldObject ?? null,
    dryRun: request.dryRun === true,
  };
  if (request.subResource !== undefined && request.subResource !== "") result.subResource = request.subResource;
  if (request.requestKind !== undefined) result.requestKind = { group: request.requestKind.group, version: request.requestKind.version, kind: request.requestKind.kind };
  if (request.requestResource !== undefined) {
    result.requestResource = { group: request.requestResource.group, version: request.requestResource.version, resource: request.requestResource.resource };
  }
  if (request.requestSubResource !== undefined && request.requestSubResource !== "") result.requestSubResource = request.requestSubResource;
  if (request.name !== undefined && request.name !== "") result.name = request.name;
  if (request.namespace !== undefined && request.namespace !== "") result.namespace = request.namespace;
  return result;
}

function invalid(problem: string, hint?: string): SignetError {
  return new SignetError("ADMISSION_REVIEW_INVALID", `invalid AdmissionReview: ${problem}`, hint === undefined ? {} : { hint });
}
