/**
 * Finds every image an object can run: containers, initContainers, ephemeralContainers and image volumes of a
 * Pod, or of the pod template of a workload. The object is untrusted JSON: anything that is not the expected
 * shape is an error (the request is then denied), never skipped.
 */
import { SignetError } from "../../errors/index.js";
import type { AdmissionRequest, ContainerImage, ContainerKind, ExtractImagesOptions } from "./types.js";
import { appendAll } from "../../internal/arrays.js";

/** More than this many images in one object is refused (a pod has a handful). */
export const IMAGES_PER_OBJECT_MAX = 1000;

type Path = readonly string[];

interface KindLayout {
  /** Where the pod spec is, from the object's root. */
  podSpec: Path;
  /** Where the metadata of the pods it makes is (their annotations carry the per-container identities). */
  podMetadata: Path;
}

const TEMPLATE: KindLayout = { podSpec: ["spec", "template", "spec"], podMetadata: ["spec", "template", "metadata"] };

/** By "group/Kind" of request.kind. */
const LAYOUTS: ReadonlyMap<string, KindLayout> = new Map([
  ["/Pod", { podSpec: ["spec"], podMetadata: ["metadata"] }],
  ["apps/Deployment", TEMPLATE],
  ["apps/ReplicaSet", TEMPLATE],
  ["apps/StatefulSet", TEMPLATE],
  ["apps/DaemonSet", TEMPLATE],
  ["extensions/Deployment", TEMPLATE],
  ["extensions/ReplicaSet", TEMPLATE],
  ["extensions/DaemonSet", TEMPLATE],
  ["batch/Job", TEMPLATE],
  ["/ReplicationController", TEMPLATE],
  ["batch/CronJob", { podSpec: ["spec", "jobTemplate", "spec", "template", "spec"], podMetadata: ["spec", "jobTemplate", "spec", "template", "metadata"] }],
]);

const CONTAINER_LISTS: readonly { field: string; kind: ContainerKind }[] = [
  { field: "initContainers", kind: "initContainer" },
  { field: "containers", kind: "container" },
  { field: "ephemeralContainers", kind: "ephemeralContainer" },
];

export const SUBJECT_ANNOTATION_PREFIX = "subject.cosign.sigstore.dev/";
export const ISSUER_ANNOTATION_PREFIX = "issuer.cosign.sigstore.dev/";

/** True when signet knows where this kind keeps its images. */
export function isSupportedKind(kind: { group: string; kind: string }): boolean {
  return LAYOUTS.has(`${kind.group}/${kind.kind}`) || (kind.group === "" && kind.kind === "EphemeralContainers");
}

/**
 * Every image of the request's object, with a JSON pointer to it. Throws ADMISSION_KIND_UNSUPPORTED for kinds
 * it does not know and ADMISSION_REVIEW_INVALID for an object that is not the expected shape.
 */
export function extractImages(request: AdmissionRequest, options: ExtractImagesOptions = {}): ContainerImage[] {
  const object = request.untrustedObject;
  if (!isRecord(object)) throw malformed(request, "the request carries no object to inspect");
  const { group, kind } = request.kind;
  // The EphemeralContainers kind (Kubernetes 1.16 to 1.22) holds the list at its root.
  if (group === "" && kind === "EphemeralContainers") {
    return imagesOfSpec(request, object, [], [], true, options);
  }
  const layout = LAYOUTS.get(`${group}/${kind}`);
  if (layout === undefined) {
    throw new SignetError("ADMISSION_KIND_UNSUPPORTED", `signet does not know where ${describeKind(request)} keeps its images, so it cannot admit it`, {
      details: { group, kind, version: request.kind.version },
    });
  }
  const objectKind = object["kind"];
  if (objectKind !== undefined && objectKind !== kind) {
    throw malformed(request, `the object says it is a ${JSON.stringify(objectKind)}, the request says ${JSON.stringify(kind)}`);
  }
  return imagesOfSpec(request, object, layout.podSpec, layout.podMetadata, false, options);
}

/** The object's own labels (policy-controller matches `spec.match` selectors on them). */
export function objectLabels(request: AdmissionRequest): Record<string, string> {
  const metadata = isRecord(request.untrustedObject) ? request.untrustedObject["metadata"] : undefined;
  const labels = isRecord(metadata) ? metadata["labels"] : undefined;
  return stringMap(labels);
}

