/**
 * Verifying an image by name: resolve it once, decide which digests are verified (the image itself; with a
 * platform the instance of an index a runtime there would pull; recursively the index and every instance), and
 * run the one orchestrator on each. Every digest verified must have an accepted signature.
 */
import type { Digest } from "../../internal/digest.js";
import type { ImageAccess, ResolvedImage } from "../../oci/image-access.js";
import { chooseInstance, formatPlatformSpec, parsePlatform, readImageShape } from "../../oci/manifest/platform.js";
import { formatPlatform } from "../../oci/manifest/parse.js";
import type { ImageLocation } from "../../oci/reference/index.js";
import type { SkippedSignatureLayer } from "../cosign/discover.js";
import { createRecordDiscovery } from "./discover-records.js";
import type { SignatureRequirement, SignatureVerification } from "./records.js";
import { requireVerified, verifyDigestSignatures, type SignatureFormats } from "./verify-digest.js";

export interface VerifyImageOptions {
  readonly requirement: SignatureRequirement;
  readonly requiredAnnotations?: Readonly<Record<string, string>>;
  readonly formats?: SignatureFormats;
  /** `os/arch[/variant]`: verify the instance of a multi-arch index a runtime on that platform would pull. */
  readonly platform?: string;
  /** Verify a multi-arch index and every platform instance in it (each must verify). */
  readonly recursive?: boolean;
}

export interface DigestResult extends SignatureVerification {
  readonly digest: Digest;
  /** The platform of an index instance (`linux/amd64`), undefined for the image or index itself. */
  readonly platform?: string;
  readonly searched: string[];
  /** `.sig` layers that could not be read (missing, oversized, corrupt) and were left out, with their reasons. */
  readonly skipped: readonly SkippedSignatureLayer[];
}

export interface ImageVerificationResult extends DigestResult {
  readonly image: ResolvedImage;
  /** The digest the name resolved to, when a platform instance of it was verified instead. */
  readonly index?: Digest;
  /** With `recursive`: the result of every platform instance (the index's own is the result itself). */
  readonly instances: DigestResult[];
}

/** Verifies an image's signatures; throws the ranked explanation when a digest that must verify did not. */
export async function verifyImage(access: ImageAccess, image: string | ImageLocation, options: VerifyImageOptions): Promise<ImageVerificationResult> {
  const resolved = await access.resolve(image);
  const verifyOne = async (digest: Digest, platform?: string): Promise<DigestResult> => {
    const verification = await verifyDigestSignatures({
      discovery: createRecordDiscovery(resolved.repository, digest, { identity: resolved.identity, ...(resolved.manifest === undefined ? {} : { manifest: resolved.manifest }) }),
      requirement: options.requirement,
      claims: { repository: resolved.identity, ...(options.requiredAnnotations === undefined ? {} : { requiredAnnotations: options.requiredAnnotations }) },
      ...(options.formats === undefined ? {} : { formats: options.formats }),
    });
    return { ...requireVerified(verification, digest), digest, ...(platform === undefined ? {} : { platform }) };
  };
  if (options.platform !== undefined) {
    const spec = parsePlatform(options.platform);
    const shape = await readImageShape(resolved.repository, resolved.digest);
    if (shape.kind === "image") return { ...(await verifyOne(resolved.digest)), image: resolved, instances: [] };
    const instance = chooseInstance(shape.instances, spec, `${resolved.repository.displayName}@${resolved.digest}`);
    const result = await verifyOne(instance.digest, formatPlatformSpec(spec));
    return { ...result, image: resolved, index: resolved.digest, instances: [] };
  }
  const top = await verifyOne(resolved.digest);
  if (options.recursive !== true) return { ...top, image: resolved, instances: [] };
  const shape = await readImageShape(resolved.repository, resolved.digest);
  const instances: DigestResult[] = [];
  if (shape.kind === "index") {
    for (const instance of shape.instances) {
      try {
        instances.push(await verifyOne(instance.digest, formatPlatform(instance.platform)));
      } catch (error) {
        throw annotateInstance(error, instance.digest, formatPlatform(instance.platform));
      }
    }
  }
  return { ...top, image: resolved, instances };
}

function annotateInstance(error: unknown, digest: Digest, platform: string): unknown {
  if (error instanceof Error && "code" in error) {
    error.message = `platform ${platform} (${digest}): ${error.message}`;
  }
  return error;
}
