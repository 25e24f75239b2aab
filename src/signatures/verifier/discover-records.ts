/**
 * Discovery: the I/O half. Reads what is stored next to one image digest in one repository, once, and hands it
 * on as untrusted signature records. Each source is read at most once per discovery (memoised): an evaluation
 * that checks several requirements or authorities against the same repository pays for each lookup once.
 */
import type { Digest } from "../../internal/digest.js";
import type { ManifestBytes, Repository } from "../../oci/repository.js";
import { discoverCosignSignatures, type SkippedSignatureLayer } from "../cosign/discover.js";
import type { UntrustedSignatureRecord } from "./records.js";
import { sha256Digest } from "../../internal/digest.js";
import { MediaType } from "../../oci/manifest/media-types.js";
import { createSimpleSigningPayload } from "../payload/simple-signing.js";
import { CosignAnnotation } from "../cosign/signature-manifest.js";
import type { ReferrersListing } from "../../oci/referrers/index.js";

/** Each record's `source` is the digest of what holds it: the `.sig` layer, or the referrer manifest of a bundle. */
export interface FoundRecords {
  readonly records: UntrustedSignatureRecord[];
  /** Where they were looked for, e.g. `registry/app:sha256-<hex>.sig`, `the referrers API (…)`. */
  readonly searched: string;
  /** `.sig` layers that could not be read (missing, oversized, corrupt) and were left out, with their reasons. */
  readonly skipped?: readonly SkippedSignatureLayer[];
}

export interface RecordDiscovery {
  readonly repository: Repository;
  readonly imageDigest: Digest;
  /** Cosign's `.sig` tag: one manifest and its layers. */
  legacySignatures(): Promise<FoundRecords>;
  /** Sigstore bundles among the OCI referrers (referrers API, else the tag schema). */
  bundles(): Promise<FoundRecords>;
  /** Notation signatures among the OCI referrers; each record carries the image's own descriptor. */
  notationSignatures(): Promise<FoundRecords>;
}

export interface RecordDiscoveryOptions {
  /**
   * The image's `docker-reference` as cosign writes it: a `.sig` layer holding exactly the standard payload for
   * it is not fetched (its bytes are known), which makes a verify one request (discover.ts).
   */
  readonly identity?: string;
  /** The image's manifest when the caller already has it (a resolved tag): Notation needs its media type and size. */
  readonly manifest?: ManifestBytes;
}

/** Discovery for one digest in one repository; nothing is shared between discoveries (security case B.19). */
export function createRecordDiscovery(repository: Repository, imageDigest: Digest, options: RecordDiscoveryOptions = {}): RecordDiscovery {
  let legacy: Promise<FoundRecords> | undefined;
  let bundles: Promise<FoundRecords> | undefined;
  let notation: Promise<FoundRecords> | undefined;
  // One listing of the referrers (API, else the tag schema) for every kind read from it.
  let listing: Promise<ReferrersListing> | undefined;
  const referrers = () => (listing ??= import("../../oci/referrers/list-referrers.js").then(({ listReferrers }) => listReferrers(repository, imageDigest)));
  return {
    repository,
    imageDigest,
    legacySignatures: () => (legacy ??= readLegacy(repository, imageDigest, options)),
    bundles: () => (bundles ??= referrers().then((listed) => readBundles(repository, imageDigest, listed))),
    notationSignatures: () => (notation ??= referrers().then((listed) => readNotation(repository, imageDigest, options, listed))),
  };
}

/**
 * A signature given on the command line instead of attached (cosign's `verify --signature [--payload]`): one
 * untrusted `.sig`-style record, checked by the one verifier exactly as an attached layer would be. Without a
 * payload, the standard payload for this image is the one signed (cosign's implied payload).
 */
