/**
 * What requirement evaluators may ask about an image, and the injected fetchers that answer. Evaluation is pure
 * apart from these fetchers (an admission webhook, a test or the CLI supplies its own), and each question is
 * asked at most once per evaluation: the digest is resolved once and every requirement verifies that digest.
 */
import { SignetError } from "../errors/index.js";
import type { Digest } from "../internal/digest.js";
import type { ImageLocation, ImageReference } from "../oci/reference/index.js";
import type { DctImageVerification } from "../signatures/dct/verify-image-dct.js";
import type { UntrustedCosignSignature, UntrustedSignatureRecord } from "../signatures/verifier/records.js";
import type { RevocationChecker } from "../signatures/notation/notation-requirement.js";

export interface UntrustedGpgSignature {
  /** Where it was read, e.g. "file:///var/lib/sigs/app@sha256=…/signature-1". */
  readonly source: string;
  readonly untrustedBytes: Buffer;
}

export interface GpgSignatureSet {
  readonly signatures: readonly UntrustedGpgSignature[];
  /** Where signatures were looked for, for "no signature exists" explanations. */
  readonly searched: readonly string[];
}

export interface UntrustedSigstoreAttachment {
  readonly source: string;
  /** Its `mediaType` tells signatures (application/vnd.dev.cosign.simplesigning.v1+json) from other attachments. */
  readonly signature: UntrustedCosignSignature;
}

export interface SigstoreSignatureSet {
  readonly signatures: readonly UntrustedSigstoreAttachment[];
  readonly searched: readonly string[];
  /** Set when attachments were not read at all (registries.d does not enable use-sigstore-attachments). */
  readonly notReadBecause?: string;
}

/** Notation signatures found among an image's referrers. */
export interface NotationSignatureSet {
  readonly records: readonly UntrustedSignatureRecord[];
  readonly searched: readonly string[];
}

/** Reads the bytes at a key (or policy) location: a file path, kbs:///repo/type/tag, k8s://ns/secret[/key]. */
export type KeyReader = (location: string) => Promise<Buffer>;

/** The I/O evaluatePolicy needs, injected so evaluation itself stays pure. */
export interface PolicyFetchers {
  /** Pins the image to the digest of its manifest (a tag costs a request; a digest reference none). */
  resolveManifestDigest(image: ImageLocation): Promise<Digest>;
  /** GPG simple-signing signatures of that digest (lookaside stores per registries.d). */
  gpgSignatures(image: ImageLocation, digest: Digest): Promise<GpgSignatureSet>;
  /** Cosign/sigstore signature attachments (`sha256-<hex>.sig`) of that digest. */
  cosignSignatures(image: ImageLocation, digest: Digest): Promise<SigstoreSignatureSet>;
  /** swr-cosign `.asc` objects of that digest (registries.d `signet-swr-asc`); absent: none are read. */
  swrAscSignatures?(image: ImageLocation, digest: Digest): Promise<GpgSignatureSet>;
  /** Notation signatures of that digest (OCI referrers); without it, notationSigned requirements fail closed. */
  notationSignatures?(image: ImageLocation, digest: Digest): Promise<NotationSignatureSet>;
  /** The OCSP/CRL status of a Notation signing chain; without it, a chain naming either has an unknown status. */
  notationRevocation?: RevocationChecker;
  /** Key bytes for compilePolicy (not used during evaluation). */
  readKey: KeyReader;
  /**
   * Docker Content Trust (signetDockerContentTrust): the trust data's verdict for the image as named (its tag, or
   * its digest) and the digest that is pulled from it (the platform instance of a signed index). Absent: the
   * requirement cannot be evaluated.
   */
  dockerContentTrust?(image: ImageLocation, options: DockerContentTrustQuery): Promise<DockerContentTrustAnswer>;
  /** The absolute, symlink-free path of an OCI layout (its policy identity); path.resolve when absent. */
  resolveLayoutPath?(path: string): Promise<string>;
}

export interface DockerContentTrustQuery {
  readonly server: string;
  readonly trustDir: string | undefined;
  readonly now: Date;
}

export interface DockerContentTrustAnswer {
  readonly verification: DctImageVerification;
  /** The digest pulled from the signed one (itself, or the platform's instance of a signed index). */
  readonly pulledDigest: Digest;
}

/** The per-evaluation view requirement evaluators get: memoised answers about one image. */
export interface RequirementContext {
  readonly image: ImageLocation;
  /** How to name the image in messages. */
  readonly imageName: string;
  /** The docker reference the image was named by (undefined for OCI layouts). */
  readonly dockerReference: ImageReference | undefined;
  /** The time signatures and keys are checked at. */
  readonly now: Date;
  digest(): Promise<Digest>;
  /** The digest if some requirement asked for it (and it resolved); never fetches. */
  digestIfRequested(): Promise<Digest | undefined>;
  gpgSignatures(): Promise<GpgSignatureSet>;
  cosignSignatures(): Promise<SigstoreSignatureSet>;
  /** The swr-cosign `.asc` object(s) of the digest, each's bytes untrusted JSON; none when no store is configured. */
  swrAscSignatures(): Promise<GpgSignatureSet>;
  /** Undefined when the fetchers cannot ask a Notary server. */
  readonly dockerContentTrust: ((options: Omit<DockerContentTrustQuery, "now">) => Promise<DockerContentTrustAnswer>) | undefined;
  notationSignatures(): Promise<NotationSignatureSet>;
  readonly notationRevocation: RevocationChecker | undefined;
}

export function createRequirementContext(image: ImageLocation, imageName: string, fetchers: PolicyFetchers, now: Date): RequirementContext {
  let digest: Promise<Digest> | undefined;
  let gpg: Promise<GpgSignatureSet> | undefined;
  let cosign: Promise<SigstoreSignatureSet> | undefined;
  let swrAsc: Promise<GpgSignatureSet> | undefined;
  let notation: Promise<NotationSignatureSet> | undefined;
  const context: RequirementContext = {
    image,
    imageName,
    dockerReference: image.transport === "docker" ? image.reference : undefined,
    now,
    digest: () => (digest ??= fetchers.resolveManifestDigest(image)),
    digestIfRequested: () => (digest === undefined ? Promise.resolve(undefined) : digest.catch(() => undefined)),
    gpgSignatures: () => (gpg ??= context.digest().then((d) => fetchers.gpgSignatures(image, d))),
    cosignSignatures: () => (cosign ??= context.digest().then((d) => fetchers.cosignSignatures(image, d))),
    swrAscSignatures: () =>
      (swrAsc ??= fetchers.swrAscSignatures === undefined ? Promise.resolve({ signatures: [], searched: [] }) : context.digest().then((d) => fetchers.swrAscSignatures!(image, d))),
    dockerContentTrust: fetchers.dockerContentTrust === undefined ? undefined : (options) => fetchers.dockerContentTrust!(image, { ...options, now }),
    notationSignatures: () => (notation ??= context.digest().then((d) => notationFetcher(fetchers)(image, d))),
    notationRevocation: fetchers.notationRevocation,
  };
  return context;
}

function notationFetcher(fetchers: PolicyFetchers): NonNullable<PolicyFetchers["notationSignatures"]> {
  if (fetchers.notationSignatures !== undefined) return fetchers.notationSignatures.bind(fetchers);
  return () => Promise.reject(new SignetError("POLICY_UNSUPPORTED", "this evaluation cannot read Notation signatures (no notationSignatures fetcher was given)"));
}
