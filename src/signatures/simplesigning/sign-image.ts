/**
 * Signs registry images the way `skopeo copy --sign-by` does, without copying them: the image is pinned to its
 * manifest digest, an atomic container signature naming that digest and the reference as written is made with
 * an OpenPGP key, and the signature is stored as the next free `signature-N` of the lookaside staging store
 * registries.d names for the image (containers-registries.d(5)). Nothing is ever overwritten.
 */
import { pathToFileURL } from "node:url";
import { SignetError, toSignetError } from "../../errors/index.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import type { Digest } from "../../internal/digest.js";
import type { ImageAccess } from "../../oci/image-access.js";
import { formatImageReference, parseImageLocation, parseNormalizedName, type ImageLocation, type ImageReference } from "../../oci/reference/index.js";
import { builtinDefaultLookaside, lookasideFor, type RegistriesDConfig } from "../registries-d/index.js";
import { signAtomicPayload, type GpgSigningKey } from "./gpg-sign.js";
import { writeLookasideSignature } from "./lookaside.js";
import { createAtomicPayload } from "./payload.js";

export interface GpgSignImageOptions {
  key: GpgSigningKey;
  /** Where signatures go: each image's `lookaside-staging` (else `lookaside`) from here. */
  registriesD: RegistriesDConfig;
  /** A file: URL (or path) that overrides registries.d for every image (`--lookaside-staging`). */
  lookasideStaging?: string;
  /** The store used when neither is configured (default: containers/image's built-in one, as skopeo). */
  builtinLookaside?: string;
  /** `docker-reference` to write instead of the reference as written (skopeo's --sign-identity). */
  signIdentity?: string;
  /** `optional.creator`; default "signet". */
  creator?: string;
  /** The signing time (`optional.timestamp` and the OpenPGP signature time); default now. */
  now?: () => Date;
  /**
   * Write an swr-cosign `.asc` object (a detached armored signature of cosign's simple-signing payload) under this
   * base instead of a lookaside signature: a directory path or file: URL (written atomically), or an http(s) URL
   * (an HTTP PUT, as to an object storage bucket).
   */
  swrAsc?: string;
}

export interface GpgSignImageResult {
  /** The image as given. */
  image: string;
  digest: Digest;
  /** Set when the digest came from resolving a tag. */
  resolvedTag: string | undefined;
  /** The `docker-reference` written into the signature. */
  identity: string;
  /** Fingerprint of the primary key that signed (what a signedBy keyring must hold). */
  signer: string;
  /** The file written, e.g. /srv/sigs/org/app@sha256=<hex>/signature-2. */
  path: string;
  /** The same as a file: URL. */
  url: string;
  /** The staging store it was written under. */
  lookasideStaging: string;
}

/**
 * Signs each image and writes its signature, concurrently; a result or an error per image (one bad image does
 * not stop the others). The key is decrypted once, by the caller.
 */
export async function signImagesWithGpg(
  access: ImageAccess,
  images: readonly string[],
  options: GpgSignImageOptions,
  concurrency = 8,
): Promise<(GpgSignImageResult | SignetError)[]> {
  return mapConcurrently(images, concurrency, async (image) => {
    try {
      return await signImageWithGpg(access, image, options);
    } catch (error) {
      return toSignetError(error);
    }
  });
}

