import type { Digest } from "../../internal/digest.js";
import { digestAlgorithm, digestHex } from "../../internal/digest.js";

export type AttachmentKind = "sig" | "att" | "sbom";

/** cosign's tag for what is attached to an image: `sha256-<hex>.sig` (and `.att`, `.sbom`). */
export function attachmentTag(imageDigest: Digest, kind: AttachmentKind = "sig"): string {
  return `${digestAlgorithm(imageDigest)}-${digestHex(imageDigest)}.${kind}`;
}