function imagesOfSpec(
  request: AdmissionRequest,
  object: Record<string, unknown>,
  specPath: Path,
  metadataPath: Path,
  ephemeralOnly: boolean,
  options: ExtractImagesOptions,
): ContainerImage[] {
  const spec = specPath.length === 0 ? object : valueAt(object, specPath);
  if (!isRecord(spec)) throw malformed(request, `${pointer(specPath) || "/"} is not a pod spec`);
  const annotations = options.identityAnnotations === true ? stringMap(valueAt(object, [...metadataPath, "annotations"])) : {};
  const images: ContainerImage[] = [];
  for (const list of CONTAINER_LISTS) {
    if (ephemeralOnly && list.kind !== "ephemeralContainer") continue;
    const containers = spec[list.field];
    if (containers === undefined || containers === null) continue;
    const listPath = [...specPath, list.field];
    if (!Array.isArray(containers)) throw malformed(request, `${pointer(listPath)} is not a list`);
    containers.forEach((container: unknown, index) => {
      const at = [...listPath, String(index)];
      if (!isRecord(container)) throw malformed(request, `${pointer(at)} is not a container`);
      const name = typeof container["name"] === "string" ? container["name"] : `#${index}`;
      // A missing image is kept as "": evaluating it denies the object with a clear reason.
      const image = typeof container["image"] === "string" ? container["image"] : "";
      const entry: ContainerImage = { field: pointer([...at, "image"]), containerName: name, kind: list.kind, image };
      const identity = identityFor(name, annotations);
      if (identity !== undefined) entry.identity = identity;
      images.push(entry);
    });
  }
  if (!ephemeralOnly) appendAll(images, imageVolumes(request, spec, specPath));
  if (images.length > IMAGES_PER_OBJECT_MAX) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `${describeKind(request)} lists ${images.length} images; at most ${IMAGES_PER_OBJECT_MAX} are inspected`);
  }
  return images;
}

/** Image volumes (`volumes[].image.reference`, Kubernetes 1.31+) mount an image's content: it must be verified too. */
function imageVolumes(request: AdmissionRequest, spec: Record<string, unknown>, specPath: Path): ContainerImage[] {
  const volumes = spec["volumes"];
  if (volumes === undefined || volumes === null) return [];
  if (!Array.isArray(volumes)) throw malformed(request, `${pointer([...specPath, "volumes"])} is not a list`);
  const images: ContainerImage[] = [];
  volumes.forEach((volume: unknown, index) => {
    if (!isRecord(volume) || volume["image"] === undefined || volume["image"] === null) return;
    const at = [...specPath, "volumes", String(index), "image"];
    const source = volume["image"];
    if (!isRecord(source)) throw malformed(request, `${pointer(at)} is not an image volume source`);
    const reference = typeof source["reference"] === "string" ? source["reference"] : "";
    images.push({ field: pointer([...at, "reference"]), containerName: typeof volume["name"] === "string" ? volume["name"] : `#${index}`, kind: "imageVolume", image: reference });
  });
  return images;
}

function identityFor(container: string, annotations: Record<string, string>): ContainerImage["identity"] {
  const subject = Object.hasOwn(annotations, SUBJECT_ANNOTATION_PREFIX + container) ? annotations[SUBJECT_ANNOTATION_PREFIX + container] : undefined;
  const issuer = Object.hasOwn(annotations, ISSUER_ANNOTATION_PREFIX + container) ? annotations[ISSUER_ANNOTATION_PREFIX + container] : undefined;
  if (subject === undefined && issuer === undefined) return undefined;
  return { ...(subject === undefined ? {} : { subject }), ...(issuer === undefined ? {} : { issuer }) };
}

/** RFC 6901: "~" is written "~0" and "/" is written "~1". */
export function pointer(path: Path): string {
  return path.map((part) => `/${part.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

function describeKind(request: AdmissionRequest): string {
  const { group, version, kind } = request.kind;
  return `${kind} (${group === "" ? "" : `${group}/`}${version})`;
}

function malformed(request: AdmissionRequest, problem: string): SignetError {
  return new SignetError("ADMISSION_REVIEW_INVALID", `cannot inspect ${describeKind(request)}: ${problem}`);
}

function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const part of path) {
    if (!isRecord(value)) return undefined;
    value = value[part];
  }
  return value;
}

/** String entries only; fromEntries defines own properties, so a "__proto__" key stays a plain key. */
function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
