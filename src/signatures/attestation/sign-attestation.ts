/**
 * `signet attest`: an in-toto statement about an image, signed as a DSSE envelope and stored as cosign does,
 * either as a layer of the legacy `.att` tag (media type application/vnd.dsse.envelope.v1+json, annotation
 * `predicateType`) or as a DSSE sigstore bundle attached as an OCI referrer.
 */
import type { Repository } from "../../oci/repository.js";
import { SignetError, toSignetError } from "../../errors/index.js";
import { mapConcurrently } from "../../internal/concurrency.js";
import type { Digest } from "../../internal/digest.js";
import { publicKeyToPem, type Signer } from "../../keys/index.js";
import type { ImageAccess, ResolvedImage } from "../../oci/image-access.js";
import type { PushedReferrer } from "../../oci/referrers/index.js";
import { attachSignatureLayers } from "../cosign/attach.js";
import { attachBundle, createDsseBundle, subjectsOf } from "../cosign/sign-bundle.js";
import { CosignAnnotation } from "../cosign/signature-manifest.js";
import { buildAttestationStatement } from "./build-statement.js";
import { DSSE_LAYER_MEDIA_TYPE, PREDICATE_TYPE_ANNOTATION } from "./discover-attestations.js";
import { IN_TOTO_PAYLOAD_TYPE, preAuthEncoding } from "./dsse.js";
import { serializeStatement } from "./in-toto-statement.js";

export interface AttestationSigner {
  readonly key: Signer;
  readonly certificatePem?: string;
  readonly chainPem?: string;
  readonly rekorUrl?: string;
  /** An RFC 3161 TimeStampResp over these bytes (cosign's --timestamp-server-url). */
  readonly timestamp?: (bytes: Buffer) => Promise<Buffer>;
}

export interface AttestImageOptions {
  readonly signer: AttestationSigner;
  /** cosign `--type`: a name or a predicate type URI. */
  readonly type: string;
  readonly predicate: Buffer;
  readonly bundleFormat: boolean;
  readonly recursive?: boolean;
  readonly now?: Date;
  /** Where the `.att` tags are written instead of the image's repository (cosign's COSIGN_REPOSITORY). */
  readonly signatureRepository?: Repository;
}

export interface AttestedManifest {
  readonly digest: Digest;
  readonly predicateType: string;
  /** Legacy: the `.att` tag; bundle: the referrer. */
  readonly tag?: string;
  readonly referrer?: PushedReferrer;
  readonly logIndex?: string;
}

export interface AttestImageResult {
  readonly image: ResolvedImage;
  readonly attested: AttestedManifest[];
}

export async function attestImages(access: ImageAccess, images: readonly string[], options: AttestImageOptions, concurrency = 16): Promise<(AttestImageResult | SignetError)[]> {
  return mapConcurrently(images, concurrency, async (image) => {
    try {
      return await attestImage(access, image, options);
    } catch (error) {
      return toSignetError(error);
    }
  });
}

async function attestImage(access: ImageAccess, image: string, options: AttestImageOptions): Promise<AttestImageResult> {
  const resolved = await access.resolve(image);
  const subjects = await subjectsOf(resolved, options.recursive === true);
  const attested: AttestedManifest[] = [];
  for (const subject of subjects) {
    const statement = buildAttestationStatement({ type: options.type, predicate: options.predicate, imageDigest: subject.digest, repository: resolved.identity, ...(options.now ? { now: options.now } : {}) });
    const statementBytes = serializeStatement(statement);
    if (options.bundleFormat) {
      const { bundle, logIndex } = await createDsseBundle(options.signer, IN_TOTO_PAYLOAD_TYPE, statementBytes);
      const referrer = await attachBundle(resolved.repository, subject, bundle, "dsse-envelope", statement.predicateType);
      attested.push({ digest: subject.digest, predicateType: statement.predicateType, referrer, ...(logIndex !== undefined ? { logIndex } : {}) });
      continue;
    }
    const { envelope, annotations, logIndex } = await legacyEnvelope(options.signer, statementBytes);
    const [outcome] = await attachSignatureLayers([
      {
        repository: options.signatureRepository ?? resolved.repository,
        imageDigest: subject.digest,
        input: { payload: envelope, mediaType: DSSE_LAYER_MEDIA_TYPE, annotations: { ...annotations, [PREDICATE_TYPE_ANNOTATION]: statement.predicateType } },
        options: { kind: "att" },
      },
    ]);
    if (outcome === undefined || SignetError.is(outcome)) throw outcome ?? new SignetError("INTERNAL", "no outcome for the attestation");
    attested.push({ digest: subject.digest, predicateType: statement.predicateType, tag: outcome.tag, ...(logIndex !== undefined ? { logIndex } : {}) });
  }
  return { image: resolved, attested };
}

/**
 * The envelope bytes and layer annotations of a legacy attestation, logged as a `dsse` entry when asked (as
 * cosign 2.5 does). The layer holds the envelope exactly as proposed to the log (sigstore-js's serialization:
 * payload, payloadType, signatures[{sig}]), so the entry's envelope hash is the hash of the layer, which is what
 * cosign compares.
 */
export async function legacyEnvelope(signer: AttestationSigner, statement: Buffer): Promise<{ envelope: Buffer; annotations: Record<string, string>; logIndex?: string }> {
  const sig = await signer.key.sign(preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, statement));
  const envelope = Buffer.from(JSON.stringify({ payload: statement.toString("base64"), payloadType: IN_TOTO_PAYLOAD_TYPE, signatures: [{ sig: sig.toString("base64") }] }), "utf8");
  // cosign writes an empty signature annotation on attestation layers: the signature is in the envelope.
  const annotations: Record<string, string> = { [CosignAnnotation.signature]: "" };
  if (signer.certificatePem !== undefined) annotations[CosignAnnotation.certificate] = signer.certificatePem;
  if (signer.chainPem !== undefined && signer.chainPem !== "") annotations[CosignAnnotation.chain] = signer.chainPem;
  // As cosign attest: on a `.att` layer the timestamp covers the whole envelope (a bundle's covers the signature).
  if (signer.timestamp !== undefined) annotations[CosignAnnotation.rfc3161Timestamp] = JSON.stringify({ SignedRFC3161Timestamp: (await signer.timestamp(envelope)).toString("base64") });
  if (signer.rekorUrl === undefined) return { envelope, annotations };
  const { uploadToRekor } = await import("../../transparency/rekor-client.js");
  const entry = await uploadToRekor({
    rekorUrl: signer.rekorUrl,
    content: { kind: "dsse", payloadType: IN_TOTO_PAYLOAD_TYPE, payload: statement, signatures: [{ sig, keyid: "" }] },
    verifierPem: signer.certificatePem ?? publicKeyToPem(signer.key.publicKey),
    dsseEntryType: "dsse",
  });
  annotations[CosignAnnotation.bundle] = entry.cosignBundleAnnotation;
  return { envelope, annotations, logIndex: entry.logIndex };
}
