/**
 * Which images an audit verifies: every tag of the repositories of a registry namespace (the catalog API, then
 * each repository's tag list), every tag of an OCI layout, or every image a cluster runs (its pods, listed through
 * the webhook's Kubernetes client or read from a `kubectl get pods -A -o json` dump), found by the webhook's own
 * image extraction. Counts are bounded; signature and attachment tags are not images and are left out.
 */
import { open } from "node:fs/promises";
import { SignetError } from "../../errors/index.js";
import { appendAll } from "../../internal/arrays.js";
import { parseJsonBytes, isRecord } from "../../internal/strict-json.js";
import type { ImageAccess } from "../../oci/image-access.js";
import { parseImageLocation } from "../../oci/reference/index.js";
import { extractImages } from "../../webhook/admission/extract-images.js";
import type { AdmissionRequest } from "../../webhook/admission/types.js";
import { createKubeClient, kubeApiError } from "../../webhook/kube/kube-client.js";
import type { AuditTarget, Workload } from "./model.js";

export interface TargetLimits {
  /** More images than this (after removing duplicates) is COUNT_LIMIT_EXCEEDED. */
  readonly maxImages: number;
  /** More repositories in the catalog than this is COUNT_LIMIT_EXCEEDED. */
  readonly maxRepositories: number;
}

export type AuditSource =
  | { readonly kind: "registry"; readonly registry: string; readonly namespace: string }
  | { readonly kind: "oci-layout"; readonly path: string }
  | { readonly kind: "kubeconfig"; readonly kubeconfig: string | undefined; readonly env: NodeJS.ProcessEnv; readonly timeoutMs: number }
  | { readonly kind: "pods-file"; readonly path: string };

/** `sha256-<hex>` (referrers tag schema) and `sha256-<hex>.sig|.att|.sbom` (cosign attachments) name no image. */
const ATTACHMENT_TAG = /^sha(256|384|512)-[0-9a-f]{64,128}(\.[A-Za-z0-9]+)?$/;

export function isAttachmentTag(tag: string): boolean {
  return ATTACHMENT_TAG.test(tag);
}

export function describeSource(source: AuditSource): string {
  switch (source.kind) {
    case "registry":
      return `registry ${source.registry}${source.namespace === "" ? "" : `/${source.namespace}`}`;
    case "oci-layout":
      return `oci-layout ${source.path}`;
    case "kubeconfig":
      return `cluster ${source.kubeconfig ?? "(in-cluster service account)"}`;
    case "pods-file":
      return `cluster dump ${source.path}`;
  }
}

export async function listTargets(source: AuditSource, access: ImageAccess, limits: TargetLimits): Promise<AuditTarget[]> {
  switch (source.kind) {
    case "registry":
      return registryTargets(source.registry, source.namespace, access, limits);
    case "oci-layout":
      return layoutTargets(source.path, access, limits);
    case "kubeconfig":
      return podTargets(await listClusterPods(source, limits), limits);
    case "pods-file":
      return podTargets(await readPodsFile(source.path), limits);
  }
}

async function registryTargets(registry: string, namespace: string, access: ImageAccess, limits: TargetLimits): Promise<AuditTarget[]> {
  const repositories = (await access.listRepositories(registry, limits.maxRepositories))
    .filter((name) => namespace === "" || name === namespace || name.startsWith(`${namespace}/`))
    .sort();
  const targets: AuditTarget[] = [];
  for (const name of repositories) {
    const repository = await access.repositoryByName(`${registry}/${name}`);
    const tags = (await repository.listTags()).filter((tag) => !isAttachmentTag(tag)).sort();
    for (const tag of tags) {
      targets.push({ image: `${registry}/${name}:${tag}`, namespace: name, workloads: [] });
      checkCount(targets.length, limits);
    }
  }
  return targets;
}

async function layoutTargets(path: string, access: ImageAccess, limits: TargetLimits): Promise<AuditTarget[]> {
  const repository = await access.repositoryFor(parseImageLocation(`oci:${path}`));
  const tags = (await repository.listTags()).filter((tag) => !isAttachmentTag(tag)).sort();
  checkCount(tags.length, limits);
  return tags.map((tag) => ({ image: `oci:${path}:${tag}`, namespace: path, workloads: [] }));
}

function checkCount(count: number, limits: TargetLimits): void {
  if (count > limits.maxImages) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `the audit found more than ${limits.maxImages} images`, {
      hint: "Audit a narrower namespace, or raise --max-images.",
      details: { limit: limits.maxImages },
    });
  }
}

