/**
 * What `signet webhook check-policy` adds to validation: the keys a ClusterImagePolicy names must be keys the
 * webhook can use. A `key.kms` whose provider is not built (or whose URI the provider refuses) and a keyless
 * `ca-cert.kms` (not evaluated) are errors with their code; a KMS the check could not reach is a warning.
 */
import { toSignetError } from "../../errors/index.js";
import type { PolicyDocumentReport, PolicyProblem } from "./types.js";

export interface KeyCheckOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Opens a KMS key (keys/kms by default); only opened, never asked to sign or fetch its public key. */
  readonly openKms?: (reference: string) => Promise<unknown>;
}

/** Adds a problem to each report whose policy names a key the webhook could not use. */
export async function checkPolicyKeys(reports: PolicyDocumentReport[], options: KeyCheckOptions = {}): Promise<void> {
  const openKms = options.openKms ?? (async (reference: string) => (await import("../../keys/kms/index.js")).openKmsKey(reference, options.env !== undefined ? { env: options.env } : {}));
  for (const report of reports) {
    const authorities = report.policy?.spec.authorities ?? [];
    for (const [index, authority] of authorities.entries()) {
      const kms = authority.key?.kms;
      if (kms !== undefined && kms !== "") {
        const path = `spec.authorities[${index}].key.kms`;
        try {
          await openKms(kms);
        } catch (error) {
          const cause = toSignetError(error);
          const refused = cause.code === "KEY_REF_UNSUPPORTED" || cause.code === "KEY_REF_INVALID";
          report.problems.push(problem(refused ? "error" : "warning", path, refused ? `${cause.code}: ${cause.message}` : `the KMS key could not be checked (${cause.code}: ${cause.message}); the webhook fails closed until it can be read`));
        }
      }
      const caKms = authority.keyless?.["ca-cert"]?.kms;
      if (caKms !== undefined && caKms !== "") {
        report.problems.push(problem("error", `spec.authorities[${index}].keyless.ca-cert.kms`, "KEY_REF_UNSUPPORTED: a CA certificate held in a KMS is not evaluated: give it as ca-cert.data or ca-cert.secretRef"));
      }
    }
  }
}

function problem(level: "error" | "warning", path: string, message: string): PolicyProblem {
  return { level, message, paths: [path], text: `${path}: ${message}` };
}
