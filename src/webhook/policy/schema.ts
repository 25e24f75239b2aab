/**
 * The ClusterImagePolicy CRD's structural schema (config/300-clusterimagepolicy.yaml upstream; v1alpha1 and
 * v1beta1 share it) as zod: the types the API server checks before policy-controller's own validation runs.
 * Unknown fields are refused, as `kubectl apply` with strict field validation does, so a misspelt field
 * (`identity:` for `identities:`) is an error instead of a silently weaker policy.
 */
import { z } from "zod";

const str = z.string();
const bool = z.boolean();

const secretRef = z.strictObject({ name: str.optional(), namespace: str.optional() });

const keyRef = z.strictObject({
  data: str.optional(),
  kms: str.optional(),
  secretRef: secretRef.optional(),
  hashAlgorithm: str.optional(),
});

const identity = z.strictObject({
  issuer: str.optional(),
  subject: str.optional(),
  issuerRegExp: str.optional(),
  subjectRegExp: str.optional(),
});

const keyless = z.strictObject({
  url: str.optional(),
  identities: z.array(identity).nullable().optional(),
  "ca-cert": keyRef.optional(),
  trustRootRef: str.optional(),
  insecureIgnoreSCT: bool.optional(),
});

const policyBody = z.strictObject({
  type: str.optional(),
  data: str.optional(),
  configMapRef: z.strictObject({ name: str.optional(), namespace: str.optional(), key: str.optional() }).optional(),
  remote: z.strictObject({ url: str.optional(), sha256sum: str.optional() }).optional(),
  fetchConfigFile: bool.optional(),
  includeSpec: bool.optional(),
  includeObjectMeta: bool.optional(),
  includeTypeMeta: bool.optional(),
});

const secretEntryRef = z.strictObject({ name: str.optional(), namespace: str.optional(), key: str.optional() });

/** signet's extension (docs/notation.md): a Notation trust policy and its trust stores. */
const notation = z.strictObject({
  trustPolicy: str.optional(),
  trustPolicyPath: str.optional(),
  trustPolicySecretRef: secretEntryRef.optional(),
  trustStorePath: str.optional(),
  trustStores: z.array(z.strictObject({ name: str.optional(), data: str.optional(), path: str.optional(), secretRef: secretEntryRef.optional() })).optional(),
  userMetadata: z.record(str, str).optional(),
});

const authority = z.strictObject({
  name: str.optional(),
  key: keyRef.optional(),
  notation: notation.optional(),
  keyless: keyless.optional(),
  static: z.strictObject({ action: str.optional(), message: str.optional() }).optional(),
  attestations: z.array(z.strictObject({ name: str.optional(), predicateType: str.optional(), policy: policyBody.optional() })).optional(),
  source: z
    .array(
      z.strictObject({
        oci: str.optional(),
        signaturePullSecrets: z.array(z.strictObject({ name: str.optional() })).optional(),
        tagPrefix: str.optional(),
      }),
    )
    .optional(),
  ctlog: z.strictObject({ url: str.optional(), trustRootRef: str.optional() }).optional(),
  rfc3161timestamp: z.strictObject({ trustRootRef: str.optional() }).optional(),
  signatureFormat: str.optional(),
});

const labelSelector = z.strictObject({
  matchLabels: z.record(str, str).optional(),
  matchExpressions: z.array(z.strictObject({ key: str, operator: str, values: z.array(str).optional() })).optional(),
});

export const clusterImagePolicySpecSchema = z.strictObject({
  images: z.array(z.strictObject({ glob: str.optional() })).optional(),
  authorities: z.array(authority).nullable().optional(),
  mode: str.optional(),
  match: z.array(z.strictObject({ group: str.optional(), version: str.optional(), resource: str.optional(), selector: labelSelector.optional() })).optional(),
  policy: policyBody.optional(),
});

export const clusterImagePolicySchema = z.strictObject({
  apiVersion: str,
  kind: str,
  metadata: z.looseObject({
    name: str.optional(),
    labels: z.record(str, str).optional(),
    annotations: z.record(str, str).optional(),
  }),
  spec: clusterImagePolicySpecSchema,
  status: z.unknown().optional(),
});
