/**
 * The ClusterImagePolicy CustomResourceDefinition that deploy/ installs, derived from the zod schema the
 * webhook validates policies with (schema.ts): the API server and the webhook accept the same fields, and
 * the manifest cannot drift from the code (`node scripts/gen-crd.mjs` writes it; a test compares).
 *
 * Group, names and versions are policy-controller's (policy.sigstore.dev, v1alpha1 and v1beta1 with the same
 * schema), so `kubectl apply -f` of an existing policy works unchanged. v1alpha1 is the storage version as in
 * policy-controller; there is no conversion webhook (strategy None): the schemas are identical.
 */
import { z } from "zod";
import { clusterImagePolicySpecSchema } from "./schema.js";

type JsonSchema = Record<string, unknown>;

export function clusterImagePolicyCrd(): Record<string, unknown> {
  const spec = toStructural(z.toJSONSchema(clusterImagePolicySpecSchema, { io: "input" }) as JsonSchema);
  const schema = {
    openAPIV3Schema: {
      description: "Images matching spec.images must satisfy spec.authorities (policy.sigstore.dev ClusterImagePolicy, enforced by signet).",
      type: "object",
      required: ["spec"],
      properties: {
        apiVersion: { type: "string" },
        kind: { type: "string" },
        metadata: { type: "object" },
        spec,
        status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
      },
    },
  };
  const version = (name: string, storage: boolean) => ({ name, served: true, storage, subresources: { status: {} }, schema });
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: "clusterimagepolicies.policy.sigstore.dev",
      labels: { "app.kubernetes.io/name": "signet-webhook" },
      // Deleting the CRD deletes every policy: `helm uninstall` leaves it in place.
      annotations: { "helm.sh/resource-policy": "keep" },
    },
    spec: {
      group: "policy.sigstore.dev",
      names: { kind: "ClusterImagePolicy", listKind: "ClusterImagePolicyList", plural: "clusterimagepolicies", singular: "clusterimagepolicy", shortNames: ["cip"], categories: ["all", "sigstore"] },
      scope: "Cluster",
      conversion: { strategy: "None" },
      versions: [version("v1alpha1", true), version("v1beta1", false)],
    },
  };
}

/** JSON Schema (as zod writes it) to a Kubernetes structural schema: types everywhere, nullable instead of null unions. */
function toStructural(schema: JsonSchema): JsonSchema {
  const anyOf = schema["anyOf"] as JsonSchema[] | undefined;
  if (anyOf !== undefined) {
    const rest = anyOf.filter((item) => item["type"] !== "null");
    if (rest.length !== 1) throw new Error(`cannot express anyOf ${JSON.stringify(anyOf).slice(0, 200)} structurally`);
    return { ...toStructural(rest[0]!), nullable: true };
  }
  const out: JsonSchema = {};
  const type = schema["type"];
  if (typeof type !== "string") throw new Error(`schema without a single type: ${JSON.stringify(schema).slice(0, 200)}`);
  out["type"] = type;
  if (Array.isArray(schema["required"]) && schema["required"].length > 0) out["required"] = schema["required"];
  if (Array.isArray(schema["enum"])) out["enum"] = schema["enum"];
  if (type === "object") {
    const properties = schema["properties"] as Record<string, JsonSchema> | undefined;
    const additional = schema["additionalProperties"];
    if (properties !== undefined) out["properties"] = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, toStructural(value)]));
    else if (typeof additional === "object" && additional !== null) out["additionalProperties"] = toStructural(additional as JsonSchema);
    else out["x-kubernetes-preserve-unknown-fields"] = true;
  }
  if (type === "array") out["items"] = toStructural(schema["items"] as JsonSchema);
  return out;
}
