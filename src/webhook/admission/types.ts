/**
 * The parts of admission.k8s.io/v1 AdmissionReview the webhook reads and writes, and the images it finds in
 * an object. Everything in a request is attacker-controlled until checked (the API server validated the
 * object's schema, but not for us).
 */
import type { ErrorCode } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

export type AdmissionOperation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface AdmissionUserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
}

/** `request` of an AdmissionReview, checked for shape. `object`/`oldObject` stay untrusted JSON. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  requestKind?: GroupVersionKind;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: AdmissionOperation;
  userInfo: AdmissionUserInfo;
  untrustedObject: unknown;
  untrustedOldObject: unknown;
  dryRun: boolean;
}

/** Where an image reference sits in the object. */
export type ContainerKind = "container" | "initContainer" | "ephemeralContainer" | "imageVolume";

export interface ContainerImage {
  /** JSON pointer (RFC 6901) to the image string, e.g. /spec/template/spec/initContainers/0/image. */
  field: string;
  /** The container's name (the volume's name for an image volume). */
  containerName: string;
  kind: ContainerKind;
  /** The image reference exactly as written in the object (untrusted). */
  image: string;
  /**
   * Keyless identity from the `subject.cosign.sigstore.dev/<container>` / `issuer.cosign.sigstore.dev/<container>`
   * annotations, only when the compatibility mode is on. It narrows what a policy accepts; never widens it.
   */
  identity?: { subject?: string; issuer?: string };
}

export interface ExtractImagesOptions {
  /** Read per-container identity annotations (opt-in compatibility mode). */
  identityAnnotations?: boolean;
}

/** What the webhook should do with a request, before any image is evaluated. */
export type AdmissionPlan =
  | { action: "evaluate"; images: ContainerImage[]; resource: { group: string; version: string; resource: string; labels: Record<string, string> } }
  /** Nothing in the request can run an image (DELETE, CONNECT, a status update): allowed, with the reason. */
  | { action: "allow"; reason: string }
  /** The request cannot be evaluated (unknown kind, malformed object): denied, fail closed. */
  | { action: "deny"; reason: string; code: ErrorCode };

export type AdmissionMode = "validate" | "mutate";

export interface AdmissionStatus {
  metadata: Record<string, never>;
  status: "Failure";
  code: number;
  reason: string;
  message: string;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  warnings?: string[];
  patchType?: "JSONPatch";
  /** base64 of a JSON Patch (RFC 6902) array. */
  patch?: string;
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: "AdmissionReview";
  response: AdmissionResponse;
}

export interface JsonPatchOperation {
  op: "replace";
  path: string;
  value: string;
}

export type { Digest };
