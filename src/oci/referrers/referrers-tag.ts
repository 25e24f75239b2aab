import type { Digest } from "../../internal/digest.js";
import { digestAlgorithm, digestHex } from "../../internal/digest.js";

/**
 * The referrers tag schema's tag for a subject (OCI distribution spec 1.1, "Referrers Tag Schema"):
 * `<alg>-<hex>`, the algorithm cut to 32 characters and the hex to 64, e.g. `sha256-<64 hex>`. Registries
 * without the referrers API (Debian's docker-registry 2.8) list an image's referrers in an index under it.
 */
export function referrersTag(subject: Digest): string {
  return `${digestAlgorithm(subject).slice(0, 32)}-${digestHex(subject).slice(0, 64)}`;
}
