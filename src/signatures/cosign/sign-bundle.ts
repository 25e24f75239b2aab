/**
 * Signing in the sigstore bundle format, as cosign 3 does with `--new-bundle-format`: a DSSE envelope over an
 * in-toto v1 statement (predicate type https://sigstore.dev/cosign/sign/v1, subject = the image digest, the
 * `-a` annotations on the subject), packed in a v0.3 bundle (public key hint, or the Fulcio certificate; the
 * Rekor `dsse` entry when logged) and attached to the image as an OCI referrer.
 */
import { createHash } from "node:crypto";
import { SignetError, toSignetError } from "../../errors/index.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import type { Digest } from "../../internal/digest.js";
import { digestAlgorithm, digestHex } from "../../internal/digest.js";
import { goJsonStringify } from "../../internal/go-json.js";
import { publicKeyToPem, type Signer } from "../../keys/index.js";
import type { ImageAccess, ResolvedImage } from "../../oci/image-access.js";
import type { Descriptor } from "../../oci/manifest/descriptor.js";
import { parseManifest } from "../../oci/manifest/parse.js";
import type { PushedReferrer } from "../../oci/referrers/index.js";
import type { Repository } from "../../oci/repository.js";
import { IN_TOTO_PAYLOAD_TYPE, preAuthEncoding } from "../attestation/dsse.js";
import { IN_TOTO_STATEMENT_V1 } from "../attestation/in-toto-statement.js";
import { COSIGN_SIGN_PREDICATE_TYPE } from "../attestation/predicate-types.js";
import { attachSigstoreBundle } from "../bundle-oci/attach-bundle.js";
import type { BundleContent } from "../bundle-oci/media-types.js";
import { appendAll } from "../../internal/arrays.js";

export interface BundleSigner {
  readonly key: Signer;
  /** The Fulcio certificate (PEM) of a keyless signer; without it the bundle names the key by its hint. */
  readonly certificatePem?: string;
  /** Upload each envelope to this Rekor log. */
  readonly rekorUrl?: string;
  /** An RFC 3161 TimeStampResp over the signature bytes (cosign's --timestamp-server-url). */
  readonly timestamp?: (signature: Buffer) => Promise<Buffer>;
}

export interface SignImageBundlesOptions {
  readonly signer: BundleSigner;
  readonly annotations?: Record<string, string>;
  readonly recursive?: boolean;
}

export interface SignedBundle {
  readonly digest: Digest;
  readonly referrer: PushedReferrer;
  readonly logIndex?: string;
}

export interface SignImageBundlesResult {
  readonly image: ResolvedImage;
  readonly signed: SignedBundle[];
}

/** cosign 3's statement for an image signature: the digest as subject, the annotations on it, an empty predicate. */
export function createSignatureStatement(imageDigest: Digest, annotations: Record<string, string> = {}): Buffer {
  const subject = { digest: { [digestAlgorithm(imageDigest)]: digestHex(imageDigest) }, annotations };
  return Buffer.from(goJsonStringify({ _type: IN_TOTO_STATEMENT_V1, subject: [subject], predicateType: COSIGN_SIGN_PREDICATE_TYPE, predicate: {} }), "utf8");
}

/**
 * A v0.3 bundle for a DSSE envelope signed by `signer`, uploaded to Rekor when the signer says so. Returns the
 * bundle JSON bytes (sigstore's field order) and the log index.
 */
