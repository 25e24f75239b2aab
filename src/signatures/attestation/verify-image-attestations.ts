import type { Repository } from "../../oci/repository.js";
import type { ImageLocation } from "../../oci/reference/index.js";
import type { Digest } from "../../internal/digest.js";
import type { ImageAccess, ResolvedImage } from "../../oci/image-access.js";
import { formatPlatform } from "../../oci/manifest/parse.js";
import { parsePlatform, pulledInstance, readImageShape } from "../../oci/manifest/platform.js";
import type { SignerRequirement } from "../cosign/keyless.js";
import type { SignatureFormats } from "../verifier/verify-digest.js";
import { explainNoAttestation } from "./attestation-results.js";
import { discoverLegacyAttestations } from "./discover-attestations.js";
import type { AttestationVerification, VerifiedAttestation } from "./verify-attestations.js";

export interface VerifyImageAttestationsOptions {
  readonly signer: SignerRequirement;
  /** The predicate type URI required; undefined accepts any. */
  readonly predicateType?: string;
  readonly formats?: SignatureFormats;
  /** `os/arch[/variant]`: verify the instance of a multi-arch index a runtime there would pull. */
  readonly platform?: string;
  /** Verify a multi-arch index and every platform instance in it (each must have an acceptable attestation). */
  readonly recursive?: boolean;
  /** Where the attestations are stored instead of the image's repository (cosign's COSIGN_REPOSITORY). */
  readonly signatureRepository?: Repository;
}

export interface VerifiedImageAttestations {
  readonly image: ResolvedImage;
  readonly digest: Digest;
  readonly searched: string[];
  readonly attestations: VerifiedAttestation[];
  readonly rejected: AttestationVerification["rejected"];
  /** The index the name resolved to, when its platform instance was verified instead (--platform). */
  readonly index?: Digest;
  /** With --recursive: each platform instance's digest and attestations. */
  readonly instances: { readonly digest: Digest; readonly platform: string; readonly attestations: VerifiedAttestation[] }[];
}

/**
 * Finds an image's attestations in the legacy `.att` tag and among its referrers (both looked at, in parallel),
 * and verifies them with the pure verifyAttestations. Throws when none is acceptable.
 */
export async function verifyImageAttestations(access: ImageAccess, image: string | ImageLocation, options: VerifyImageAttestationsOptions): Promise<VerifiedImageAttestations> {
  const resolved = await access.resolve(image);
  if (options.platform !== undefined) {
    const instance = await pulledInstance(resolved.repository, resolved.digest, parsePlatform(options.platform));
    const result = await verifyDigestAttestations(resolved, instance.digest, options);
    return { ...result, ...(instance.digest === resolved.digest ? {} : { index: resolved.digest }), instances: [] };
  }
  const top = await verifyDigestAttestations(resolved, resolved.digest, options);
  const instances: VerifiedImageAttestations["instances"] = [];
  if (options.recursive === true) {
    const shape = await readImageShape(resolved.repository, resolved.digest);
    for (const instance of shape.kind === "index" ? shape.instances : []) {
      const platform = formatPlatform(instance.platform);
      try {
        instances.push({ digest: instance.digest, platform, attestations: (await verifyDigestAttestations(resolved, instance.digest, options)).attestations });
      } catch (error) {
        if (error instanceof Error) error.message = `platform ${platform} (${instance.digest}): ${error.message}`;
        throw error;
      }
    }
  }
  return { ...top, instances };
}

async function verifyDigestAttestations(resolved: ResolvedImage, digest: Digest, options: VerifyImageAttestationsOptions): Promise<Omit<VerifiedImageAttestations, "instances">> {
  const formats = options.formats ?? "auto";
  const store = options.signatureRepository ?? resolved.repository;
  const [legacy, bundles] = await Promise.all([
    formats === "bundle" ? undefined : discoverLegacyAttestations(store, digest),
    formats === "legacy" ? undefined : import("../bundle-oci/discover-bundles.js").then(({ discoverSigstoreBundles }) => discoverSigstoreBundles(store, digest)),
  ]);
  const searched: string[] = [];
  if (legacy !== undefined) searched.push(`${store.displayName}:${legacy.tag}`);
  if (bundles !== undefined) searched.push(bundles.listing.source === "referrers-api" ? `the referrers API (${bundles.listing.where})` : `the referrers tag ${bundles.listing.where}`);
  let verification: AttestationVerification = { verified: [], rejected: [] };
  if ((legacy?.layers.length ?? 0) + (bundles?.bundles.length ?? 0) > 0) {
    const { verifyAttestations } = await import("./verify-attestations.js");
    verification = verifyAttestations({
      imageDigest: digest,
      legacy: legacy?.layers ?? [],
      bundles: bundles?.bundles ?? [],
      signer: options.signer,
      ...(options.predicateType !== undefined ? { predicateType: options.predicateType } : {}),
    });
  }
  if (verification.verified.length === 0) throw explainNoAttestation(digest, verification, searched, options.predicateType);
  return { image: resolved, digest, searched, attestations: verification.verified, rejected: verification.rejected };
}
