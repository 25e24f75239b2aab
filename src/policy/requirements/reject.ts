import type { RejectConfig } from "../config/policy-config.js";
import type { CompiledRequirement } from "./compiled-requirement.js";

/** reject: every image in the scope is rejected. */
export function compileReject(config: RejectConfig): CompiledRequirement {
  return {
    config,
    summary: "reject",
    evaluate: (context) =>
      Promise.resolve({
        allowed: false,
        reason: `the policy rejects every image in this scope, ${context.imageName} included`,
        hint: "If this image should be allowed, add a scope for it (its repository or a namespace) with the requirements it must meet.",
        code: "POLICY_DENIED",
        signatures: [],
      }),
  };
}
