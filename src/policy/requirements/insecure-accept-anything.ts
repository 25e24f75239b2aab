import type { InsecureAcceptAnythingConfig } from "../config/policy-config.js";
import type { CompiledRequirement } from "./compiled-requirement.js";

/** insecureAcceptAnything: the image is accepted without looking at it (other requirements still apply). */
export function compileInsecureAcceptAnything(config: InsecureAcceptAnythingConfig): CompiledRequirement {
  return {
    config,
    summary: "insecureAcceptAnything",
    evaluate: () =>
      Promise.resolve({ allowed: true, reason: "insecureAcceptAnything accepts every image without checking signatures", signatures: [] }),
  };
}
