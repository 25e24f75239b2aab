/**
 * Which pull secrets an admission request's pods use: the pod spec's `imagePullSecrets` and its service
 * account (`serviceAccountName`, "default" when unset, as the API server fills it in).
 */
import { SignetError } from "../../errors/index.js";
import { isRecord } from "../../internal/strict-json.js";
import type { AdmissionRequest } from "../admission/types.js";

export interface PullSecretRefs {
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** Names from the pod spec, in order, without duplicates. */
  readonly podSecrets: readonly string[];
}

/** A pod names a handful; more is refused rather than fetched. */
export const PULL_SECRETS_MAX = 32;
const NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

const POD_SPEC_PATHS: ReadonlyMap<string, readonly string[]> = new Map([
  ["/Pod", ["spec"]],
  ["batch/CronJob", ["spec", "jobTemplate", "spec", "template", "spec"]],
]);
const TEMPLATE_SPEC = ["spec", "template", "spec"];

/** The pull secret references of the request's object; undefined for a request without a namespace. */
export function pullSecretRefsOf(request: AdmissionRequest): PullSecretRefs | undefined {
  if (request.namespace === undefined || request.namespace === "") return undefined;
  const path = POD_SPEC_PATHS.get(`${request.kind.group}/${request.kind.kind}`) ?? TEMPLATE_SPEC;
  let spec: unknown = request.untrustedObject;
  for (const key of path) spec = isRecord(spec) ? spec[key] : undefined;
  // The legacy EphemeralContainers kind has no pod spec: only the namespace's default service account applies.
  const untrustedSpec = isRecord(spec) ? spec : {};
  const account = untrustedSpec["serviceAccountName"] ?? untrustedSpec["serviceAccount"];
  const serviceAccountName = typeof account === "string" && account !== "" ? checkName(account, "serviceAccountName") : "default";
  const untrustedList = untrustedSpec["imagePullSecrets"];
  const podSecrets: string[] = [];
  if (untrustedList !== undefined && untrustedList !== null) {
    if (!Array.isArray(untrustedList)) throw invalid("imagePullSecrets is not a list");
    if (untrustedList.length > PULL_SECRETS_MAX) throw invalid(`imagePullSecrets names ${untrustedList.length} secrets; at most ${PULL_SECRETS_MAX} are read`);
    for (const entry of untrustedList) {
      const name = isRecord(entry) ? entry["name"] : undefined;
      // An entry without a name is ignored, as the kubelet does.
      if (typeof name !== "string" || name === "") continue;
      checkName(name, "imagePullSecrets name");
      if (!podSecrets.includes(name)) podSecrets.push(name);
    }
  }
  return { namespace: request.namespace, serviceAccountName, podSecrets };
}

export function checkName(name: string, what: string): string {
  if (!NAME.test(name)) throw invalid(`${what} ${JSON.stringify(name.slice(0, 100))} is not a valid object name`);
  return name;
}

function invalid(problem: string): SignetError {
  return new SignetError("ADMISSION_REVIEW_INVALID", `cannot read the pod's pull secrets: ${problem}`);
}
