import type { SignedBaseLayerConfig } from "../config/policy-config.js";
import type { CompiledRequirement } from "./compiled-requirement.js";

/** signedBaseLayer: parsed, but not implemented (containers/image does not implement it either), so it rejects. */
export function compileSignedBaseLayer(config: SignedBaseLayerConfig): CompiledRequirement {
  return {
    config,
    summary: `signedBaseLayer (${config.baseLayerIdentity.type})`,
    evaluate: () =>
      Promise.resolve({
        allowed: false,
        reason: "signedBaseLayer is not implemented (containers/image does not implement it either), so it rejects every image",
        hint: "Remove the signedBaseLayer requirement, or require signatures with signedBy or sigstoreSigned.",
        code: "POLICY_UNSUPPORTED",
        signatures: [],
      }),
  };
}
