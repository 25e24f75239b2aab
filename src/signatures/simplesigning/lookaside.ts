import { randomBytes } from "node:crypto";
import { link, mkdir, open, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Dispatcher } from "undici";
import { SignetError } from "../../errors/index.js";
import { readBounded } from "../../internal/bounded-read.js";
import { digestAlgorithm, digestHex, parseDigest, type Digest } from "../../internal/digest.js";
import { LIMITS } from "../../internal/limits.js";
import type { ImageReference } from "../../oci/reference/index.js";
import { describeUrl } from "../../oci/registry/redact.js";
import { transportError } from "../../oci/registry/transport.js";

/**
 * Lookaside signature stores (containers/image docs/signature-protocols.md, docker/lookaside.go): the
 * signatures of manifest `<alg>:<hex>` of repository `host/path` live at
 * `<base>/<path>@<alg>=<hex>/signature-<N>`, N counted from 1 with no gaps; the repository path excludes the
 * registry host. Reading stops at the first missing N. Writing never overwrites: it claims the next free N.
 */

export interface ReadLookasideOptions {
  /** At most this many signatures are read; one more present is COUNT_LIMIT_EXCEEDED. Default 100 (LIMITS.signaturesPerImage). */
  maxSignatures?: number;
  /** Per signature; default 4 MiB (containers/image's MaxSignatureBodySize). */
  maxBytes?: number;
  /** Per HTTP request, including its body; default 30 s. */
  fetchTimeoutMs?: number;
  /** undici dispatcher for http(s) stores (TLS settings, proxies); default undici's global one. */
  dispatcher?: Dispatcher;
}

export interface WriteLookasideOptions {
  /** Refuse to write beyond signature-<maxSignatures>, since readers would not read it. Default 100. */
  maxSignatures?: number;
}

export const LOOKASIDE_SIGNATURE_MAX_BYTES = LIMITS.lookasideSignatureBytes;
const DEFAULT_TIMEOUT_MS = 30_000;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** The URL of signature number `index` (from 1) of `digest` in the store at `base`. */
export function lookasideSignatureUrl(base: string, reference: ImageReference, digest: Digest | string, index: number): URL {
  if (!Number.isSafeInteger(index) || index < 1) throw new SignetError("USAGE", `lookaside signature numbers start at 1, got ${index}`);
  const checked = parseDigest(digest); // "sha256:../x" must never reach a path
  const url = parseBaseUrl(base);
  // Upstream appends "/" + path to Go's url.Path, which is "" for "http://host"; a WHATWG URL says "/" there, so
  // trailing slashes are dropped first (a base written with one then gets a single slash, not Go's "//").
  const basePath = url.pathname.replace(/\/+$/, "");
  url.pathname = `${basePath}/${repositoryPath(reference)}@${digestAlgorithm(checked)}=${digestHex(checked)}/signature-${index}`;
  return url;
}

/**
 * Reads every signature of `digest` from the lookaside store at `base` (file:, http: or https:). A missing
 * file or an HTTP 404 ends the list; any other failure fails closed (IO_ERROR for files; REGISTRY_ERROR,
 * REGISTRY_UNREACHABLE or REGISTRY_TIMEOUT for HTTP), so an unreachable store never reads as "unsigned".
 */
export async function readLookasideSignatures(
  base: string,
  reference: ImageReference,
  digest: Digest | string,
  options: ReadLookasideOptions = {},
): Promise<Buffer[]> {
  const maxSignatures = options.maxSignatures ?? LIMITS.signaturesPerImage;
  const maxBytes = options.maxBytes ?? LOOKASIDE_SIGNATURE_MAX_BYTES;
  const signatures: Buffer[] = [];
  for (let index = 1; ; index++) {
    const url = lookasideSignatureUrl(base, reference, digest, index);
    const signature = url.protocol === "file:" ? await readFileSignature(url, maxBytes) : await fetchSignature(url, maxBytes, options);
    if (signature === undefined) return signatures;
    if (index > maxSignatures) {
      throw new SignetError("COUNT_LIMIT_EXCEEDED", `the lookaside store has more than ${maxSignatures} signatures for ${digest}`, {
        details: { limit: maxSignatures, url: describeUrl(url) },
      });
    }
    signatures.push(signature);
  }
}

/**
 * Reads one stored object (file:, http: or https:) the way lookaside signatures are read: bounded to
 * `maxBytes`, redirects checked, undefined when it does not exist (a missing file or HTTP 404); any other
 * failure fails closed.
 */
