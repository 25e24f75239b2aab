import { SignetError } from "../../errors/index.js";
import type { Digest } from "../../internal/digest.js";
import { isDigest, sha256Digest } from "../../internal/digest.js";
import { goJsonStringify, sortedRecord } from "../../internal/go-json.js";
import { LIMITS } from "../../internal/limits.js";
import { isRecord, parseJsonBytes } from "../../internal/strict-json.js";
import type { Descriptor } from "../../oci/manifest/descriptor.js";
import { MediaType } from "../../oci/manifest/media-types.js";

/** Layer annotations cosign uses on a `.sig` image. */
export const CosignAnnotation = {
  signature: "dev.cosignproject.cosign/signature",
  certificate: "dev.sigstore.cosign/certificate",
  chain: "dev.sigstore.cosign/chain",
  bundle: "dev.sigstore.cosign/bundle",
  /** `{"SignedRFC3161Timestamp":"<base64 TimeStampResp>"}` over the raw signature bytes. */
  rfc3161Timestamp: "dev.sigstore.cosign/rfc3161timestamp",
} as const;

/** A `.sig` image as cosign writes it: an OCI manifest, a config blob, one layer per signature. */
export interface SignatureImage {
  manifestBytes: Buffer;
  configBytes: Buffer;
  configDigest: Digest;
  layers: Descriptor[];
}

/**
 * Builds the `.sig` manifest and config for these layers, byte-identical to cosign (go-containerregistry's
 * empty image with the layers appended: zero-valued config, one history entry per layer).
 */
export function buildSignatureImage(layers: readonly Descriptor[]): SignatureImage {
  const config = {
    architecture: "",
    created: "0001-01-01T00:00:00Z",
    history: layers.map(() => ({ created: "0001-01-01T00:00:00Z" })),
    os: "",
    rootfs: { type: "layers", diff_ids: layers.map((layer) => layer.digest) },
    config: {},
  };
  const configBytes = Buffer.from(goJsonStringify(config), "utf8");
  const configDigest = sha256Digest(configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, size: configBytes.length, digest: configDigest },
    layers: layers.map((layer) => {
      const descriptor: Record<string, unknown> = { mediaType: layer.mediaType, size: layer.size, digest: layer.digest };
      if (layer.annotations && Object.keys(layer.annotations).length > 0) descriptor["annotations"] = sortedRecord(layer.annotations);
      return descriptor;
    }),
  };
  return { manifestBytes: Buffer.from(goJsonStringify(manifest), "utf8"), configBytes, configDigest, layers: [...layers] };
}

/**
 * Reads the layer descriptors of a `.sig` manifest whose bytes were digest-checked by the repository.
 * The descriptors are untrusted: each layer blob is checked against its digest when fetched, and each
 * signature is verified before anything it says is used.
 */
export function parseSignatureManifestLayers(bytes: Uint8Array): Descriptor[] {
  const untrustedManifest = parseJsonBytes(bytes, "signature manifest");
  if (!isRecord(untrustedManifest) || !Array.isArray(untrustedManifest["layers"])) {
    throw new SignetError("MANIFEST_INVALID", "signature manifest has no layers array");
  }
  const untrustedLayers: unknown[] = untrustedManifest["layers"];
  if (untrustedLayers.length > LIMITS.signatureLayers) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `signature manifest has ${untrustedLayers.length} layers; at most ${LIMITS.signatureLayers} are accepted`, {
      details: { layers: untrustedLayers.length, limit: LIMITS.signatureLayers },
    });
  }
  return untrustedLayers.map((layer, index) => toDescriptor(layer, index));
}

function toDescriptor(value: unknown, index: number): Descriptor {
  const fail = (why: string): never => {
    throw new SignetError("MANIFEST_INVALID", `signature manifest layer ${index} ${why}`);
  };
  if (!isRecord(value)) return fail("is not an object");
  const { mediaType, digest, size, annotations } = value;
  if (typeof mediaType !== "string") return fail("has no mediaType");
  if (typeof digest !== "string" || !isDigest(digest)) return fail("has an invalid digest");
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) return fail("has an invalid size");
  const descriptor: Descriptor = { mediaType, digest, size };
  if (annotations !== undefined) {
    if (!isRecord(annotations) || !Object.values(annotations).every((v) => typeof v === "string")) return fail("has invalid annotations");
    descriptor.annotations = annotations as Record<string, string>;
  }
  return descriptor;
}
