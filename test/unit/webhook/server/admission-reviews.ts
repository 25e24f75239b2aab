import { randomUUID } from "node:crypto";

/** Containers of a pod spec: name -> image. */
export interface PodImages {
  containers?: Record<string, string>;
  initContainers?: Record<string, string>;
  ephemeralContainers?: Record<string, string>;
}

export function podSpec(images: PodImages): Record<string, unknown> {
  const list = (entries: Record<string, string> | undefined) => Object.entries(entries ?? {}).map(([name, image]) => ({ name, image, imagePullPolicy: "IfNotPresent" }));
  const spec: Record<string, unknown> = { containers: list(images.containers ?? {}), restartPolicy: "Always", serviceAccountName: "default" };
  if (images.initContainers) spec["initContainers"] = list(images.initContainers);
  if (images.ephemeralContainers) spec["ephemeralContainers"] = list(images.ephemeralContainers).map((c) => ({ ...c, targetContainerName: "app" }));
  return spec;
}

const RESOURCES: Record<string, { group: string; version: string; resource: string }> = {
  Pod: { group: "", version: "v1", resource: "pods" },
  Deployment: { group: "apps", version: "v1", resource: "deployments" },
  ReplicaSet: { group: "apps", version: "v1", resource: "replicasets" },
  StatefulSet: { group: "apps", version: "v1", resource: "statefulsets" },
  DaemonSet: { group: "apps", version: "v1", resource: "daemonsets" },
  Job: { group: "batch", version: "v1", resource: "jobs" },
  CronJob: { group: "batch", version: "v1", resource: "cronjobs" },
  ReplicationController: { group: "", version: "v1", resource: "replicationcontrollers" },
};

/** The object of that kind whose pods run these images. */
export function workload(kind: string, images: PodImages, labels: Record<string, string> = { app: "demo" }): Record<string, unknown> {
  const { group, version } = RESOURCES[kind]!;
  const metadata = { name: `demo-${kind.toLowerCase()}`, namespace: "team-a", labels };
  const template = { metadata: { labels }, spec: podSpec(images) };
  const apiVersion = group === "" ? version : `${group}/${version}`;
  switch (kind) {
    case "Pod":
      return { apiVersion, kind, metadata, spec: podSpec(images) };
    case "CronJob":
      return { apiVersion, kind, metadata, spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } } };
    case "Job":
      return { apiVersion, kind, metadata, spec: { template } };
    default:
      return { apiVersion, kind, metadata, spec: { selector: { matchLabels: labels }, template } };
  }
}

/** An AdmissionReview as the API server sends it for CREATE (or the given operation) of `object`. */
export function admissionReview(object: Record<string, unknown>, options: { operation?: string; subResource?: string; oldObject?: unknown; uid?: string } = {}): Record<string, unknown> {
  const kind = object["kind"] as string;
  const resource = RESOURCES[kind]!;
  const metadata = object["metadata"] as { name: string; namespace: string };
  const request: Record<string, unknown> = {
    uid: options.uid ?? randomUUID(),
    kind: { group: resource.group, version: resource.version, kind },
    resource,
    requestKind: { group: resource.group, version: resource.version, kind },
    requestResource: resource,
    name: metadata.name,
    namespace: metadata.namespace,
    operation: options.operation ?? "CREATE",
    userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller", uid: randomUUID(), groups: ["system:serviceaccounts", "system:authenticated"] },
    object,
    oldObject: options.oldObject ?? null,
    dryRun: false,
    options: { apiVersion: "meta.k8s.io/v1", kind: options.operation === "UPDATE" ? "UpdateOptions" : "CreateOptions" },
  };
  if (options.subResource !== undefined) {
    request["subResource"] = options.subResource;
    request["requestSubResource"] = options.subResource;
  }
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request };
}

export interface ReviewAnswer {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string };
  warnings?: string[];
  patchType?: string;
  patch?: string;
}

/** The JSON Patch of an answer, decoded. */
export function patchOf(answer: ReviewAnswer): { op: string; path: string; value: string }[] {
  return answer.patch === undefined ? [] : (JSON.parse(Buffer.from(answer.patch, "base64").toString("utf8")) as { op: string; path: string; value: string }[]);
}
