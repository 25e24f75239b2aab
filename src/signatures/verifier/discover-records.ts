/**
 * Discovery: the I/O half. Reads what is stored next to one image digest in one repository, once, and hands it
 * on as untrusted signature records. Each source is read at most once per discovery (memoised): an evaluation
 * that checks several requirements or authorities against the same repository pays for each lookup once.
 */
import type { Digest } from "../../internal/digest.js";
import type { ManifestBytes, Repository } from "../../oci/repository.js";
import { discoverCosignSignatures, type SkippedSignatureLayer } from "../cosign/discover.js";
import type { UntrustedSignatureRecord } from "./records.js";

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
  return {
    repository,
    imageDigest,
    legacySignatures: () => (legacy ??= readLegacy(repository, imageDigest, options)),
    bundles: () => (bundles ??= readBundles(repository, imageDigest)),
    notationSignatures: () => (notation ??= readNotation(repository, imageDigest, options)),
  };
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

async function readBundles(repository: Repository, imageDigest: Digest): Promise<FoundRecords> {
  const { discoverSigstoreBundles } = await import("../bundle-oci/discover-bundles.js");
  const discovered = await discoverSigstoreBundles(repository, imageDigest);
  const where = discovered.listing.source === "referrers-api" ? `the referrers API (${discovered.listing.where})` : `the referrers tag ${discovered.listing.where}`;
  return {
    searched: where,
    records: discovered.bundles.map((bundle) => ({
      format: "sigstore-bundle",
      source: bundle.manifestDigest,
      manifestDigest: bundle.manifestDigest,
      untrustedBundleBytes: bundle.untrustedBundleBytes,
      untrustedAnnotations: bundle.untrustedAnnotations,
    })),
  };
}

async function readNotation(repository: Repository, imageDigest: Digest, options: RecordDiscoveryOptions): Promise<FoundRecords> {
  const { discoverNotationSignatures } = await import("../notation/oci-signatures.js");
  const discovered = await discoverNotationSignatures(repository, imageDigest);
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
