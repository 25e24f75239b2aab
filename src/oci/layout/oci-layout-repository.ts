import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { SignetError } from "../../errors/index.js";
import {
  digestAlgorithm,
  digestHex,
  parseDigest,
  sha256Digest,
  verifyDigest,
  type Digest,
} from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import { isRecord, parseJsonBytes } from "../../internal/strict-json.js";
import type { Descriptor } from "../manifest/descriptor.js";
import { MediaType } from "../manifest/media-types.js";
import { DIGEST_ALGORITHM_PREFIX, isValidTag } from "../reference/grammar.js";
import type { ManifestBytes, Repository } from "../repository.js";
import { createFileExclusive, ioError, writeFileAtomic } from "../../internal/atomic-file.js";
import { readFileBounded } from "./atomic-file.js";
import {
  REF_NAME_ANNOTATION,
  checkIndexDocument,
  createEmptyIndex,
  parseIndexDocument,
  refNameOf,
  serializeIndexDocument,
  type OciIndexDocument,
} from "./index-document.js";
import { withLockFile, type LockOptions } from "./lock-file.js";

export interface OpenLayoutOptions {
  /** Create the layout (directory, oci-layout, index.json, blobs/) when it does not exist yet. */
  create?: boolean;
  /** How long index.json.lock may go unrefreshed before it is broken, and how long to wait for it. */
  lock?: LockOptions;
}

const LAYOUT_VERSION = "1.0.0";
const OCI_LAYOUT_FILE = "oci-layout";
const INDEX_FILE = "index.json";
const OCI_LAYOUT_BYTES = Buffer.from(JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION }), "utf8");
/** oci-layout is a one-line JSON object; anything bigger is not one. */
const OCI_LAYOUT_FILE_LIMIT = 64 * 1024;

/** Opens (or with `create`, creates) the OCI image layout at `path`. */
export function openLayout(path: string, options: OpenLayoutOptions = {}): Promise<OciLayoutRepository> {
  return OciLayoutRepository.open(path, options);
}

/**
 * An OCI image layout directory (image-spec image-layout.md) seen as one repository: blobs are files named by
 * digest under blobs/, and tags are `org.opencontainers.image.ref.name` annotations on index.json entries, as
 * skopeo and umoci write them. Every read is bounded and digest-checked; every write is atomic; index.json is
 * changed only under index.json.lock, so concurrent signers (threads or processes) never lose an update.
 */
