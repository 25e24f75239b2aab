// A minimal `kubectl kustomize` for the features deploy/ uses (there is no kubectl here): `resources` (files
// and kustomization folders), `images` (newName/newTag) and `patches` (inline JSON 6902 with a kind/name
// target). Any other kustomization field fails the render, so deploy/ cannot quietly outgrow this renderer.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, parse as parseYaml } from "yaml";

export type K8sObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

const SUPPORTED = new Set(["apiVersion", "kind", "resources", "images", "patches"]);

export function renderKustomization(dir: string): K8sObject[] {
  const path = join(dir, "kustomization.yaml");
  const kustomization = parseYaml(readFileSync(path, "utf8")) as Record<string, unknown>;
  for (const key of Object.keys(kustomization)) if (!SUPPORTED.has(key)) throw new Error(`${path}: the test renderer does not support ${key}`);
  if (kustomization["kind"] !== "Kustomization") throw new Error(`${path}: not a Kustomization`);
  const objects: K8sObject[] = [];
  for (const resource of (kustomization["resources"] as string[] | undefined) ?? []) {
    const target = join(dir, resource);
    if (!existsSync(target)) throw new Error(`${path}: resource ${resource} does not exist`);
    if (statSync(target).isDirectory()) objects.push(...renderKustomization(target));
    else objects.push(...readObjects(target));
  }
  for (const image of (kustomization["images"] as { name: string; newName?: string; newTag?: string }[] | undefined) ?? []) applyImage(objects, image);
  for (const patch of (kustomization["patches"] as { target: { kind: string; name: string }; patch: string }[] | undefined) ?? []) {
    const targets = objects.filter((object) => object.kind === patch.target.kind && object.metadata.name === patch.target.name);
    if (targets.length === 0) throw new Error(`${path}: patch target ${patch.target.kind}/${patch.target.name} not found`);
    const operations = parseYaml(patch.patch) as { op: string; path: string; value?: unknown }[];
    for (const target of targets) for (const operation of operations) applyJsonPatch(target, operation);
  }
  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
    if (seen.has(id)) throw new Error(`${dir}: ${id} is defined twice`);
    seen.add(id);
  }
  return objects;
}

function readObjects(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, "utf8"), { uniqueKeys: true }).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
    return document.toJS() as K8sObject;
  });
}

function applyImage(objects: K8sObject[], image: { name: string; newName?: string; newTag?: string }): void {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== "object" || value === null) return;
    const record = value as Record<string, unknown>;
    const current = record["image"];
    if (typeof current === "string" && (current === image.name || current.startsWith(`${image.name}:`))) {
      const tag = image.newTag ?? (current.includes(":") ? current.slice(current.indexOf(":") + 1) : undefined);
      record["image"] = `${image.newName ?? image.name}${tag === undefined ? "" : `:${tag}`}`;
    }
    for (const child of Object.values(record)) visit(child);
  };
  visit(objects);
}

/** RFC 6902 add / replace / remove, with RFC 6901 pointers ("-" appends). */
export function applyJsonPatch(document: Record<string, unknown>, operation: { op: string; path: string; value?: unknown }): void {
  const tokens = operation.path.split("/").slice(1).map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
  const last = tokens.pop();
  if (last === undefined) throw new Error(`cannot patch the document root`);
  let parent: unknown = document;
  for (const token of tokens) {
    parent = Array.isArray(parent) ? parent[Number(token)] : (parent as Record<string, unknown>)[token];
    if (typeof parent !== "object" || parent === null) throw new Error(`patch path ${operation.path} does not exist`);
  }
  if (Array.isArray(parent)) {
    const index = last === "-" ? parent.length : Number(last);
    if (operation.op === "add") parent.splice(index, 0, operation.value);
    else if (operation.op === "replace") parent[index] = operation.value;
    else if (operation.op === "remove") parent.splice(index, 1);
    else throw new Error(`unsupported patch op ${operation.op}`);
    return;
  }
  const record = parent as Record<string, unknown>;
  if (operation.op === "add" || operation.op === "replace") {
    if (operation.op === "replace" && !(last in record)) throw new Error(`patch path ${operation.path} does not exist`);
    record[last] = operation.value;
  } else if (operation.op === "remove") delete record[last];
  else throw new Error(`unsupported patch op ${operation.op}`);
}
