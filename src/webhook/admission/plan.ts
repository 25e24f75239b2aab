/**
 * Decides what a request needs before any image is evaluated. The rules (security case C.24: no fail-open path):
 *
 * - CREATE and UPDATE of a supported kind: every image is evaluated, whatever the object's state. An object
 *   with `metadata.deletionTimestamp` is evaluated like any other: a pod held by a finalizer can still have its
 *   images changed, so "being deleted" exempts nothing.
 * - DELETE and CONNECT (exec, attach, port-forward) start no image: allowed, with the reason.
 * - Subresources other than `ephemeralcontainers` (status, binding, eviction, resize, scale) cannot change an
 *   image field (the API server ignores spec changes there): allowed, with the reason. `pods/ephemeralcontainers`
 *   is evaluated in full.
 * - A namespace that has not opted in (isNamespaceIncluded says false) is allowed; if that check fails, the
 *   request is denied.
 * - An unknown kind, or an object of the wrong shape: denied.
 */
import { toSignetError } from "../../errors/index.js";
import { extractImages, objectLabels } from "./extract-images.js";
import type { AdmissionPlan, AdmissionRequest, ExtractImagesOptions } from "./types.js";

export interface PlanAdmissionOptions extends ExtractImagesOptions {
  /**
   * Namespace opt-in, for when the webhook configuration's namespaceSelector does not already do it (e.g. the
   * `policy.sigstore.dev/include: "true"` label read through the Kubernetes API). Errors deny the request.
   */
  isNamespaceIncluded?: (namespace: string) => boolean | Promise<boolean>;
}

export async function planAdmission(request: AdmissionRequest, options: PlanAdmissionOptions = {}): Promise<AdmissionPlan> {
  if (request.operation === "DELETE") return { action: "allow", reason: "a DELETE starts no container" };
  if (request.operation === "CONNECT") return { action: "allow", reason: "a CONNECT (exec, attach, port-forward) starts no new image" };
  const subResource = request.subResource;
  if (subResource !== undefined && subResource !== "ephemeralcontainers") {
    return { action: "allow", reason: `the ${subResource} subresource cannot change images` };
  }
  if (request.namespace !== undefined && options.isNamespaceIncluded !== undefined) {
    try {
      if (!(await options.isNamespaceIncluded(request.namespace))) {
        return { action: "allow", reason: `namespace ${request.namespace} has not opted in to image verification` };
      }
    } catch (error) {
      const cause = toSignetError(error);
      return { action: "deny", reason: `could not tell whether namespace ${request.namespace} opted in to image verification: ${cause.message}`, code: cause.code };
    }
  }
  try {
    const images = extractImages(request, options);
    const resource = { group: request.resource.group, version: request.resource.version, resource: request.resource.resource, labels: objectLabels(request) };
    return { action: "evaluate", images, resource };
  } catch (error) {
    const cause = toSignetError(error);
    return { action: "deny", reason: cause.message, code: cause.code };
  }
}
