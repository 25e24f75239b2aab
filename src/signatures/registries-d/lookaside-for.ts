import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repositoryName, type ImageReference } from "../../oci/reference/index.js";
import type { RegistriesDConfig, RegistryNamespace } from "./registries-d.js";

/** Where an image's simple-signing signatures are read from and written to, per registries.d. */
export interface LookasideLocation {
  /** Base URL to read signatures from (`lookaside`, or the older `sigstore`); undefined when nothing is configured. */
  lookaside?: string;
  /**
   * Base URL to write signatures to: `lookaside-staging` (or `sigstore-staging`), falling back to the read
   * location as upstream does; undefined when nothing is configured.
   */
  lookasideStaging?: string;
  /** Whether sigstore (cosign-style) attachments are read and written for this image. Default false. */
  useSigstoreAttachments: boolean;
  /** signet's extension: the base URL of the swr-cosign `.asc` store (`signet-swr-asc`); undefined when none is configured. */
  swrAsc?: string;
}

/**
 * Looks up `reference` as containers/image does (signatureTopLevel, useSigstoreAttachments): the exact
 * identity first ("host/ns/repo:tag" or "@digest"), then each parent namespace up to the host, then
 * "*.domain" wildcards, then `default-docker`. A matching section that does not set the value asked for
 * falls through to the next candidate. A reference with both a tag and a digest is looked up by its digest,
 * as podman does (it drops the tag of such references).
 */
export function lookasideFor(config: RegistriesDConfig, reference: ImageReference): LookasideLocation {
  const sections = matchingSections(config, reference);
  const lookaside = firstDefined(sections, (s) => topLevel(s, false));
  const lookasideStaging = firstDefined(sections, (s) => topLevel(s, true));
  const useSigstoreAttachments = firstDefined(sections, (s) => s.useSigstoreAttachments) ?? false;
  const result: LookasideLocation = { useSigstoreAttachments };
  if (lookaside !== undefined) result.lookaside = lookaside;
  if (lookasideStaging !== undefined) result.lookasideStaging = lookasideStaging;
  const swrAsc = firstDefined(sections, (s) => (s.signetSwrAsc === "" ? undefined : s.signetSwrAsc));
  if (swrAsc !== undefined) result.swrAsc = swrAsc;
  return result;
}

/** The built-in lookaside when registries.d configures none: /var/lib/containers/sigstore for root, else under $HOME. */
export function builtinDefaultLookaside(options: { euid?: number; home?: string } = {}): string {
  const euid = options.euid ?? process.geteuid?.() ?? 0;
  const path = euid === 0 ? "/var/lib/containers/sigstore" : join(options.home ?? homedir(), ".local", "share", "containers", "sigstore");
  return pathToFileURL(path).href;
}

/**
 * The identity containers/image looks up first (PolicyConfigurationIdentity): "host/repo:tag", "host/repo@digest",
 * or the bare name for a reference with neither.
 */
export function dockerReferenceIdentity(reference: ImageReference): string {
  const name = repositoryName(reference);
  if (reference.digest !== undefined) return `${name}@${reference.digest}`;
  if (reference.tag !== undefined) return `${name}:${reference.tag}`;
  return name;
}

/**
 * The namespaces searched after the identity (docker/policyconfiguration DockerReferenceNamespaces): the
 * repository, each parent path, the host with its port, then "*.example.com"-style wildcards of the host
 * without its port. A name-only reference skips the repository itself (it is its identity).
 */
export function dockerReferenceNamespaces(reference: ImageReference): string[] {
  const namespaces: string[] = [];
  let name = repositoryName(reference);
  for (;;) {
    namespaces.push(name);
    const slash = name.lastIndexOf("/");
    if (slash === -1) break;
    name = name.slice(0, slash);
  }
  const colon = name.indexOf(":");
  if (colon !== -1) name = name.slice(0, colon);
  for (let dot = name.indexOf("."); dot !== -1; dot = name.indexOf(".")) {
    name = name.slice(dot + 1);
    namespaces.push(`*.${name}`);
  }
  if (reference.tag === undefined && reference.digest === undefined) namespaces.shift();
  return namespaces;
}

function matchingSections(config: RegistriesDConfig, reference: ImageReference): RegistryNamespace[] {
  const sections: RegistryNamespace[] = [];
  for (const scope of [dockerReferenceIdentity(reference), ...dockerReferenceNamespaces(reference)]) {
    const section = config.docker.get(scope);
    if (section !== undefined) sections.push(section);
  }
  if (config.defaultDocker !== undefined) sections.push(config.defaultDocker);
  return sections;
}

/** registryNamespace.signatureTopLevel: staging first when writing, new names before the deprecated ones, "" = unset. */
function topLevel(section: RegistryNamespace, write: boolean): string | undefined {
  const order = write
    ? [section.lookasideStaging, section.sigstoreStaging, section.lookaside, section.sigstore]
    : [section.lookaside, section.sigstore];
  return order.find((url) => url !== undefined && url !== "");
}

function firstDefined<T>(sections: readonly RegistryNamespace[], pick: (section: RegistryNamespace) => T | undefined): T | undefined {
  for (const section of sections) {
    const value = pick(section);
    if (value !== undefined) return value;
  }
  return undefined;
}
