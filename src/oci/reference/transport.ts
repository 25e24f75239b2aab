import { SignetError } from "../../errors/index.js";
import { parseDigest, type Digest } from "../../internal/digest.js";
import { DIGEST_ALGORITHM_PREFIX, isValidTag } from "./grammar.js";
import { formatImageReference, parseImageReference, type ImageReference } from "./image-reference.js";

/** Where an image is: a registry (docker transport) or an OCI image layout directory (oci transport). */
export type ImageLocation =
  | { readonly transport: "docker"; readonly reference: ImageReference }
  | { readonly transport: "oci"; readonly path: string; readonly tag?: string; readonly digest?: Digest };

/**
 * containers/image transports signet does not read. Named so that "dir:/tmp/x" or "docker-archive:x.tar"
 * fail with a clear message instead of being taken for an image called "dir" or "docker-archive".
 * ("docker:24-dind" without "//" is not here: it is the official "docker" image.)
 */
const UNSUPPORTED_TRANSPORTS: ReadonlySet<string> = new Set([
  "atomic",
  "containers-storage",
  "dir",
  "docker-archive",
  "docker-daemon",
  "oci-archive",
  "ostree",
  "sif",
  "tarball",
]);

const TRANSPORT_PREFIX = /^([a-z][a-z0-9+.-]*):/;

/**
 * Parses `docker://REFERENCE`, a bare REFERENCE (docker), or `oci:PATH[:TAG][@DIGEST]`, as skopeo names images.
 * "localhost:5000/app" and "host:5000/app" are docker references (a registry with a port), not transports.
 */
export function parseImageLocation(text: string): ImageLocation {
  if (text.startsWith("docker://")) {
    return { transport: "docker", reference: parseImageReference(text.slice("docker://".length)) };
  }
  const prefix = TRANSPORT_PREFIX.exec(text)?.[1];
  if (prefix === "oci") return parseOciLocation(text, text.slice("oci:".length));
  if (prefix !== undefined && text.startsWith(`${prefix}://`)) throw unknownTransport(text, `${prefix}://`);
  if (prefix !== undefined && UNSUPPORTED_TRANSPORTS.has(prefix)) throw unknownTransport(text, `${prefix}:`);
  try {
    return { transport: "docker", reference: parseImageReference(text) };
  } catch (error) {
    // "xyz:some/path" cannot be a registry with a port, so it is most likely a transport signet lacks.
    if (prefix !== undefined && SignetError.is(error) && error.code === "REF_INVALID") {
      const afterColon = text.slice(prefix.length + 1);
      const portCandidate = afterColon.slice(0, afterColon.indexOf("/"));
      if (afterColon.includes("/") && !/^[0-9]+$/.test(portCandidate)) throw unknownTransport(text, `${prefix}:`, error);
    }
    throw error;
  }
}

/** "docker://docker.io/library/nginx:latest", "oci:./layout:v1", "oci:./layout@sha256:…". */
export function formatImageLocation(location: ImageLocation): string {
  if (location.transport === "docker") return `docker://${formatImageReference(location.reference)}`;
  return `oci:${location.path}${location.tag === undefined ? "" : `:${location.tag}`}${location.digest === undefined ? "" : `@${location.digest}`}`;
}

function parseOciLocation(text: string, rest: string): ImageLocation {
  let path = rest;
  let digest: Digest | undefined;
  let tag: string | undefined;

  const at = path.lastIndexOf("@");
  if (at !== -1 && DIGEST_ALGORITHM_PREFIX.test(path.slice(at + 1))) {
    const untrustedDigest = path.slice(at + 1);
    try {
      digest = parseDigest(untrustedDigest);
    } catch (error) {
      throw new SignetError("DIGEST_INVALID", `invalid image location ${quote(text)}: digest ${quote(untrustedDigest)} is not valid`, {
        details: { location: truncate(text), digest: truncate(untrustedDigest) },
        cause: error,
      });
    }
    path = path.slice(0, at);
  }

  // The part after the last ":" is a tag only when it is a valid tag and names no directory.
  const colon = path.lastIndexOf(":");
  if (colon !== -1) {
    const candidate = path.slice(colon + 1);
    if (candidate === "") throw invalidOci(text, 'it ends with ":" but no tag follows');
    if (!candidate.includes("/") && isValidTag(candidate)) {
      tag = candidate;
      path = path.slice(0, colon);
    }
  }
  if (path === "") throw invalidOci(text, "the layout directory is missing (write oci:PATH[:TAG])");

  const location: { transport: "oci"; path: string; tag?: string; digest?: Digest } = { transport: "oci", path };
  if (tag !== undefined) location.tag = tag;
  if (digest !== undefined) location.digest = digest;
  return Object.freeze(location);
}

function unknownTransport(text: string, transport: string, cause?: unknown): SignetError {
  return new SignetError(
    "REF_TRANSPORT_UNKNOWN",
    `unknown or unsupported transport ${quote(transport)} in ${quote(text)}: signet reads docker://REFERENCE and oci:PATH[:TAG]`,
    { details: { location: truncate(text), transport }, cause },
  );
}

function invalidOci(text: string, problem: string): SignetError {
  return new SignetError("REF_INVALID", `invalid image location ${quote(text)}: ${problem}`, {
    details: { location: truncate(text) },
    hint: "Write an OCI layout location as oci:PATH, oci:PATH:TAG or oci:PATH@sha256:<64 hex>.",
  });
}

function quote(value: string): string {
  return JSON.stringify(truncate(value));
}

function truncate(value: string): string {
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}
