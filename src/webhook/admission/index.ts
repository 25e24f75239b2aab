export {
  allowedResponse,
  buildAdmissionResponse,
  buildPlanResponse,
  deniedResponse,
  describeObject,
  digestPatch,
  formatDenial,
  WARNING_MAX_LENGTH,
  type BuildResponseOptions,
} from "./build-response.js";
export { extractImages, IMAGES_PER_OBJECT_MAX, isSupportedKind, ISSUER_ANNOTATION_PREFIX, objectLabels, pointer, SUBJECT_ANNOTATION_PREFIX } from "./extract-images.js";
export { parseAdmissionReview } from "./parse-review.js";
export { planAdmission, type PlanAdmissionOptions } from "./plan.js";
export {
  ADMISSION_API_VERSION,
  type AdmissionMode,
  type AdmissionOperation,
  type AdmissionPlan,
  type AdmissionRequest,
  type AdmissionResponse,
  type AdmissionReviewResponse,
  type ContainerImage,
  type ContainerKind,
  type ExtractImagesOptions,
  type JsonPatchOperation,
} from "./types.js";