export function readStoredSignatureObject(url: URL, maxBytes: number, options: Pick<ReadLookasideOptions, "fetchTimeoutMs" | "dispatcher"> = {}): Promise<Buffer | undefined> {
  return url.protocol === "file:" ? readFileSignature(url, maxBytes) : fetchSignature(url, maxBytes, options);
}

/**
 * Stores one object with an HTTP PUT (an object storage bucket that accepts unauthenticated or pre-signed PUTs):
 * any 2xx is success; redirects are not followed; the error body is not read.
 */
export async function putStoredObject(url: URL, bytes: Uint8Array, options: Pick<ReadLookasideOptions, "fetchTimeoutMs" | "dispatcher"> = {}): Promise<void> {
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new SignetError("USAGE", `cannot PUT to ${describeUrl(url)}: only http: and https: URLs`);
  const { request } = await import("undici");
  const signal = AbortSignal.timeout(options.fetchTimeoutMs ?? DEFAULT_TIMEOUT_MS);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, { method: "PUT", body: bytes, headers: { "content-type": "application/json" }, signal, ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}) });
  } catch (error) {
    throw transportError(error, { method: "PUT", url }, signal);
  }
  response.body.on("error", () => undefined);
  response.body.destroy();
  if (response.statusCode < 200 || response.statusCode > 299) {
    throw new SignetError(response.statusCode === 429 ? "REGISTRY_TOO_MANY_REQUESTS" : "REGISTRY_ERROR", `storing ${describeUrl(url)} failed: HTTP ${response.statusCode}`, {
      details: { url: describeUrl(url), status: response.statusCode },
    });
  }
}

/**
 * Stores `bytes` as the next free `signature-N` of `digest` under the file: store at `stagingBase` and
 * returns its path. The content is written to a temporary file first and then hard-linked to its name, which
 * fails if the name exists: readers never see a partial file, nothing is overwritten, and concurrent writers
 * get different N.
 */
export async function writeLookasideSignature(
  stagingBase: string,
  reference: ImageReference,
  digest: Digest | string,
  bytes: Uint8Array,
  options: WriteLookasideOptions = {},
): Promise<string> {
  const maxSignatures = options.maxSignatures ?? LIMITS.signaturesPerImage;
  const first = lookasideSignatureUrl(stagingBase, reference, digest, 1);
  if (first.protocol !== "file:") {
    throw new SignetError("USAGE", `cannot write signatures to ${describeUrl(first)}: only file: lookaside stores can be written`, {
      hint: "Configure `lookaside-staging: file:///…` in registries.d and publish that directory at the lookaside URL.",
    });
  }
  const directory = dirname(filePath(first));
  await io(`create ${directory}`, () => mkdir(directory, { recursive: true, mode: 0o755 }));
  const temporary = `${directory}/.signature-${process.pid}-${randomBytes(8).toString("hex")}.tmp`;
  await writeNew(temporary, bytes);
  try {
    for (let index = 1; index <= maxSignatures; index++) {
      const path = filePath(lookasideSignatureUrl(stagingBase, reference, digest, index));
      if (await claim(temporary, path, bytes)) return path;
    }
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  throw new SignetError("COUNT_LIMIT_EXCEEDED", `the lookaside store already has ${maxSignatures} signatures for ${digest}`, {
    details: { limit: maxSignatures, directory },
  });
}

/** Gives the temporary file the name `path` unless it exists. False when taken. */
async function claim(temporary: string, path: string, bytes: Uint8Array): Promise<boolean> {
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    // File systems without hard links: fall back to an exclusive create (a reader may see it half-written).
    if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "ENOSYS") {
      try {
        await writeNew(path, bytes);
        return true;
      } catch (fallbackError) {
        if (SignetError.is(fallbackError) && fallbackError.details["reason"] === "EEXIST") return false;
        throw fallbackError;
      }
    }
    throw ioError(`write ${path}`, error);
  }
}

