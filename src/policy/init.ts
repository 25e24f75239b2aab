/**
 * `signet policy init`: a policy that rejects everything except the named images, which must be signed by the
 * named keys. This is the shape Confidential Containers users register in KBS as their security policy.
 */
import { SignetError } from "../errors/index.js";
import { formatImageReference, isNameOnly, parseNormalizedName, repositoryName } from "../oci/reference/index.js";
import { parsePolicy, type PolicySemantics } from "./config/index.js";

export interface InitPolicyOptions {
  /** Repositories (or exact references) to allow: "ghcr.io/org/app", "quay.io/org/app:1.0". */
  images: readonly string[];
  /** Cosign public keys (paths or kbs:// / k8s:// locations): a sigstoreSigned requirement. */
  cosignKeys?: readonly string[];
  /** GPG keyrings: a signedBy requirement. */
  gpgKeys?: readonly string[];
  /** Cosign keys for one image (as named in `images`), instead of `cosignKeys`. */
  imageCosignKeys?: ReadonlyMap<string, readonly string[]>;
  /** What images no scope names get (default reject). */
  defaultRequirement?: "reject" | "insecureAcceptAnything";
  /** Whose reader the policy must satisfy (default containers/image's); image-rs reads one key per requirement. */
  semantics?: PolicySemantics;
}

/**
 * The policy text (JSON, 4-space indent, as containers/image's examples). Each image becomes a docker scope in
 * its fully expanded form; with both kinds of keys, both signatures are required (requirements are ANDed).
 * Cosign signatures name only the repository, so sigstoreSigned uses signedIdentity matchRepository.
 */
export function createInitPolicy(options: InitPolicyOptions): string {
  const cosignKeys = options.cosignKeys ?? [];
  const gpgKeys = options.gpgKeys ?? [];
  const imageCosignKeys = options.imageCosignKeys ?? new Map<string, readonly string[]>();
  const semantics = options.semantics ?? "containers-image";
  if (options.images.length === 0) throw new SignetError("USAGE", "policy init needs at least one --image");
  for (const image of options.images) {
    if (cosignKeys.length === 0 && gpgKeys.length === 0 && (imageCosignKeys.get(image) ?? []).length === 0) {
      throw new SignetError("USAGE", `--image ${image} has no key: give --key (cosign) or --gpg-key (GPG)`);
    }
  }
  const requirementsFor = (image: string): Record<string, unknown>[] => {
    const cosign = imageCosignKeys.get(image) ?? cosignKeys;
    const requirements: Record<string, unknown>[] = [];
    if (cosign.length > 0) requirements.push({ type: "sigstoreSigned", ...keyField(cosign, semantics), signedIdentity: { type: "matchRepository" } });
    if (gpgKeys.length > 0) requirements.push({ type: "signedBy", keyType: "GPGKeys", ...keyField(gpgKeys, semantics) });
    return requirements;
  };
  const scopes: Record<string, unknown> = {};
  for (const image of options.images) {
    const scope = scopeFor(image);
    if (Object.hasOwn(scopes, scope)) throw new SignetError("USAGE", `--image ${image} is named twice (as ${scope})`);
    scopes[scope] = requirementsFor(image);
  }
  const text = `${JSON.stringify({ default: [{ type: options.defaultRequirement ?? "reject" }], transports: { docker: scopes } }, null, 4)}\n`;
  parsePolicy(text, { source: "the generated policy", semantics }); // never hand out a policy the reader it is for would refuse
  return text;
}

function keyField(keys: readonly string[], semantics: PolicySemantics): Record<string, unknown> {
  for (const key of keys) if (key === "") throw new SignetError("USAGE", "a key location must not be empty");
  if (keys.length > 1 && semantics === "image-rs") {
    throw new SignetError("USAGE", `image-rs reads one keyPath per requirement, and ${keys.length} keys were given for one image`, {
      hint: "Give one key per image: image-rs ignores keyPaths, and two requirements would need both signatures.",
    });
  }
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
