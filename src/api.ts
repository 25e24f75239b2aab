import type { KeyObject } from "node:crypto";
import { loadPublicKey, type SigningKey } from "./keys/index.js";
import { ImageAccess, type ImageAccessOptions } from "./oci/image-access.js";
import { signImage, type SignImageResult } from "./signatures/cosign/sign-image.js";
import { verifyImage, type VerifiedImage } from "./signatures/cosign/verify-image.js";

export interface ApiAccessOptions {
  /** Reuse one ImageAccess (pooled connections, cached tokens) across calls; the caller closes it. */
  access?: ImageAccess;
  /** Registry options for a one-off ImageAccess when `access` is not given. */
  registry?: ImageAccessOptions;
}

export interface SignOptions extends ApiAccessOptions {
  key: SigningKey;
  annotations?: Record<string, string>;
  recursive?: boolean;
  signContainerIdentity?: string;
}

export interface VerifyOptions extends ApiAccessOptions {
  /** A public key, or the path of a PEM public key, certificate or private key. */
  key: KeyObject | string;
  annotations?: Record<string, string>;
}

/** Signs an image (registry reference or `oci:PATH[:TAG]`) with a key, cosign-style. */
export async function sign(image: string, options: SignOptions): Promise<SignImageResult> {
  return withAccess(options, (access) =>
    signImage(access, image, { key: options.key, annotations: options.annotations, recursive: options.recursive, signContainerIdentity: options.signContainerIdentity }),
  );
}

/** Verifies an image's cosign signatures with a key; throws a SignetError with the reason when none verifies. */
export async function verify(image: string, options: VerifyOptions): Promise<VerifiedImage> {
  const publicKey = typeof options.key === "string" ? await loadPublicKey(options.key) : options.key;
  return withAccess(options, (access) => verifyImage(access, image, { publicKeys: [publicKey], requiredAnnotations: options.annotations }));
}

async function withAccess<T>(options: ApiAccessOptions, action: (access: ImageAccess) => Promise<T>): Promise<T> {
  if (options.access) return action(options.access);
  const access = new ImageAccess(options.registry);
  try {
    return await action(access);
  } finally {
    await access.close();
  }
}
