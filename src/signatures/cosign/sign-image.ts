import { SignetError, toSignetError } from "../../errors/index.js";
import { decodeBase64Strict } from "../../internal/base64.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import type { Digest } from "../../internal/digest.js";
import { verifyWithKey } from "../../keys/sign-verify.js";
import type { Signer } from "../../keys/signer.js";
import type { ImageAccess, ResolvedImage } from "../../oci/image-access.js";
import type { Repository } from "../../oci/repository.js";
import { parseManifest } from "../../oci/manifest/parse.js";
import { createSimpleSigningPayload } from "../payload/simple-signing.js";
import { attachSignatureLayers, type AttachRequest, type AttachResult } from "./attach.js";
import { CosignAnnotation } from "./signature-manifest.js";
import { attachmentTag } from "./tags.js";
import { appendAll } from "../../internal/arrays.js";

export interface SignImageOptions {
  /** An in-memory key, or a key in a PKCS#11 token or a KMS (keys/signer.ts). */
  key: Signer;
  /** Written into the payload's `optional` section (`-a k=v`). */
  annotations?: Record<string, string>;
  /** For an index: sign the index and every manifest it lists. */
  recursive?: boolean;
  /** Overrides the `docker-reference` written in the payload (cosign's --sign-container-identity). */
  signContainerIdentity?: string;
  /**
   * More layer annotations for each signature, from its payload and signature bytes: the certificate and chain
   * of a keyless signer, the Rekor bundle of a logged one (see signatures/cosign/sign-sigstore.ts).
   */
  layerAnnotations?: (payload: Buffer, signature: Buffer) => Promise<Record<string, string>>;
  /**
   * The exact bytes to sign instead of the generated payload (cosign's `sign --payload`, e.g. the output of
   * `cosign generate`). They are signed as given; verifiers check what they say.
   */
  payload?: Buffer;
  /** Attach the signatures (default). False: sign only; the caller writes them out (cosign's `--upload=false`). */
  upload?: boolean;
  /** Where the `.sig` tags are written instead of the image's repository (cosign's COSIGN_REPOSITORY). */
  signatureRepository?: Repository;
}

export interface SignedManifest extends Omit<AttachResult, "manifestDigest"> {
  digest: Digest;
  /** The signed payload and the signature over it. */
  payload: Buffer;
  signature: Buffer;
  /** The layer annotations written besides the signature (certificate, chain, Rekor bundle). */
  layerAnnotations: Record<string, string>;
  /** The repository holding (or, with upload false, meant to hold) the `.sig` tag. */
  repository: string;
  /** False with `upload: false`: nothing was attached. */
  uploaded: boolean;
  /** The `.sig` manifest written, undefined when nothing was uploaded. */
  manifestDigest: Digest | undefined;
}

export interface SignImageResult {
  image: ResolvedImage;
  signed: SignedManifest[];
}

/** Signs one image (and with `recursive`, every manifest of its index) and attaches the signatures. */
export async function signImage(access: ImageAccess, image: string, options: SignImageOptions): Promise<SignImageResult> {
  const [outcome] = await signImages(access, [image], options);
  if (outcome === undefined || SignetError.is(outcome)) throw outcome ?? new SignetError("INTERNAL", "no outcome for the image");
  return outcome;
}

/**
 * Signs many images in one batch, returning a result or an error per image. Tags are resolved once; the
 * signatures are then attached together (see attachSignatureLayers), so the confirmation wait that protects
 * concurrent signers is paid once per batch, not once per image.
 */
export async function signImages(access: ImageAccess, images: readonly string[], options: SignImageOptions, concurrency = 16): Promise<(SignImageResult | SignetError)[]> {
  const planned = await mapConcurrently(images, concurrency, async (image) => {
    try {
      return await planImage(access, image, options);
    } catch (error) {
      return toSignetError(error);
    }
  });
  const requests: AttachRequest[] = [];
  const owners: { image: number; digest: Digest; payload: Buffer; signature: Buffer; extra: Record<string, string> }[] = [];
  const upload = options.upload ?? true;
  const signatureRepository = options.signatureRepository;
  const failures = new Map<number, SignetError>();
  const work = planned.flatMap((plan, index) => (SignetError.is(plan) ? [] : plan.digests.map((digest) => ({ plan, index, digest }))));
  const prepared = await mapConcurrently(work, concurrency, async ({ plan, digest }) => {
    const payload = options.payload ?? createSimpleSigningPayload({ dockerReference: plan.identity, manifestDigest: digest, annotations: options.annotations });
    try {
      const signature = await options.key.sign(payload);
      return { payload, signature, extra: options.layerAnnotations ? await options.layerAnnotations(payload, signature) : {} };
    } catch (error) {
      return toSignetError(error);
    }
  });
  work.forEach(({ plan, index, digest }, i) => {
    const ready = prepared[i]!;
    if (SignetError.is(ready)) {
      failures.set(index, ready);
      return;
    }
    owners.push({ image: index, digest, payload: ready.payload, signature: ready.signature, extra: ready.extra });
    requests.push({
      repository: signatureRepository ?? plan.image.repository,
      imageDigest: digest,
      input: { payload: ready.payload, annotations: { [CosignAnnotation.signature]: ready.signature.toString("base64"), ...ready.extra } },
      options: { isSameSigner: (existing, bytes) => isSignedBy(existing.annotations?.[CosignAnnotation.signature], bytes, options.key) },
    });
  });
  const attached: (AttachResult | SignetError | undefined)[] = upload ? await attachSignatureLayers(requests, concurrency) : requests.map(() => undefined);
  const results: (SignImageResult | SignetError)[] = planned.map((plan, index) => (SignetError.is(plan) ? plan : (failures.get(index) ?? { image: plan.image, signed: [] })));
  attached.forEach((outcome, i) => {
    const owner = owners[i]!;
    const result = results[owner.image]!;
    if (SignetError.is(result)) return;
    if (SignetError.is(outcome)) {
      results[owner.image] = outcome;
      return;
    }
    const signed = { digest: owner.digest, payload: owner.payload, signature: owner.signature, layerAnnotations: owner.extra, repository: requests[i]!.repository.displayName };
    if (outcome === undefined) result.signed.push({ ...signed, tag: attachmentTag(owner.digest, "sig"), added: false, uploaded: false, manifestDigest: undefined, signatureCount: 0 });
    else result.signed.push({ ...signed, ...outcome, uploaded: true });
  });
  return results;
}

async function planImage(access: ImageAccess, image: string, options: SignImageOptions): Promise<{ image: ResolvedImage; digests: Digest[]; identity: string }> {
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
      if (parsed.kind === "index") appendAll(digests, parsed.manifests.map((m) => m.digest));
    }
  }
  return { image: resolved, digests, identity: options.signContainerIdentity ?? resolved.identity };
}

/**
 * Whether an existing layer already holds this signer's signature of `payload`, read as the verifier reads it (Go's
 * strict base64): a lenient decode would take a mangled copy that no verifier accepts for our signature, and
 * re-signing would then leave the image with no signature that verifies.
 */
function isSignedBy(signatureBase64: string | undefined, payload: Buffer, key: Signer): boolean {
  const signature = signatureBase64 === undefined ? undefined : decodeBase64Strict(signatureBase64, "go-std");
  return signature !== undefined && verifyWithKey(key.publicKey, payload, signature);
}