/** Signs one registry image and stores the signature in its lookaside staging store. */
export async function signImageWithGpg(access: ImageAccess, image: string, options: GpgSignImageOptions): Promise<GpgSignImageResult> {
  const reference = registryReferenceOf(parseImageLocation(image), image);
  const identity = options.signIdentity ?? formatImageReference(reference);
  if (options.signIdentity !== undefined) parseNormalizedName(options.signIdentity); // REF_INVALID before any request
  const staging = options.swrAsc === undefined ? stagingStoreFor(reference, options) : "";

  const resolved = await access.resolve({ transport: "docker", reference });
  // A resolved tag proves the manifest exists; a digest given by the user is checked before it is signed.
  if (resolved.resolvedTag === undefined && (await resolved.repository.tryGetManifest(resolved.digest)) === undefined) {
    throw new SignetError("REGISTRY_NOT_FOUND", `${resolved.repository.displayName}@${resolved.digest} does not exist`, { details: { digest: resolved.digest } });
  }
  const signedAt = (options.now ?? (() => new Date()))();
  if (options.swrAsc !== undefined) {
    const written = await writeSwrAsc(options.swrAsc, reference, resolved.digest, resolved.identity, options.key, signedAt);
    return { image, digest: resolved.digest, resolvedTag: resolved.resolvedTag, identity: resolved.identity, signer: options.key.fingerprint, path: written, url: written, lookasideStaging: options.swrAsc };
  }
  const payload = createAtomicPayload({
    dockerReference: identity,
    manifestDigest: resolved.digest,
    creator: options.creator ?? "signet",
    timestamp: Math.floor(signedAt.getTime() / 1000),
  });
  const signature = await signAtomicPayload(options.key, undefined, payload, { date: signedAt });
  const path = await writeLookasideSignature(staging, reference, resolved.digest, signature);
  return {
    image,
    digest: resolved.digest,
    resolvedTag: resolved.resolvedTag,
    identity,
    signer: options.key.fingerprint,
    path,
    url: pathToFileURL(path).href,
    lookasideStaging: staging,
  };
}

/**
 * Signs cosign's simple-signing payload for the digest (what `cosign generate IMAGE` prints) with a detached
 * armored signature and stores the `.asc` object: atomically in a directory, or with an HTTP PUT.
 */
async function writeSwrAsc(base: string, reference: ImageReference, digest: Digest, identity: string, key: GpgSigningKey, signedAt: Date): Promise<string> {
  const [{ createSimpleSigningPayload }, { signDetachedArmored }, { createSwrAscObject, swrAscObjectUrl }] = await Promise.all([
    import("../payload/simple-signing.js"),
    import("./gpg-sign.js"),
    import("./swr-asc.js"),
  ]);
  const payload = createSimpleSigningPayload({ dockerReference: identity, manifestDigest: digest });
  const armoredSignature = await signDetachedArmored(key, payload, { date: signedAt });
  const object = createSwrAscObject({ publicKeyId: key.fingerprint.slice(-16), armoredSignature, payload });
  const url = swrAscObjectUrl(/^[a-z][a-z0-9+.-]*:/i.test(base) ? base : pathToFileURL(base).href, reference, digest);
  if (url.protocol === "file:") {
    const [{ mkdir }, { dirname }, { writeFileAtomic }, { filePath }] = await Promise.all([import("node:fs/promises"), import("node:path"), import("../../internal/atomic-file.js"), import("./lookaside.js")]);
    const path = filePath(url);
    await mkdir(dirname(path), { recursive: true, mode: 0o755 }).catch((error: unknown) => {
      throw new SignetError("IO_ERROR", `cannot create ${dirname(path)}: ${(error as Error).message}`, { cause: error });
    });
    await writeFileAtomic(path, object, { mode: 0o644 });
    return path;
  }
  const { putStoredObject } = await import("./lookaside.js");
  await putStoredObject(url, object);
  return url.href;
}

/** Lookaside stores are keyed by registry names: OCI layouts and references with both a tag and a digest cannot be signed this way. */
function registryReferenceOf(location: ImageLocation, image: string): ImageReference {
  if (location.transport !== "docker") {
    throw new SignetError("USAGE", `${image} is an OCI layout: GPG signatures live in lookaside stores, which name images by registry and repository`, {
      hint: "Push the image to a registry and sign it there, or sign the layout with a cosign key (--key).",
    });
  }
  const { reference } = location;
  if (reference.tag !== undefined && reference.digest !== undefined) {
    // containers/image refuses such references too, so no verifier could match the identity.
    throw new SignetError("REF_INVALID", `${image} names both a tag and a digest; a GPG signature names one of them`, {
      hint: "Sign REPOSITORY:TAG (the tag is resolved to its digest) or REPOSITORY@sha256:….",
      details: { image },
    });
  }
  return reference;
}

function stagingStoreFor(reference: ImageReference, options: GpgSignImageOptions): string {
  if (options.lookasideStaging !== undefined) {
    // A plain path is as good as a file: URL on the command line.
    return /^[a-z][a-z0-9+.-]*:/i.test(options.lookasideStaging) ? options.lookasideStaging : pathToFileURL(options.lookasideStaging).href;
  }
  return lookasideFor(options.registriesD, reference).lookasideStaging ?? options.builtinLookaside ?? builtinDefaultLookaside();
}