export async function createDsseBundle(signer: BundleSigner, payloadType: string, payload: Buffer): Promise<{ bundle: Buffer; logIndex?: string }> {
  const { toDSSEBundle, bundleToJSON } = await import("@sigstore/bundle");
  const signature = await signer.key.sign(preAuthEncoding(payloadType, payload));
  const certificate = signer.certificatePem !== undefined ? pemToDer(signer.certificatePem) : undefined;
  const bundle = toDSSEBundle({
    artifact: payload,
    artifactType: payloadType,
    signature,
    ...(certificate !== undefined ? { certificate, certificateChain: false } : { keyHint: publicKeyHint(signer) }),
  });
  const json = bundleToJSON(bundle) as unknown as { verificationMaterial: Record<string, unknown>; dsseEnvelope: { signatures: { keyid?: string }[] } };
  // sigstore-go skips a DSSE signature whose keyid is not its verifier's; cosign writes none.
  for (const entry of json.dsseEnvelope.signatures) delete entry.keyid;
  if (signer.timestamp !== undefined) {
    const response = await signer.timestamp(Buffer.from(signature));
    json.verificationMaterial["timestampVerificationData"] = { rfc3161Timestamps: [{ signedTimestamp: response.toString("base64") }] };
  }
  let logIndex: string | undefined;
  if (signer.rekorUrl !== undefined) {
    const { uploadToRekor } = await import("../../transparency/rekor-client.js");
    const entry = await uploadToRekor({
      rekorUrl: signer.rekorUrl,
      content: { kind: "dsse", payloadType, payload, signatures: [{ sig: signature, keyid: "" }] },
      verifierPem: signer.certificatePem ?? publicKeyToPem(signer.key.publicKey),
      dsseEntryType: "dsse",
    });
    json.verificationMaterial["tlogEntries"] = [entry.bundleEntry];
    logIndex = entry.logIndex;
  } else {
    delete json.verificationMaterial["tlogEntries"];
  }
  const timestamps = (json.verificationMaterial["timestampVerificationData"] as { rfc3161Timestamps?: unknown[] } | undefined)?.rfc3161Timestamps;
  if (timestamps === undefined || timestamps.length === 0) delete json.verificationMaterial["timestampVerificationData"];
  return { bundle: Buffer.from(JSON.stringify(json), "utf8"), ...(logIndex !== undefined ? { logIndex } : {}) };
}

/** Signs images as bundles and attaches each as a referrer; a result or an error per image. */
export async function signImagesAsBundles(access: ImageAccess, images: readonly string[], options: SignImageBundlesOptions, concurrency = 16): Promise<(SignImageBundlesResult | SignetError)[]> {
  return mapConcurrently(images, concurrency, async (image) => {
    try {
      const resolved = await access.resolve(image);
      const subjects = await subjectsOf(resolved, options.recursive === true);
      const signed: SignedBundle[] = [];
      for (const subject of subjects) {
        const statement = createSignatureStatement(subject.digest, options.annotations);
        const { bundle, logIndex } = await createDsseBundle(options.signer, IN_TOTO_PAYLOAD_TYPE, statement);
        const referrer = await attachBundle(resolved.repository, subject, bundle, "dsse-envelope", COSIGN_SIGN_PREDICATE_TYPE);
        signed.push({ digest: subject.digest, referrer, ...(logIndex !== undefined ? { logIndex } : {}) });
      }
      return { image: resolved, signed };
    } catch (error) {
      return toSignetError(error);
    }
  });
}

export function attachBundle(repository: Repository, subject: Descriptor, bundle: Buffer, content: BundleContent, predicateType: string): Promise<PushedReferrer> {
  return attachSigstoreBundle(repository, subject, bundle, { content, predicateType });
}

/** The image's descriptor (and, recursively, its platform manifests'), read from the repository. */
export async function subjectsOf(resolved: ResolvedImage, recursive: boolean): Promise<Descriptor[]> {
  const manifest = await resolved.repository.tryGetManifest(resolved.digest);
  if (manifest === undefined) {
    throw new SignetError("REGISTRY_NOT_FOUND", `${resolved.repository.displayName}@${resolved.digest} does not exist`, { details: { digest: resolved.digest } });
  }
  const subjects: Descriptor[] = [{ mediaType: manifest.mediaType, digest: resolved.digest, size: manifest.bytes.length }];
  if (recursive) {
    const parsed = parseManifest(manifest.bytes, manifest.mediaType);
    if (parsed.kind === "index") appendAll(subjects, parsed.manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size })));
  }
  return subjects;
}

/** cosign's public key hint: base64 of the sha256 of the key's DER SubjectPublicKeyInfo. */
export function publicKeyHint(signer: BundleSigner): string {
  const der = signer.key.publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("base64");
}

function pemToDer(pem: string): Buffer {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new SignetError("INTERNAL", "the signing certificate is not PEM");
  return Buffer.from(match[1]!.replace(/\s+/g, ""), "base64");
}