/** Creates `path` with O_CREAT|O_EXCL and writes `bytes` durably. */
async function writeNew(path: string, bytes: Uint8Array): Promise<void> {
  await io(`write ${path}`, async () => {
    const handle = await open(path, "wx", 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

async function readFileSignature(url: URL, maxBytes: number): Promise<Buffer | undefined> {
  const path = filePath(url);
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw ioError(`read ${path}`, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new SignetError("IO_ERROR", `lookaside signature ${path} is not a regular file`, { details: { path } });
    if (stats.size > maxBytes) throw tooLarge(path, maxBytes);
    return await readBounded(handle.createReadStream({ autoClose: false }), maxBytes, `lookaside signature ${path}`);
  } catch (error) {
    if (SignetError.is(error)) throw error;
    throw ioError(`read ${path}`, error);
  } finally {
    await handle.close();
  }
}

/** GET with manual redirects (never from https to http); 404 = no such signature. */
async function fetchSignature(start: URL, maxBytes: number, options: ReadLookasideOptions): Promise<Buffer | undefined> {
  // undici costs ~200 ms to load; only http(s) stores pay it, when first used.
  const { request } = await import("undici");
  const signal = AbortSignal.timeout(options.fetchTimeoutMs ?? DEFAULT_TIMEOUT_MS);
  let url = start;
  for (let redirects = 0; ; redirects++) {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, { method: "GET", signal, ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}) });
    } catch (error) {
      throw transportError(error, { method: "GET", url }, signal);
    }
    const { statusCode, headers, body } = response;
    // Errors surface through reading; an unread body destroyed below must not raise an uncaught 'error' event.
    body.on("error", () => undefined);
    try {
      if (statusCode === 404) return undefined;
      if (statusCode === 200) {
        const declared = Number(headers["content-length"]);
        if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(describeUrl(url), maxBytes);
        return await readBounded(body, maxBytes, `lookaside signature ${describeUrl(url)}`);
      }
      const location = headers["location"];
      if (REDIRECT_STATUSES.has(statusCode) && typeof location === "string") {
        if (redirects >= LIMITS.redirects) {
          throw new SignetError("REGISTRY_REDIRECT_LOOP", `${describeUrl(start)} redirected more than ${LIMITS.redirects} times`, { details: { url: describeUrl(start) } });
        }
        const next = new URL(location, url);
        if ((next.protocol !== "http:" && next.protocol !== "https:") || (url.protocol === "https:" && next.protocol === "http:")) {
          throw new SignetError("REGISTRY_ERROR", `${describeUrl(url)} redirected to an unsafe location ${describeUrl(next)}`, { details: { url: describeUrl(url) } });
        }
        url = next;
        continue;
      }
      const code = statusCode === 429 ? "REGISTRY_TOO_MANY_REQUESTS" : "REGISTRY_ERROR";
      throw new SignetError(code, `reading lookaside signature ${describeUrl(url)} failed: HTTP ${statusCode}`, {
        details: { url: describeUrl(url), status: statusCode },
      });
    } catch (error) {
      if (SignetError.is(error)) throw error;
      throw transportError(error, { method: "GET", url }, signal);
    } finally {
      if (!body.destroyed) body.destroy();
    }
  }
}

export function parseBaseUrl(base: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new SignetError("POLICY_CONFIG_INVALID", `lookaside location ${JSON.stringify(base)} is not a URL`, {
      hint: "Write lookaside locations as file:///path, http://host/path or https://host/path.",
      details: { lookaside: base },
    });
  }
  if (url.protocol !== "file:" && url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SignetError("POLICY_CONFIG_INVALID", `lookaside location ${describeUrl(url)} has an unsupported scheme`, {
      hint: "Write lookaside locations as file:///path, http://host/path or https://host/path.",
      details: { lookaside: describeUrl(url) },
    });
  }
  return url;
}

/** The reference's path without the registry (docker reference.Path), checked so it cannot climb out of the store. */
export function repositoryPath(reference: ImageReference): string {
  const path = reference.repository;
  if (path === "" || path.split("/").some((part) => part === "" || part === "." || part === ".." || part.includes("\\") || part.includes("%"))) {
    throw new SignetError("REF_INVALID", `repository ${JSON.stringify(path)} cannot name a lookaside location`, { details: { repository: path } });
  }
  return path;
}

export function filePath(url: URL): string {
  try {
    return fileURLToPath(url);
  } catch (error) {
    throw new SignetError("POLICY_CONFIG_INVALID", `lookaside location ${describeUrl(url)} is not a local file URL: ${(error as Error).message}`, {
      details: { lookaside: describeUrl(url) },
    });
  }
}

async function io<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (SignetError.is(error)) throw error;
    throw ioError(what, error);
  }
}

function ioError(what: string, error: unknown): SignetError {
  const reason = (error as NodeJS.ErrnoException).code ?? "unknown";
  return new SignetError("IO_ERROR", `cannot ${what}: ${(error as Error).message}`, { details: { reason }, cause: error });
}

function tooLarge(where: string, maxBytes: number): SignetError {
  return new SignetError("SIZE_LIMIT_EXCEEDED", `lookaside signature ${where} is larger than ${maxBytes} bytes`, { details: { limit: maxBytes } });
}
