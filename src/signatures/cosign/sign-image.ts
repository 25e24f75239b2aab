import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { signWithKey, verifyWithKey, type SigningKey } from "../../keys/index.js";
import type { ImageAccess, ResolvedImage } from "../../oci/image-access.js";
import { parseManifest } from "../../oci/manifest/parse.js";
import { createSimpleSigningPayload } from "../payload/simple-signing.js";
import { attachSignatureLayer, type AttachResult } from "./attach.js";
import { CosignAnnotation } from "./signature-manifest.js";

export interface SignImageOptions {
  key: SigningKey;
  /** Written into the payload's `optional` section (`-a k=v`). */
  annotations?: Record<string, string>;
  /** For an index: sign the index and every manifest it lists. */
  recursive?: boolean;
  /** Overrides the `docker-reference` written in the payload (cosign's --sign-container-identity). */
  signContainerIdentity?: string;
}

export interface SignedManifest extends AttachResult {
  digest: Digest;
}

export interface SignImageResult {
  image: ResolvedImage;
  signed: SignedManifest[];
}

/** Signs one image (and with `recursive`, every manifest of its index) and attaches the signatures. */
export async function signImage(access: ImageAccess, image: string, options: SignImageOptions): Promise<SignImageResult> {
  const resolved = await access.resolve(image);
  const digests: Digest[] = [resolved.digest];
  // A resolved tag proves the manifest exists; a digest given by the user is checked before it is signed.
  if (options.recursive || resolved.resolvedTag === undefined) {
    const manifest = await resolved.repository.tryGetManifest(resolved.digest);
    if (manifest === undefined) {
      throw new SignetError("REGISTRY_NOT_FOUND", `${resolved.repository.displayName}@${resolved.digest} does not exist`, { details: { digest: resolved.digest } });
    }
    if (options.recursive) {
      const parsed = parseManifest(manifest.bytes, manifest.mediaType);
      if (parsed.kind === "index") digests.push(...parsed.manifests.map((m) => m.digest));
    }
  }
  const identity = options.signContainerIdentity ?? resolved.identity;
  const signed: SignedManifest[] = [];
  for (const digest of digests) {
    const payload = createSimpleSigningPayload({ dockerReference: identity, manifestDigest: digest, annotations: options.annotations });
    const signature = signWithKey(options.key, payload).toString("base64");
    const result = await attachSignatureLayer(
      resolved.repository,
      digest,
      { payload, annotations: { [CosignAnnotation.signature]: signature } },
      { isSameSigner: (existing, bytes) => isSignedBy(existing.annotations?.[CosignAnnotation.signature], bytes, options.key) },
    );
    signed.push({ digest, ...result });
  }
  return { image: resolved, signed };
}

function isSignedBy(signatureBase64: string | undefined, payload: Buffer, key: SigningKey): boolean {
  return signatureBase64 !== undefined && verifyWithKey(key.publicKey, payload, Buffer.from(signatureBase64, "base64"));
}