/** A pods dump is read whole: at most this many bytes (a few KiB per pod: some 100,000 pods). */
export const PODS_FILE_MAX_BYTES = 512 * 1024 * 1024;
const PODS_PAGE = 500;
const PODS_PAGE_MAX_BYTES = 64 * 1024 * 1024;
const PODS_MAX = 200_000;

async function readPodsFile(path: string): Promise<unknown[]> {
  let bytes: Buffer;
  const handle = await open(path, "r").catch((error: NodeJS.ErrnoException) => {
    throw new SignetError(error.code === "ENOENT" ? "FILE_NOT_FOUND" : "IO_ERROR", `cannot read the pods dump ${path}: ${error.code ?? error.message}`);
  });
  try {
    const size = (await handle.stat()).size;
    if (size > PODS_FILE_MAX_BYTES) {
      throw new SignetError("AUDIT_SOURCE_INVALID", `the pods dump ${path} is larger than ${PODS_FILE_MAX_BYTES} bytes`);
    }
    bytes = await handle.readFile();
  } finally {
    await handle.close();
  }
  const parsed = parseJsonBytes(bytes, `the pods dump ${path}`, "AUDIT_SOURCE_INVALID");
  if (isRecord(parsed) && parsed["kind"] === "Pod") return [parsed];
  if (isRecord(parsed) && Array.isArray(parsed["items"])) return parsed["items"];
  throw new SignetError("AUDIT_SOURCE_INVALID", `${path} is not a list of pods (the output of \`kubectl get pods -A -o json\`)`);
}

/** Every pod of every namespace, in pages (`limit`/`continue`), bounded in bytes per page and in count. */
async function listClusterPods(source: Extract<AuditSource, { kind: "kubeconfig" }>, limits: TargetLimits): Promise<unknown[]> {
  const client = createKubeClient({ kubeconfig: source.kubeconfig, env: source.env, timeoutMs: source.timeoutMs });
  const pods: unknown[] = [];
  try {
    let continueToken: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(PODS_PAGE) });
      if (continueToken !== undefined) query.set("continue", continueToken);
      const what = "list pods in all namespaces";
      const response = await client.send({ method: "GET", path: `/api/v1/pods?${query}`, maxBytes: PODS_PAGE_MAX_BYTES, what });
      if (response.status !== 200) throw kubeApiError(what, response.status, response.body);
      const body = isRecord(response.body) ? response.body : undefined;
      const items = body?.["items"];
      if (!Array.isArray(items)) throw new SignetError("KUBE_API_FAILED", `Kubernetes API: ${what}: the answer is not a list`);
      appendAll(pods, items);
      if (pods.length > Math.min(PODS_MAX, limits.maxImages * 100)) throw new SignetError("COUNT_LIMIT_EXCEEDED", `the cluster has more than ${pods.length - items.length} pods`);
      const metadata = isRecord(body?.["metadata"]) ? (body["metadata"] as Record<string, unknown>) : undefined;
      const next = metadata?.["continue"];
      continueToken = typeof next === "string" && next !== "" ? next : undefined;
    } while (continueToken !== undefined);
  } finally {
    await client.close();
  }
  return pods;
}

/** The images of the pods, through the webhook's extraction (containers, init and ephemeral containers, image volumes). */
function podTargets(pods: readonly unknown[], limits: TargetLimits): AuditTarget[] {
  const byImage = new Map<string, { namespace: string; workloads: Workload[] }>();
  pods.forEach((pod, index) => {
    const metadata = isRecord(pod) && isRecord(pod["metadata"]) ? pod["metadata"] : {};
    const namespace = typeof metadata["namespace"] === "string" ? metadata["namespace"] : "default";
    const name = typeof metadata["name"] === "string" ? metadata["name"] : `#${index}`;
    const request: AdmissionRequest = {
      uid: `audit-${index}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      name,
      namespace,
      operation: "CREATE",
      userInfo: {},
      untrustedObject: pod,
      untrustedOldObject: undefined,
      dryRun: true,
    };
    let images;
    try {
      images = extractImages(request);
    } catch (error) {
      throw new SignetError("AUDIT_SOURCE_INVALID", `pod ${namespace}/${name}: ${(error as Error).message}`, { cause: error });
    }
    for (const image of images) {
      const entry = byImage.get(image.image) ?? { namespace, workloads: [] };
      entry.workloads.push({ namespace, pod: name, container: image.containerName });
      byImage.set(image.image, entry);
      checkCount(byImage.size, limits);
    }
  });
  // An image run in several namespaces is counted once, under the first namespace that runs it; its workloads name them all.
  return [...byImage.entries()].map(([image, entry]) => ({ image, namespace: entry.namespace, workloads: entry.workloads }));
}
