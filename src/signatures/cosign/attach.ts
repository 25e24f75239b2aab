import { setTimeout as sleep } from "node:timers/promises";
import { SignetError, toSignetError } from "../../errors/index.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import type { Digest } from "../../internal/digest.js";
import { sha256Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import type { Descriptor } from "../../oci/manifest/descriptor.js";
import { MediaType } from "../../oci/manifest/media-types.js";
import type { Repository } from "../../oci/repository.js";
import { buildSignatureImage, parseSignatureManifestLayers } from "./signature-manifest.js";
import { attachmentTag, type AttachmentKind } from "./tags.js";
import { maxOf } from "../../internal/arrays.js";

export interface SignatureLayerInput {
  payload: Buffer;
  annotations: Record<string, string>;
  mediaType?: string;
}

export interface AttachOptions {
  /**
   * Says whether an existing layer with the same payload already is this signer's signature (for a key:
   * it verifies with the signer's public key). Re-signing the same payload is then a no-op, as in cosign.
   */
  isSameSigner?: (existing: Descriptor, payload: Buffer) => boolean;
  /** Attempts before giving up when other signers keep replacing the tag. */
  maxAttempts?: number;
  /** Which attachment to append to: signatures (default), attestations or SBOMs. */
  kind?: AttachmentKind;
}

export interface AttachResult {
  tag: string;
  /** False when an equivalent signature was already attached. */
  added: boolean;
  manifestDigest: Digest;
  signatureCount: number;
}

/** A repository that can serialise read-modify-write of a tag (an OCI layout, with a lock file). */
export interface TagLocking {
  withTagLock<T>(tag: string, action: () => Promise<T>): Promise<T>;
}

function hasTagLocking(repository: Repository): repository is Repository & TagLocking {
  return typeof (repository as Partial<TagLocking>).withTagLock === "function";
}

/** One signature layer to attach to one image. */
export interface AttachRequest {
  repository: Repository;
  imageDigest: Digest;
  input: SignatureLayerInput;
  options?: AttachOptions;
}

/**
 * Appends a signature layer to the image's `.sig` manifest without losing signatures that concurrent
 * signers attach. Throws on failure; see attachSignatureLayers for how.
 */
export async function attachSignatureLayer(repository: Repository, imageDigest: Digest, input: SignatureLayerInput, options: AttachOptions = {}): Promise<AttachResult> {
  const [outcome] = await attachSignatureLayers([{ repository, imageDigest, input, options }]);
  if (outcome === undefined || SignetError.is(outcome)) throw outcome ?? new SignetError("INTERNAL", "no outcome for the signature");
  return outcome;
}

/**
 * Appends signature layers to many images at once, returning a result or an error per request.
 *
 * A layout serialises writers with a lock. A registry has no compare-and-swap for tags, so each write is
 * read-merge-write, and a writer confirms afterwards: it re-reads once another signer that read the old manifest
 * before our write landed has had time to write (a few times our own read-to-write window, with jitter),
 * and merges again if its layer was dropped. Each image's re-read is due that long after its own write, not
 * after the whole batch: while later images are still being written, earlier ones come due, so the idle wait
 * left at the end is about one image's window, whatever the batch size or the slowest image.
 */
export async function attachSignatureLayers(requests: readonly AttachRequest[], concurrency = 16): Promise<(AttachResult | SignetError)[]> {
  const outcomes: (AttachResult | SignetError | undefined)[] = new Array(requests.length);
  const plans = requests.map(planAttach);
  await mapConcurrently(plans, concurrency, async (plan, i) => {
    try {
      await plan.request.repository.putBlob(plan.request.input.payload, plan.layer.digest);
    } catch (error) {
      outcomes[i] = toSignetError(error);
    }
  });

  let pending = plans.map((_, i) => i).filter((i) => outcomes[i] === undefined);
  const maxAttempts = maxOf(requests.map((r) => r.options?.maxAttempts ?? 8), 1);
  for (let attempt = 1; attempt <= maxAttempts && pending.length > 0; attempt++) {
    const toConfirm: { index: number; dueAt: number }[] = [];
    await mapConcurrently(pending, concurrency, async (i) => {
      const plan = plans[i]!;
      try {
        const repository = plan.request.repository;
        if (hasTagLocking(repository)) {
          outcomes[i] = await repository.withTagLock(plan.tag, async () => (await writeOnce(plan)).result);
          return;
        }
        const { result, windowMs } = await writeOnce(plan);
        outcomes[i] = result;
        if (result.added) toConfirm.push({ index: i, dueAt: performance.now() + settleDelayMs(windowMs, attempt) });
      } catch (error) {
        outcomes[i] = toSignetError(error);
      }
    });
    if (toConfirm.length === 0) {
      pending = [];
      break;
    }
    toConfirm.sort((a, b) => a.dueAt - b.dueAt);
    const lost: number[] = [];
    await mapConcurrently(toConfirm, concurrency, async ({ index: i, dueAt }) => {
      const plan = plans[i]!;
      try {
        const wait = dueAt - performance.now();
        if (wait > 0) await sleep(wait);
        const after = await plan.request.repository.tryGetManifest(plan.tag);
        if (after && parseSignatureManifestLayers(after.bytes).some((e) => isSameLayer(e, plan.layer))) {
          outcomes[i] = { ...(outcomes[i] as AttachResult), manifestDigest: after.digest };
        } else {
          lost.push(i);
        }
      } catch (error) {
        outcomes[i] = toSignetError(error);
      }
    });
    pending = lost;
  }
  for (const i of pending) {
    const plan = plans[i]!;
    outcomes[i] = new SignetError("SIG_CONFLICT", `other signers kept replacing ${plan.request.repository.displayName}:${plan.tag}; the signature was not attached after ${maxAttempts} attempts`);
  }
  return outcomes.map((o) => o ?? new SignetError("INTERNAL", "no outcome for the signature"));
}

interface AttachPlan {
  request: AttachRequest;
  tag: string;
  layer: Descriptor;
  maxLayers: number;
}

function planAttach(request: AttachRequest): AttachPlan {
  const kind = request.options?.kind ?? "sig";
  return {
    request,
    tag: attachmentTag(request.imageDigest, kind),
    maxLayers: kind === "sig" ? LIMITS.signaturesPerImage : LIMITS.signatureLayers,
    layer: {
      mediaType: request.input.mediaType ?? MediaType.CosignSimpleSigning,
      size: request.input.payload.length,
      digest: sha256Digest(request.input.payload),
      annotations: request.input.annotations,
    },
  };
}

/**
 * One read-merge-write of the tag; `windowMs` is how long it took from having the manifest read to the write
 * landing (the config upload and the manifest PUT: the span in which another signer's write can drop ours).
 */
async function writeOnce(plan: AttachPlan): Promise<{ result: AttachResult; windowMs: number }> {
  const { repository, input, options } = plan.request;
  const { tag, layer, maxLayers } = plan;
  const current = await repository.tryGetManifest(tag);
  const started = performance.now();
  const existing = current ? parseSignatureManifestLayers(current.bytes) : [];
  const duplicate = existing.some((e) => isSameLayer(e, layer) || (e.digest === layer.digest && options?.isSameSigner?.(e, input.payload) === true));
  if (duplicate && current) {
    return { result: { tag, added: false, manifestDigest: current.digest, signatureCount: existing.length }, windowMs: 0 };
  }
  if (existing.length + 1 > maxLayers) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `${repository.displayName}:${tag} already holds ${existing.length} layers; at most ${maxLayers} are kept`);
  }
  const image = buildSignatureImage([...existing, layer]);
  await repository.putBlob(image.configBytes, image.configDigest);
  const manifestDigest = await repository.putManifest(image.manifestBytes, MediaType.OciManifest, tag);
  return { result: { tag, added: true, manifestDigest, signatureCount: image.layers.length }, windowMs: performance.now() - started };
}

/**
 * How long after our write another signer may still land a write based on what it read before ours: its own
 * read-to-write window. Ours is 3 requests (config POST and PUT, manifest PUT); cosign's is 9 (HEAD, POST, PATCH
 * and PUT for each of two blobs, then the manifest), on the same registry under the same load: so three times
 * ours, growing with each attempt, plus as much again of jitter so that competing signers do not stay in lock
 * step. At least 50 ms: a signer descheduled between its read and its write (a loaded machine) has a longer
 * window than its requests; the floor costs a batch 50 ms once, not per image.
 */
function settleDelayMs(windowMs: number, attempt: number): number {
  const base = Math.min(2000, Math.max(50, windowMs * 3) * attempt);
  return base + Math.random() * base;
}

function isSameLayer(a: Descriptor, b: Descriptor): boolean {
  if (a.digest !== b.digest || a.mediaType !== b.mediaType) return false;
  const aa = a.annotations ?? {};
  const bb = b.annotations ?? {};
  const keys = Object.keys(aa);
  return keys.length === Object.keys(bb).length && keys.every((k) => aa[k] === bb[k]);
}
