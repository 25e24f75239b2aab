import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { parseAllDocuments } from "yaml";

export type K8sObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> } };

function onPath(command: string): string | undefined {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** kubectl with kustomize: $KUBECTL, else `kubectl` on PATH; tests that render deploy/ fail at once without it. */
export function kubectlPath(): string {
  const fromEnv = process.env["KUBECTL"];
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!existsSync(fromEnv)) throw new Error(`KUBECTL=${fromEnv} does not exist: install kubectl (apt-get install kubectl) or fix KUBECTL`);
    return fromEnv;
  }
  const found = onPath("kubectl");
  if (found === undefined) throw new Error("kubectl not found: install kubectl (apt-get install kubectl; it includes kustomize) to render deploy/");
  return found;
}

/**
 * helm: $HELM (which must exist: set it and a missing binary fails the test with "install helm"), else `helm`
 * on PATH, else undefined (helm is not packaged for Debian: the chart tests then say they need it).
 */
export function helmPath(): string | undefined {
  const fromEnv = process.env["HELM"];
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!existsSync(fromEnv)) throw new Error(`HELM=${fromEnv} does not exist: install helm (https://helm.sh/docs/intro/install/) or unset HELM`);
    return fromEnv;
  }
  return onPath("helm");
}

/** Every object of a multi-document YAML stream (empty documents skipped, duplicate keys refused). */
export function parseObjects(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text, { uniqueKeys: true }).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`${source}: ${document.errors[0]!.message}`);
    const value = document.toJS() as K8sObject | null;
    return value === null ? [] : [value];
  });
}

/** `kubectl kustomize DIR`, parsed. */
export function kustomize(dir: string): K8sObject[] {
  return parseObjects(execFileSync(kubectlPath(), ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }), `kubectl kustomize ${dir}`);
}

/** `helm template RELEASE CHART --namespace NS -f VALUES...`, parsed. */
export function helmTemplate(helm: string, chart: string, options: { release: string; namespace: string; valuesFiles?: readonly string[]; set?: readonly string[] }): K8sObject[] {
  const args = ["template", options.release, chart, "--namespace", options.namespace, ...(options.valuesFiles ?? []).flatMap((file) => ["-f", file]), ...(options.set ?? []).flatMap((item) => ["--set", item])];
  return parseObjects(execFileSync(helm, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }), `helm ${args.join(" ")}`);
}
