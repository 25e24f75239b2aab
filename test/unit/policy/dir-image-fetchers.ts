/**
 * A fake PolicyFetchers serving an image in containers/image's `dir:` layout (manifest.json + signature-N), as the
 * upstream `dir-img-*` fixtures are: GPG signatures are stored raw, sigstore signatures as
 * "\x00sigstore-json\n" + {"mimeType", "payload" (base64), "annotations"}. Keys are read relative to `keyDir`.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { SignetError } from "../../../src/errors/index.js";
import { sha256Digest, type Digest } from "../../../src/internal/digest.js";
import type { PolicyFetchers, UntrustedGpgSignature, UntrustedSigstoreAttachment } from "../../../src/policy/index.js";

const SIGSTORE_PREFIX = Buffer.from("\x00sigstore-json\n", "latin1");

export interface DirImage {
  /** Manifest bytes, or undefined when the image has none. */
  manifest: Buffer | undefined;
  /** signature-N files in order. */
  signatures: Array<{ name: string; bytes: Buffer }>;
}

export function readDirImage(dir: string): DirImage {
  const manifestPath = join(dir, "manifest.json");
  const names = readdirSync(dir)
    .filter((n) => /^signature-\d+$/.test(n))
    .sort((a, b) => Number(a.slice(10)) - Number(b.slice(10)));
  return {
    manifest: existsSync(manifestPath) ? readFileSync(manifestPath) : undefined,
    signatures: names.map((name) => ({ name, bytes: readFileSync(join(dir, name)) })),
  };
}

export interface FakeFetcherCounts {
  digest: number;
  gpg: number;
  cosign: number;
}

/** Fetchers over one dir image; `counts` records how often each was asked (each must be at most once). */
export function dirImageFetchers(image: DirImage, keyDir: string, label = "dir-image"): PolicyFetchers & { counts: FakeFetcherCounts } {
  const counts: FakeFetcherCounts = { digest: 0, gpg: 0, cosign: 0 };
  const { gpg, sigstore } = splitSignatures(image, label);
  return {
    counts,
    resolveManifestDigest() {
      counts.digest++;
      if (image.manifest === undefined) return Promise.reject(new SignetError("FILE_NOT_FOUND", `${label} has no manifest.json`));
      // containers/image cannot compute the digest of a schema 1 manifest whose JWS signatures are invalid.
      const parsed = JSON.parse(image.manifest.toString("utf8")) as { schemaVersion?: number; signatures?: unknown };
      if (parsed.schemaVersion === 1 && parsed.signatures !== undefined) {
        return Promise.reject(new SignetError("MANIFEST_UNSUPPORTED", `${label}: cannot compute the digest of a schema 1 manifest with invalid signatures`));
      }
      return Promise.resolve(sha256Digest(image.manifest));
    },
    gpgSignatures(_image, _digest: Digest) {
      counts.gpg++;
      return Promise.resolve({ signatures: gpg, searched: [label] });
    },
    cosignSignatures(_image, _digest: Digest) {
      counts.cosign++;
      return Promise.resolve({ signatures: sigstore, searched: [label] });
    },
    readKey(location) {
      const path = isAbsolute(location) ? location : join(keyDir, location);
      try {
        return Promise.resolve(readFileSync(path));
      } catch (error) {
        return Promise.reject(new SignetError("POLICY_KEY_UNREADABLE", `cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`));
      }
    },
  };
}

function splitSignatures(image: DirImage, label: string): { gpg: UntrustedGpgSignature[]; sigstore: UntrustedSigstoreAttachment[] } {
  const gpg: UntrustedGpgSignature[] = [];
  const sigstore: UntrustedSigstoreAttachment[] = [];
  for (const { name, bytes } of image.signatures) {
    const source = `${label}/${name}`;
    if (bytes.subarray(0, SIGSTORE_PREFIX.length).equals(SIGSTORE_PREFIX)) {
      const json = JSON.parse(bytes.subarray(SIGSTORE_PREFIX.length).toString("utf8")) as { mimeType: string; payload: string; annotations?: Record<string, string> };
      const payload = Buffer.from(json.payload, "base64");
      const annotations = json.annotations ?? {};
      sigstore.push({
        source,
        signature: {
          layerDigest: sha256Digest(payload),
          mediaType: json.mimeType,
          untrustedPayload: payload,
          untrustedSignatureBase64: annotations["dev.cosignproject.cosign/signature"],
          untrustedAnnotations: annotations,
        },
      });
    } else {
      gpg.push({ source, untrustedBytes: bytes });
    }
  }
  return { gpg, sigstore };
}
