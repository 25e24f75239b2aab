/**
 * The default I/O behind evaluatePolicy: images through ImageAccess (registries and OCI layouts), GPG signatures
 * from lookaside stores as registries.d says (containers-registries.d(5)), cosign signatures from `.sig`
 * attachments, keys from files, KBS or Kubernetes. Tests and the admission webhook can pass their own fetchers.
 */
import { realpath } from "node:fs/promises";
import { resolve } from "node:path";
import { SignetError } from "../errors/index.js";
import type { Digest } from "../internal/digest.js";
import { identityOf, type ImageAccess } from "../oci/image-access.js";
import { hostPlatform, pulledInstance, type PlatformSpec } from "../oci/manifest/platform.js";
import { repositoryName, type ImageLocation } from "../oci/reference/index.js";
import { discoverCosignSignatures } from "../signatures/cosign/discover.js";
import { builtinDefaultLookaside, lookasideFor, type RegistriesDConfig } from "../signatures/registries-d/index.js";
import { lookasideSignatureUrl, readLookasideSignatures, type ReadLookasideOptions } from "../signatures/simplesigning/index.js";
import { readSwrAscObject } from "../signatures/simplesigning/swr-asc.js";
import type { RevocationCheckOptions } from "../signatures/notation/revocation.js";
import { createRecordDiscovery } from "../signatures/verifier/discover-records.js";
import type { GpgSignatureSet, KeyReader, PolicyFetchers, SigstoreSignatureSet } from "./evaluation-context.js";

export interface DefaultPolicyFetchersOptions {
  access: ImageAccess;
  registriesD: RegistriesDConfig;
  readKey: KeyReader;
  /**
   * Read cosign attachments of every image. By default they are read only where registries.d sets
   * `use-sigstore-attachments: true`, as containers/image does (so skopeo and signet agree). OCI layouts are
   * always read: signet keeps signatures there.
   */
  alwaysReadSigstoreAttachments?: boolean;
  lookaside?: ReadLookasideOptions;
  /** The lookaside store used when registries.d names none (default: containers/image's built-in one). */
  builtinLookaside?: string;
  /**
   * The platform an image is pulled for (default: this machine's). For a multi-arch index the policy is checked
   * against the instance pulled on it, as containers/image does (docs/architecture.md, "Multi-arch images").
   */
  platform?: PlatformSpec;
  /** Timeouts and the CRL cache for Notation revocation checks. */
  notationRevocation?: RevocationCheckOptions;
}

export function createPolicyFetchers(options: DefaultPolicyFetchersOptions): PolicyFetchers {
  const builtin = options.builtinLookaside ?? builtinDefaultLookaside();
  return {
    readKey: options.readKey,
    async resolveManifestDigest(image) {
      const resolved = await options.access.resolve(image);
      return (await pulledInstance(resolved.repository, resolved.digest, options.platform ?? hostPlatform())).digest;
    },
    async gpgSignatures(image, digest) {
      if (image.transport !== "docker") return { signatures: [], searched: [`${image.path} (OCI layouts hold no simple-signing signatures)`] };
      const base = lookasideFor(options.registriesD, image.reference).lookaside ?? builtin;
      const found = await readLookasideSignatures(base, image.reference, digest, options.lookaside);
      return {
        signatures: found.map((untrustedBytes, index) => ({ source: lookasideSignatureUrl(base, image.reference, digest, index + 1).href, untrustedBytes })),
        searched: [lookasideSignatureUrl(base, image.reference, digest, 1).href.replace(/\/signature-1$/, "/")],
      } satisfies GpgSignatureSet;
    },
    async swrAscSignatures(image, digest) {
      if (image.transport !== "docker") return { signatures: [], searched: [] };
      const base = lookasideFor(options.registriesD, image.reference).swrAsc;
      if (base === undefined) return { signatures: [], searched: [] };
      const { url, bytes } = await readSwrAscObject(base, image.reference, digest, options.lookaside ?? {});
      return { signatures: bytes === undefined ? [] : [{ source: url.href, untrustedBytes: bytes }], searched: [url.href] } satisfies GpgSignatureSet;
    },
    async cosignSignatures(image, digest) {
      if (image.transport === "docker" && options.alwaysReadSigstoreAttachments !== true && !lookasideFor(options.registriesD, image.reference).useSigstoreAttachments) {
        return {
          signatures: [],
          searched: [],
          notReadBecause: `registries.d does not set "use-sigstore-attachments: true" for ${repositoryName(image.reference)}, and containers/image reads sigstore signatures only then (set it, or pass --use-sigstore-attachments)`,
        };
      }
      return readAttachments(options.access, image, digest);
    },
    async dockerContentTrust(image, query) {
      if (image.transport !== "docker") throw new SignetError("USAGE", "Docker Content Trust applies to images in a registry, not to OCI layouts");
      // The digest the image name resolves to (a tag: one request) is the one the trust data must sign; the digest
      // pulled is that one's instance for the platform, as resolveManifestDigest gives it.
      const resolved = await options.access.resolve(image);
      const { verifyImageDct } = await import("../signatures/dct/verify-image-dct.js");
      const { defaultTrustDir } = await import("../signatures/dct/trust-dir.js");
      const verification = await verifyImageDct(image.reference, { server: query.server, trustDir: query.trustDir ?? defaultTrustDir(), now: query.now, digest: resolved.digest });
      const pulledDigest = (await pulledInstance(resolved.repository, resolved.digest, options.platform ?? hostPlatform())).digest;
      return { verification, pulledDigest };
    },
    async notationSignatures(image, digest) {
      const repository = await options.access.repositoryFor(image);
      const found = await createRecordDiscovery(repository, digest).notationSignatures();
      return { records: found.records, searched: [found.searched] };
    },
    notationRevocation: async (chain) => (await import("../signatures/notation/revocation.js")).checkChainRevocation(chain, options.notationRevocation ?? {}),
    async resolveLayoutPath(path) {
      try {
        return await realpath(path);
      } catch {
        return resolve(path);
      }
    },
  };
}

async function readAttachments(access: ImageAccess, image: ImageLocation, digest: Digest): Promise<SigstoreSignatureSet> {
  const repository = await access.repositoryFor(image);
  const discovered = await discoverCosignSignatures(repository, digest, { identity: identityOf(image) });
  const where = `${repository.displayName}:${discovered.tag}`;
  return {
    signatures: discovered.signatures.map((signature) => ({ source: `${where} layer ${signature.layerDigest}`, signature })),
    searched: [where],
  };
}
