/**
 * `signet policy init`: a policy that rejects everything except the named images, which must be signed by the
 * named keys. This is the shape Confidential Containers users register in KBS as their security policy.
 */
import { SignetError } from "../errors/index.js";
import { formatImageReference, isNameOnly, parseNormalizedName, repositoryName } from "../oci/reference/index.js";
import { parsePolicy } from "./config/index.js";

export interface InitPolicyOptions {
  /** Repositories (or exact references) to allow: "ghcr.io/org/app", "quay.io/org/app:1.0". */
  images: readonly string[];
  /** Cosign public keys (paths or kbs:// / k8s:// locations): a sigstoreSigned requirement. */
  cosignKeys?: readonly string[];
  /** GPG keyrings: a signedBy requirement. */
  gpgKeys?: readonly string[];
}

/**
 * The policy text (JSON, 4-space indent, as containers/image's examples). Each image becomes a docker scope in
 * its fully expanded form; with both kinds of keys, both signatures are required (requirements are ANDed).
 * Cosign signatures name only the repository, so sigstoreSigned uses signedIdentity matchRepository.
 */
export function createInitPolicy(options: InitPolicyOptions): string {
  const cosignKeys = options.cosignKeys ?? [];
  const gpgKeys = options.gpgKeys ?? [];
  if (options.images.length === 0) throw new SignetError("USAGE", "policy init needs at least one --image");
  if (cosignKeys.length === 0 && gpgKeys.length === 0) throw new SignetError("USAGE", "policy init needs at least one --key (cosign) or --gpg-key (GPG)");
  const requirements: Record<string, unknown>[] = [];
  if (cosignKeys.length > 0) {
    requirements.push({ type: "sigstoreSigned", ...keyField(cosignKeys), signedIdentity: { type: "matchRepository" } });
  }
  if (gpgKeys.length > 0) {
    requirements.push({ type: "signedBy", keyType: "GPGKeys", ...keyField(gpgKeys) });
  }
  const scopes: Record<string, unknown> = {};
  for (const image of options.images) {
    const scope = scopeFor(image);
    if (Object.hasOwn(scopes, scope)) throw new SignetError("USAGE", `--image ${image} is named twice (as ${scope})`);
    scopes[scope] = requirements;
  }
  const text = `${JSON.stringify({ default: [{ type: "reject" }], transports: { docker: scopes } }, null, 4)}\n`;
  parsePolicy(text, { source: "the generated policy" }); // never hand out a policy signet itself would refuse
  return text;
}

function keyField(keys: readonly string[]): Record<string, unknown> {
  for (const key of keys) if (key === "") throw new SignetError("USAGE", "a key location must not be empty");
  return keys.length === 1 ? { keyPath: keys[0] } : { keyPaths: [...keys] };
}

/** "nginx" → "docker.io/library/nginx"; a tag or digest, when given, stays part of the scope. */
function scopeFor(image: string): string {
  const text = image.startsWith("docker://") ? image.slice("docker://".length) : image;
  const reference = parseNormalizedName(text);
  if (reference.tag !== undefined && reference.digest !== undefined) {
    throw new SignetError("USAGE", `--image ${image} has both a tag and a digest; a scope names one or the other`);
  }
  return isNameOnly(reference) ? repositoryName(reference) : formatImageReference(reference);
}