export function createDetachedDiscovery(repository: Repository, imageDigest: Digest, detached: DetachedSignature, identity: string): RecordDiscovery {
  const untrustedPayload = detached.untrustedPayload ?? createSimpleSigningPayload({ dockerReference: identity, manifestDigest: imageDigest });
  const layerDigest = sha256Digest(untrustedPayload);
  const record: UntrustedSignatureRecord = {
    format: "cosign-legacy",
    source: `the detached signature (${detached.description})`,
    layer: {
      layerDigest,
      mediaType: MediaType.CosignSimpleSigning,
      untrustedPayload,
      untrustedSignatureBase64: detached.untrustedSignatureBase64,
      untrustedAnnotations: { [CosignAnnotation.signature]: detached.untrustedSignatureBase64 },
    },
  };
  const found: FoundRecords = { searched: `the detached signature (${detached.description})`, records: [record] };
  const none = (): Promise<FoundRecords> => Promise.resolve({ searched: "no referrers (a detached signature was given)", records: [] });
  return { repository, imageDigest, legacySignatures: () => Promise.resolve(found), bundles: none, notationSignatures: none };
}

/** A detached signature: base64 text, and the payload it signs (else the image's standard payload). */
export interface DetachedSignature {
  readonly untrustedSignatureBase64: string;
  readonly untrustedPayload?: Buffer;
  /** Where it came from, for messages: the file names. */
  readonly description: string;
}

async function readLegacy(repository: Repository, imageDigest: Digest, options: RecordDiscoveryOptions): Promise<FoundRecords> {
  const discovered = await discoverCosignSignatures(repository, imageDigest, options.identity === undefined ? {} : { identity: options.identity });
  const where = `${repository.displayName}:${discovered.tag}`;
  return {
    searched: where,
    skipped: discovered.skipped,
    records: discovered.signatures.map((layer) => ({ format: "cosign-legacy", source: layer.layerDigest, layer })),
  };
}

/**
 * The OCI referrers that hold image signatures: sigstore bundles, and the `.sig`-style manifests cosign 2.5 writes
 * with `--registry-referrers-mode=oci-1-1` (read as the cosign layers they are), from the one listing.
 */
async function readBundles(repository: Repository, imageDigest: Digest, listed: ReferrersListing): Promise<FoundRecords> {
  const [{ discoverSigstoreBundles }, { discoverCosignReferrerSignatures }] = await Promise.all([import("../bundle-oci/discover-bundles.js"), import("../cosign/discover-referrer-signatures.js")]);
  const [discovered, cosignReferrers] = await Promise.all([discoverSigstoreBundles(repository, imageDigest, listed), discoverCosignReferrerSignatures(repository, imageDigest, listed)]);
  const where = discovered.listing.source === "referrers-api" ? `the referrers API (${discovered.listing.where})` : `the referrers tag ${discovered.listing.where}`;
  const bundles: UntrustedSignatureRecord[] = discovered.bundles.map((bundle) => ({
    format: "sigstore-bundle",
    source: bundle.manifestDigest,
    manifestDigest: bundle.manifestDigest,
    untrustedBundleBytes: bundle.untrustedBundleBytes,
    untrustedAnnotations: bundle.untrustedAnnotations,
  }));
  const signatures: UntrustedSignatureRecord[] = cosignReferrers.signatures.map(({ manifestDigest, layer }) => ({ format: "cosign-legacy", source: `referrer ${manifestDigest} layer ${layer.layerDigest}`, layer }));
  return { searched: where, records: [...bundles, ...signatures] };
}

async function readNotation(repository: Repository, imageDigest: Digest, options: RecordDiscoveryOptions, listed: ReferrersListing): Promise<FoundRecords> {
  const { discoverNotationSignatures } = await import("../notation/oci-signatures.js");
  const discovered = await discoverNotationSignatures(repository, imageDigest, listed);
  const where = discovered.listing.source === "referrers-api" ? `the referrers API (${discovered.listing.where})` : `the referrers tag ${discovered.listing.where}`;
  if (discovered.found.length === 0) return { searched: where, records: [] };
  // The manifest is read by digest (checked by the repository): its media type and size are the subject's.
  const manifest = options.manifest?.digest === imageDigest ? options.manifest : await repository.getManifest(imageDigest);
  const subject = { mediaType: manifest.mediaType, digest: imageDigest, size: manifest.bytes.length };
  return {
    searched: where,
    records: discovered.found.map((layer) => ({ format: "notation", source: layer.manifestDigest, envelopeMediaType: layer.mediaType, untrustedEnvelope: layer.untrustedBytes, subject })),
  };
}
