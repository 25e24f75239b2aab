import { SignetError } from "../../errors/index.js";
import { isNameOnly, parseNormalizedName } from "../../oci/reference/index.js";
import { DOMAIN_NAME, IPV6_HOST, PATH_COMPONENT, PORT } from "../../oci/reference/grammar.js";
import { configIssue } from "./config-issue.js";
import type { JsonNode } from "../../internal/json-reader.js";
import { ObjectReader } from "./object-reader.js";
import type { PolicySourceLocation, SignedIdentityConfig } from "./policy-config.js";

export const SIGNED_IDENTITY_TYPES = ["matchExact", "matchRepoDigestOrExact", "matchRepository", "exactReference", "exactRepository", "remapIdentity"] as const;

/** The identity rule used when a requirement has no `signedIdentity` (upstream's default). */
export function defaultSignedIdentity(location: PolicySourceLocation): SignedIdentityConfig {
  return { type: "matchRepoDigestOrExact", location, defaulted: true };
}

/** Parses a `signedIdentity` / `baseLayerIdentity` object. Every field is required and no other is allowed. */
export function parseSignedIdentity(source: string, path: string, node: JsonNode): SignedIdentityConfig {
  const reader = new ObjectReader(source, path, node, "an identity rule");
  const type = reader.requiredString("type", "an identity rule");
  const location = reader.location;
  const exact = (fields: string[]): void => {
    reader.allowOnly(["type", ...fields], `a ${type} identity rule`);
    for (const field of fields) {
      if (!reader.has(field)) throw configIssue(source, path, reader.node.position, `a ${type} identity rule needs the field ${JSON.stringify(field)}`);
    }
  };
  switch (type) {
    case "matchExact":
    case "matchRepository":
      exact([]);
      return { type, location };
    case "matchRepoDigestOrExact":
      exact([]);
      return { type, location, defaulted: false };
    case "exactReference": {
      exact(["dockerReference"]);
      const dockerReference = reader.requiredString("dockerReference", "exactReference");
      const problem = referenceProblem(dockerReference, true);
      if (problem !== undefined) throw configIssue(source, reader.childPath("dockerReference"), reader.member("dockerReference")!.value.position, problem);
      return { type, location, dockerReference };
    }
    case "exactRepository": {
      exact(["dockerRepository"]);
      const dockerRepository = reader.requiredString("dockerRepository", "exactRepository");
      const problem = referenceProblem(dockerRepository, false);
      if (problem !== undefined) throw configIssue(source, reader.childPath("dockerRepository"), reader.member("dockerRepository")!.value.position, problem);
      return { type, location, dockerRepository };
    }
    case "remapIdentity": {
      exact(["prefix", "signedPrefix"]);
      const prefix = reader.requiredString("prefix", "remapIdentity");
      const signedPrefix = reader.requiredString("signedPrefix", "remapIdentity");
      for (const [field, value] of [["prefix", prefix], ["signedPrefix", signedPrefix]] as const) {
        if (!isValidRemapPrefix(value)) {
          throw configIssue(
            source,
            reader.childPath(field),
            reader.member(field)!.value.position,
            `${JSON.stringify(value)} is not a valid prefix: write host[:port], or host[:port]/namespace[/repository] in the fully expanded form (e.g. docker.io/library)`,
          );
        }
      }
      return { type, location, prefix, signedPrefix };
    }
    default:
      throw configIssue(
        source,
        reader.childPath("type"),
        reader.member("type")!.value.position,
        `unknown identity rule type ${JSON.stringify(type)}; known: ${SIGNED_IDENTITY_TYPES.join(", ")}`,
      );
  }
}

function referenceProblem(text: string, needsTagOrDigest: boolean): string | undefined {
  try {
    const reference = parseNormalizedName(text);
    if (needsTagOrDigest && isNameOnly(reference)) return `${JSON.stringify(text)} has neither a tag nor a digest`;
    return undefined;
  } catch (error) {
    if (SignetError.is(error)) return error.message;
    throw error;
  }
}

/**
 * containers/image's validateIdentityRemappingPrefix: exactly a registry host[:port], or a name that starts with
 * one ("example.com/ns"). Short names ("busybox") are refused because the prefix matches the expanded form.
 */
export function isValidRemapPrefix(text: string): boolean {
  if (isRegistryHost(text)) return true;
  const slash = text.indexOf("/");
  if (slash <= 0) return false;
  if (!isRegistryHost(text.slice(0, slash))) return false;
  return text
    .slice(slash + 1)
    .split("/")
    .every((component) => PATH_COMPONENT.test(component));
}

/** host or host:port, where host is a DNS name or a bracketed IPv6 address. */
export function isRegistryHost(text: string): boolean {
  let host = text;
  let port: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) return false;
    host = text.slice(0, close + 1);
    const rest = text.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return false;
      port = rest.slice(1);
    }
    if (!IPV6_HOST.test(host)) return false;
  } else {
    const colon = text.indexOf(":");
    if (colon !== -1) {
      host = text.slice(0, colon);
      port = text.slice(colon + 1);
    }
    if (!DOMAIN_NAME.test(host)) return false;
  }
  return port === undefined || PORT.test(port);
}
