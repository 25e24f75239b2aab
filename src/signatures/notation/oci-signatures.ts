/**
 * Notation signatures stored with an image: OCI 1.1 referrer manifests of artifact type
 * `application/vnd.cncf.notary.signature` with one envelope layer (JWS or COSE), found through the referrers API
 * or the referrers tag schema, and written the way notation does (chain thumbprints and creation time annotated).
 */
import { createHash } from "node:crypto";
import type { Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import type { Descriptor } from "../../oci/manifest/descriptor.js";
import { discoverSingleLayerReferrers, pushReferrer, type DiscoveredReferrerLayers, type PushedReferrer, type ReferrersListing, type SingleLayerReferrerKind } from "../../oci/referrers/index.js";
import type { Repository } from "../../oci/repository.js";
import { COSE_ENVELOPE_MEDIA_TYPE, JWS_ENVELOPE_MEDIA_TYPE, NOTATION_SIGNATURE_ARTIFACT_TYPE } from "./media-types.js";

export const THUMBPRINT_ANNOTATION = "io.cncf.notary.x509chain.thumbprint#S256";
const CREATED_ANNOTATION = "org.opencontainers.image.created";

const NOTATION_REFERRERS: SingleLayerReferrerKind = {
  what: "Notation signature",
  artifactType: NOTATION_SIGNATURE_ARTIFACT_TYPE,
  listed: (artifactType) => artifactType === undefined || artifactType === NOTATION_SIGNATURE_ARTIFACT_TYPE,
  accepts: (artifactType, layer) => artifactType === NOTATION_SIGNATURE_ARTIFACT_TYPE && (layer === JWS_ENVELOPE_MEDIA_TYPE || layer === COSE_ENVELOPE_MEDIA_TYPE),
  maxCount: LIMITS.signaturesPerImage,
  maxLayerBytes: LIMITS.signatureLayerBytes,
};

/** The Notation signatures that claim `imageDigest` (untrusted until verified). */
export function discoverNotationSignatures(repository: Repository, imageDigest: Digest, listed?: ReferrersListing): Promise<DiscoveredReferrerLayers> {
  return discoverSingleLayerReferrers(repository, imageDigest, NOTATION_REFERRERS, listed);
}

/** notation's annotation: the JSON list of the chain's SHA-256 thumbprints, leaf first. */
export function chainThumbprints(certificateChain: readonly Buffer[]): string {
  return JSON.stringify(certificateChain.map((der) => createHash("sha256").update(der).digest("hex")));
}

export interface AttachNotationOptions {
  readonly created?: Date;
  /** Update the referrers tag index even where the registry has the referrers API (notation's --force-referrers-tag). */
  readonly forceReferrersTag?: boolean;
}

export function attachNotationSignature(repository: Repository, subject: Descriptor, envelope: { bytes: Buffer; mediaType: string; certificateChain: readonly Buffer[] }, options: AttachNotationOptions = {}): Promise<PushedReferrer> {
  return pushReferrer(
    repository,
    {
      artifactType: NOTATION_SIGNATURE_ARTIFACT_TYPE,
      subject,
      layers: [{ bytes: envelope.bytes, mediaType: envelope.mediaType }],
      annotations: {
        [THUMBPRINT_ANNOTATION]: chainThumbprints(envelope.certificateChain),
        [CREATED_ANNOTATION]: (options.created ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      },
    },
    { forceTagSchema: options.forceReferrersTag ?? false },
  );
}
