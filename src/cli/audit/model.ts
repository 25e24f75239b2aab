/**
 * What `signet audit` finds and decides, as data: the images it enumerated (targets), one verdict per image, and
 * the report built from the verdicts. The JSON report is this model as is; the HTML and SARIF are rendered from it.
 * Every string that came from a registry, a layout or a cluster (names, tags, annotations, identities, messages) is
 * untrusted: renderers escape it.
 */
import type { ErrorCode } from "../../errors/index.js";

export const AUDIT_REPORT_VERSION = 1;

/** Where a cluster runs an image (one per container that names it). */
export interface Workload {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
}

/** One image to verify. `image` is the reference verified; equal references are verified once. */
export interface AuditTarget {
  readonly image: string;
  /** The Kubernetes namespace, or the repository (registry and layout audits). */
  readonly namespace: string;
  /** Where a cluster runs it (empty for registries and layouts). */
  readonly workloads: readonly Workload[];
}

/**
 * verified: the policy allowed it (a signature verified); unsigned: no signature at all (SIG_MISSING); failed:
 * signatures were found and rejected (a rejection code); error: it could not be evaluated (registry, key, input).
 */
export type AuditStatus = "verified" | "unsigned" | "failed" | "error";

export interface AuditVerdict {
  readonly image: string;
  readonly namespace: string;
  readonly workloads: readonly Workload[];
  readonly status: AuditStatus;
  /** The digest verified (absent when the image could not be resolved). */
  readonly digest?: string;
  /** Who signed it (verified signers only). */
  readonly signers: readonly string[];
  /** The signature formats that verified: cosign-legacy, sigstore-bundle, simple-signing; policy.json requirement types. */
  readonly formats: readonly string[];
  readonly code?: ErrorCode;
  readonly reason?: string;
  /** The fix: the error's own hint, else the catalog's. */
  readonly hint?: string;
}

export interface Tally {
  readonly total: number;
  readonly verified: number;
  readonly unsigned: number;
  readonly failed: number;
  readonly error: number;
}

export interface AuditReport {
  readonly signetAudit: typeof AUDIT_REPORT_VERSION;
  /** What was audited: `registry 127.0.0.1:5000/team`, `oci-layout ./layout`, `cluster (kubeconfig)`, `cluster (pods.json)`. */
  readonly source: string;
  /** What the images were verified against: `policy /etc/containers/policy.json`, `key cosign.pub`, an identity. */
  readonly policy: string;
  readonly generatedAt: string;
  readonly run: {
    /** Verdicts taken from the state file (--resume) rather than verified in this run. */
    readonly resumed: number;
    readonly verifiedNow: number;
    readonly durationMs: number;
    readonly registryRequests: number;
  };
  readonly totals: Tally;
  /** Coverage per namespace, signer and format, sorted by name. */
  readonly byNamespace: readonly (Tally & { readonly name: string })[];
  readonly bySigner: readonly { readonly name: string; readonly images: number }[];
  readonly byFormat: readonly { readonly name: string; readonly images: number }[];
  readonly byCode: readonly { readonly code: string; readonly images: number; readonly hint: string }[];
  /** Every verdict, in the order the images were enumerated. */
  readonly images: readonly AuditVerdict[];
}