export class OciLayoutRepository implements Repository {
  readonly path: string;
  readonly displayName: string;
  private readonly lockOptions: LockOptions;
  /** Serialises index updates within this process before they compete for the lock file. */
  private indexQueue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, lockOptions: LockOptions) {
    this.path = path;
    this.displayName = `oci:${path}`;
    this.lockOptions = lockOptions;
  }

  static async open(path: string, options: OpenLayoutOptions = {}): Promise<OciLayoutRepository> {
    if (typeof path !== "string" || path === "") {
      throw new SignetError("LAYOUT_INVALID", "the OCI layout path is empty");
    }
    const layout = new OciLayoutRepository(path, options.lock ?? {});
    if (options.create === true) await layout.create();
    await layout.checkLayout();
    return layout;
  }

  /** Reads and checks index.json. */
  async readIndex(): Promise<OciIndexDocument> {
    const what = `index.json of ${this.displayName}`;
    const bytes = await readFileBounded(join(this.path, INDEX_FILE), LIMITS.manifestBytes, what);
    if (bytes === undefined) {
      throw new SignetError("LAYOUT_INVALID", `${this.displayName} has no index.json`, { details: { path: this.path } });
    }
    return parseIndexDocument(bytes, what);
  }

  /**
   * Read-modify-write of index.json under index.json.lock: `mutator` gets the current index, changes it in
   * place (or returns nothing and leaves it), and the result is written atomically if it changed. Returns
   * what the mutator returned.
   */
  updateIndex<T>(mutator: (index: OciIndexDocument) => T | Promise<T>): Promise<T> {
    const run = () =>
      withLockFile(
        join(this.path, `${INDEX_FILE}.lock`),
        async () => {
          const index = await this.readIndex();
          const before = serializeIndexDocument(index);
          const result = await mutator(index);
          checkIndexDocument(index, `index.json of ${this.displayName} as changed`);
          const after = serializeIndexDocument(index);
          if (!after.equals(before)) await writeFileAtomic(join(this.path, INDEX_FILE), after);
          return result;
        },
        this.lockOptions,
      );
    const next = this.indexQueue.then(run, run);
    this.indexQueue = next.catch(() => undefined);
    return next;
  }

  /**
   * Serialises a read-modify-write of one tag across processes (signers appending to a `.sig` tag), with a
   * lock file of its own so that index.json updates inside the action do not deadlock on index.json.lock.
   */
  withTagLock<T>(tag: string, action: () => Promise<T>): Promise<T> {
    if (!isValidTag(tag)) throw new SignetError("REF_INVALID", `invalid tag ${JSON.stringify(tag)}`);
    return withLockFile(join(this.path, `.${tag}.lock`), action, this.lockOptions);
  }

  async resolveTag(tag: string): Promise<Descriptor | undefined> {
    const index = await this.readIndex();
    // If a foreign tool left duplicates, the last entry is the newest.
    const found = index.manifests.findLast((descriptor) => refNameOf(descriptor) === tag);
    return found === undefined ? undefined : copyDescriptor(found);
  }

  async getManifest(reference: Digest | string): Promise<ManifestBytes> {
    const manifest = await this.tryGetManifest(reference);
    if (manifest === undefined) {
      const what = DIGEST_ALGORITHM_PREFIX.test(reference) ? `manifest ${reference}` : `tag ${JSON.stringify(reference)}`;
      throw new SignetError("REGISTRY_NOT_FOUND", `${what} not found in ${this.displayName}`, {
        details: { layout: this.path, reference },
      });
    }
    return manifest;
  }

  async tryGetManifest(reference: Digest | string): Promise<ManifestBytes | undefined> {
    let digest: Digest;
    let descriptor: Descriptor | undefined;
    if (DIGEST_ALGORITHM_PREFIX.test(reference)) {
      digest = parseDigest(reference);
      descriptor = (await this.readIndex()).manifests.find((entry) => entry.digest === digest);
    } else {
      descriptor = await this.resolveTag(reference);
      if (descriptor === undefined) return undefined;
      digest = descriptor.digest;
    }
    if (descriptor !== undefined && descriptor.size > LIMITS.manifestBytes) {
      throw new SignetError("SIZE_LIMIT_EXCEEDED", `manifest ${digest} in ${this.displayName} is ${descriptor.size} bytes, larger than the limit of ${LIMITS.manifestBytes} bytes`, {
        details: { limit: LIMITS.manifestBytes, size: descriptor.size, digest },
      });
    }
    const what = `manifest ${digest} in ${this.displayName}`;
    const bytes = await readFileBounded(this.blobPath(digest), LIMITS.manifestBytes, what);
    if (bytes === undefined) {
      if (descriptor !== undefined) {
        throw new SignetError("LAYOUT_INVALID", `${this.displayName} lists manifest ${digest} in index.json but has no blob for it`, {
          details: { layout: this.path, digest },
        });
      }
      return undefined;
    }
    verifyDigest(bytes, digest, what);
    return { bytes, digest, mediaType: descriptor?.mediaType ?? manifestMediaType(bytes, what) };
  }

  async putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<Digest> {
    if (typeof mediaType !== "string" || mediaType === "") {
      throw new SignetError("MANIFEST_INVALID", "a manifest needs a media type to be stored");
    }
    if (tag !== undefined && !isValidTag(tag)) {
      throw new SignetError("REF_INVALID", `tag ${JSON.stringify(tag.slice(0, 100))} is not valid`, { details: { tag: tag.slice(0, 100) } });
    }
    if (bytes.byteLength > LIMITS.manifestBytes) {
      throw new SignetError("SIZE_LIMIT_EXCEEDED", `the manifest is ${bytes.byteLength} bytes, larger than the limit of ${LIMITS.manifestBytes} bytes`, {
        details: { limit: LIMITS.manifestBytes, size: bytes.byteLength },
      });
    }
    const digest = sha256Digest(bytes);
    await this.putBlob(bytes, digest);
    if (tag !== undefined) {
      const descriptor: Descriptor = { mediaType, digest, size: bytes.byteLength, annotations: { [REF_NAME_ANNOTATION]: tag } };
      await this.updateIndex((index) => {
        // The tag moves: its entry is replaced where it stands (as skopeo does), and duplicates are dropped.
        const position = index.manifests.findIndex((entry) => refNameOf(entry) === tag);
        if (position === -1) {
          index.manifests.push(descriptor);
        } else {
          index.manifests[position] = descriptor;
          index.manifests = index.manifests.filter((entry, i) => i <= position || refNameOf(entry) !== tag);
        }
      });
    }
    return digest;
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    try {
      return (await stat(this.blobPath(parseDigest(digest)))).isFile();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return false;
      if (SignetError.is(error)) throw error;
      throw ioError(`could not check blob ${digest} in ${this.displayName}`, error);
    }
  }

  async getBlob(digest: Digest, maxBytes: number): Promise<Buffer> {
    const checked = parseDigest(digest);
    const what = `blob ${checked} in ${this.displayName}`;
    const bytes = await readFileBounded(this.blobPath(checked), maxBytes, what);
    if (bytes === undefined) {
      throw new SignetError("REGISTRY_NOT_FOUND", `${what} not found`, { details: { layout: this.path, digest: checked } });
    }
    verifyDigest(bytes, checked, what);
    return bytes;
  }

  async putBlob(bytes: Buffer, digest: Digest): Promise<void> {
    const checked = parseDigest(digest);
    verifyDigest(bytes, checked, `blob to store as ${checked}`);
    const path = this.blobPath(checked);
    const existing = await stat(path).catch(() => undefined);
    if (existing?.isFile() === true && existing.size === bytes.byteLength) return;
    await mkdir(join(this.path, "blobs", digestAlgorithm(checked)), { recursive: true }).catch((error: unknown) => {
      throw ioError(`could not create the blob directory of ${this.displayName}`, error);
    });
    await writeFileAtomic(path, bytes);
  }

  /** Removes every index.json entry naming this manifest (its tags); the blobs stay, as a garbage collector's to remove. */
  async deleteManifest(digest: Digest): Promise<void> {
    const checked = parseDigest(digest);
    await this.updateIndex((index) => {
      index.manifests = index.manifests.filter((entry) => entry.digest !== checked);
    });
  }

  async listTags(): Promise<string[]> {
    const index = await this.readIndex();
    const tags = new Set<string>();
    for (const descriptor of index.manifests) {
      const tag = refNameOf(descriptor);
      if (tag !== undefined) tags.add(tag);
    }
    return [...tags].sort();
  }

  /** Only ever called with a parsed digest, so the path stays inside blobs/. */
  private blobPath(digest: Digest): string {
    return join(this.path, "blobs", digestAlgorithm(digest), digestHex(digest));
  }

  private async create(): Promise<void> {
    try {
      await mkdir(join(this.path, "blobs", "sha256"), { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST" || code === "ENOTDIR") {
        throw new SignetError("LAYOUT_INVALID", `cannot create an OCI layout at ${this.path}: it is not a directory`, { details: { path: this.path } });
      }
      throw ioError(`could not create the OCI layout ${this.path}`, error);
    }
    // Never replaces files another process may have just created.
    await createFileExclusive(join(this.path, OCI_LAYOUT_FILE), OCI_LAYOUT_BYTES);
    await createFileExclusive(join(this.path, INDEX_FILE), serializeIndexDocument(createEmptyIndex()));
  }

  private async checkLayout(): Promise<void> {
    const info = await stat(this.path).catch(() => undefined);
    if (info === undefined) {
      throw new SignetError("LAYOUT_INVALID", `no OCI image layout at ${this.path}: the directory does not exist`, {
        details: { path: this.path },
        hint: "Give the directory of an OCI image layout, or create one (e.g. `skopeo copy … oci:DIR:TAG`).",
      });
    }
    if (!info.isDirectory()) {
      throw new SignetError("LAYOUT_INVALID", `no OCI image layout at ${this.path}: it is not a directory`, { details: { path: this.path } });
    }
    const what = `oci-layout file of ${this.displayName}`;
    const bytes = await readFileBounded(join(this.path, OCI_LAYOUT_FILE), OCI_LAYOUT_FILE_LIMIT, what).catch((error: unknown) => {
      if (SignetError.is(error) && error.code === "SIZE_LIMIT_EXCEEDED") {
        throw new SignetError("LAYOUT_INVALID", `${what} is not an oci-layout file (too large)`, { cause: error });
      }
      throw error;
    });
    if (bytes === undefined) {
      throw new SignetError("LAYOUT_INVALID", `no OCI image layout at ${this.path}: it has no oci-layout file`, { details: { path: this.path } });
    }
    const layout = parseJsonBytes(bytes, what, "LAYOUT_INVALID");
    const version = isRecord(layout) ? layout.imageLayoutVersion : undefined;
    if (typeof version !== "string" || !/^1\.\d+\.\d+$/.test(version)) {
      throw new SignetError("LAYOUT_INVALID", `${what} has imageLayoutVersion ${JSON.stringify(version)}; signet reads version 1.x`, {
        details: { path: this.path },
      });
    }
    await this.readIndex();
  }
}

/**
 * The media type of a manifest that index.json does not list: its own mediaType field, or, for an OCI
 * manifest or index that omits it (allowed by the image spec), what its fields show it to be.
 */
function manifestMediaType(bytes: Buffer, what: string): string {
  const manifest = parseJsonBytes(bytes, what, "MANIFEST_INVALID");
  if (!isRecord(manifest)) throw new SignetError("MANIFEST_INVALID", `${what} is not a JSON object`);
  if (typeof manifest.mediaType === "string" && manifest.mediaType !== "") return manifest.mediaType;
  if (Array.isArray(manifest.manifests)) return MediaType.OciIndex;
  if (isRecord(manifest.config) && Array.isArray(manifest.layers)) return MediaType.OciManifest;
  throw new SignetError("MANIFEST_INVALID", `${what} has no mediaType and is neither a manifest nor an index`);
}

function copyDescriptor(descriptor: Descriptor): Descriptor {
  return structuredClone(descriptor);
}
