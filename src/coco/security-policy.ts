/**
 * `signet coco policy`: the security-policy.json image-rs enforces in the guest, as the Confidential Containers
 * guide registers it in the KBS. It is `policy init`'s policy (one scope per image, default reject), checked with
 * image-rs's reader, with each image's cosign key named as a KBS resource `kbs:///<repository>/<type>/<tag>`.
 */
import { SignetError } from "../errors/index.js";
import { createInitPolicy } from "../policy/init.js";
import { parseKbsUri } from "../policy/locations/kbs-location.js";

export const DEFAULT_KEY_REPOSITORY = "default";
export const DEFAULT_KEY_TYPE = "cosign-public-key";

export interface CocoPolicyScope {
  /** The repository (or exact reference) to allow, e.g. ghcr.io/org/app. */
  readonly image: string;
  /** A kbs:/// URI, or the tag of the key under <keyRepository>/<keyType>/. */
  readonly key: string;
}

export interface CocoPolicyOptions {
  readonly scopes: readonly CocoPolicyScope[];
  /** What other images get: reject (default) or insecureAcceptAnything. */
  readonly defaultRequirement?: "reject" | "insecureAcceptAnything";
  readonly keyRepository?: string;
  readonly keyType?: string;
}

export interface CocoPolicy {
  readonly text: string;
  /** The KBS resources the guest will read the keys from, once each, in order. */
  readonly keyResources: readonly string[];
}

export function createCocoPolicy(options: CocoPolicyOptions): CocoPolicy {
  const repository = options.keyRepository ?? DEFAULT_KEY_REPOSITORY;
  const type = options.keyType ?? DEFAULT_KEY_TYPE;
  const imageCosignKeys = new Map<string, readonly string[]>();
  const keyResources: string[] = [];
  for (const scope of options.scopes) {
    if (scope.key === "") throw new SignetError("USAGE", `--image ${scope.image} needs a key: IMAGE=TAG or IMAGE=kbs:///repository/type/tag`);
    const uri = scope.key.startsWith("kbs://") ? scope.key : `kbs:///${repository}/${type}/${scope.key}`;
    parseKbsUri(uri);
    if (imageCosignKeys.has(scope.image)) throw new SignetError("USAGE", `--image ${scope.image} is named twice`);
    imageCosignKeys.set(scope.image, [uri]);
    if (!keyResources.includes(uri)) keyResources.push(uri);
  }
  const text = createInitPolicy({
    images: options.scopes.map((scope) => scope.image),
    imageCosignKeys,
    defaultRequirement: options.defaultRequirement ?? "reject",
    semantics: "image-rs",
  });
  return { text, keyResources };
}
