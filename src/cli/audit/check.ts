/**
 * One verdict per image, through the one verifier: signet verify's (`verifyImage` with the requirement built from
 * --key or the --certificate-* flags) or policy verify's (`evaluatePolicy` with its fetchers). Nothing here
 * verifies anything itself: it classifies what the verifier decided.
 */
import { ERROR_CATALOG, mostTelling, toSignetError, type SignetError } from "../../errors/index.js";
import type { ImageAccess } from "../../oci/image-access.js";
import { parseImageLocation } from "../../oci/reference/index.js";
import type { PolicyDecision } from "../../policy/index.js";
import { verifyImage, type VerifiedSignature } from "../../signatures/verifier/index.js";
import type { PolicyEvaluator } from "../commands/policy.js";
import type { SignerSetup } from "../signer-options.js";
import type { AuditStatus, AuditTarget, AuditVerdict } from "./model.js";

export interface ImageChecker {
  /** What images are verified against, for the report: `policy FILE`, `key cosign.pub`, an identity. */
  readonly description: string;
  check(target: AuditTarget): Promise<AuditVerdict>;
}

/** signet verify's path: the signer requirement of --key or --certificate-identity/--certificate-oidc-issuer. */
export function createSignerChecker(access: ImageAccess, setup: SignerSetup): ImageChecker {
  return {
    description: setup.description,
    async check(target) {
      try {
        const result = await verifyImage(access, target.image, { requirement: setup.requirement });
        return {
          ...base(target),
          status: "verified",
          digest: result.digest,
          signers: unique(result.verified.map((signature) => signerName(signature, setup))),
          formats: unique(result.verified.map((signature) => signature.format)),
        };
      } catch (error) {
        return failure(target, toSignetError(error));
      }
    },
  };
}

/** policy verify's path: containers-policy.json evaluated with the same fetchers as `signet policy verify`. */
export function createPolicyChecker(evaluator: PolicyEvaluator): ImageChecker {
  return {
    description: `policy ${evaluator.location}`,
    async check(target) {
      let decision: PolicyDecision;
      try {
        decision = await evaluator.evaluate(parseImageLocation(target.image));
      } catch (error) {
        return failure(target, toSignetError(error));
      }
      return fromDecision(target, decision);
    },
  };
}

function fromDecision(target: AuditTarget, decision: PolicyDecision): AuditVerdict {
  const digest = decision.digest === undefined ? {} : { digest: decision.digest };
  if (decision.allowed) {
    const accepted = decision.requirements.filter((requirement) => requirement.allowed);
    return {
      ...base(target),
      ...digest,
      status: "verified",
      signers: unique(accepted.flatMap((requirement) => requirement.signatures.filter((s) => s.allowed && s.signer !== undefined).map((s) => s.signer!))),
      formats: unique(accepted.map((requirement) => requirement.type)),
    };
  }
  // The requirement that explains the denial best, by the catalog's one ranking; the decision's own code otherwise.
  const telling = mostTelling(decision.requirements.filter((requirement) => !requirement.allowed && requirement.code !== undefined));
  const code = telling?.code ?? decision.code ?? "POLICY_DENIED";
  const status: AuditStatus = decision.outcome === "error" ? "error" : code === "SIG_MISSING" ? "unsigned" : "failed";
  return {
    ...base(target),
    ...digest,
    status,
    signers: [],
    formats: [],
    code,
    reason: telling?.reason ?? decision.reason,
    hint: telling?.hint ?? decision.hint ?? ERROR_CATALOG[code].hint,
  };
}

function failure(target: AuditTarget, error: SignetError): AuditVerdict {
  const category = ERROR_CATALOG[error.code].category;
  const status: AuditStatus = error.code === "SIG_MISSING" ? "unsigned" : category === "rejected" ? "failed" : "error";
  return { ...base(target), status, signers: [], formats: [], code: error.code, reason: error.message, hint: error.hint };
}

function base(target: AuditTarget): Pick<AuditVerdict, "image" | "namespace" | "workloads"> {
  return { image: target.image, namespace: target.namespace, workloads: target.workloads };
}

function signerName(signature: VerifiedSignature, setup: SignerSetup): string {
  const signer = signature.signer;
  if (signer.kind === "gpg") return `gpg ${signer.fingerprint}`;
  if (signer.kind === "keyless") return `${signer.subject ?? "(no subject)"} (issuer ${signer.issuer ?? "unknown"})`;
  return setup.description;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
