import { configIssue } from "./config-issue.js";
import type { JsonNode } from "../../internal/json-reader.js";
import { parseNotaryServerUrl } from "../../signatures/dct/server-url.js";
import { ObjectReader } from "./object-reader.js";
import { defaultSignedIdentity, parseSignedIdentity } from "./parse-identity.js";
import {
  SIGNED_BY_KEY_TYPES,
  type FulcioConfig,
  type KeySourceConfig,
  type PkiConfig,
  type PolicyRequirementConfig,
  type SignedByKeyType,
  type SignedIdentityConfig,
} from "./policy-config.js";

export const REQUIREMENT_TYPES = ["insecureAcceptAnything", "reject", "signedBy", "sigstoreSigned", "signedBaseLayer", "notationSigned", "signetDockerContentTrust"] as const;

/** Parses one requirement object of a scope's list, as containers/image's newPolicyRequirementFromJSON. */
export function parseRequirement(source: string, path: string, node: JsonNode): PolicyRequirementConfig {
  const reader = new ObjectReader(source, path, node, "a policy requirement");
  const type = reader.requiredString("type", "a policy requirement");
  const location = reader.location;
  switch (type) {
    case "insecureAcceptAnything":
    case "reject":
      reader.allowOnly(["type"], `a ${type} requirement`);
      return { type, location };
    case "signedBy":
      return parseSignedBy(reader);
    case "sigstoreSigned":
      return parseSigstoreSigned(reader);
    case "signetDockerContentTrust": {
      reader.allowOnly(["type", "server", "trustDir"], "a signetDockerContentTrust requirement");
      const server = reader.optionalString("server", { nonEmpty: true });
      if (server === undefined) throw configIssue(source, path, reader.node.position, 'a signetDockerContentTrust requirement needs "server", the Notary server\'s URL');
      const parsed = parseNotaryServerUrl(server);
      if ("problem" in parsed) throw configIssue(source, reader.childPath("server"), reader.member("server")!.value.position, `"server": ${parsed.problem}`);
      return { type, location, server: parsed.url, trustDir: reader.optionalString("trustDir", { nonEmpty: true }) };
    }
    case "notationSigned":
      return parseNotationSigned(reader);
    case "signedBaseLayer": {
      reader.allowOnly(["type", "baseLayerIdentity"], "a signedBaseLayer requirement");
      const identity = reader.member("baseLayerIdentity");
      if (identity === undefined) throw configIssue(source, path, reader.node.position, 'a signedBaseLayer requirement needs the field "baseLayerIdentity"');
      return { type, location, baseLayerIdentity: parseSignedIdentity(source, reader.childPath("baseLayerIdentity"), identity.value) };
    }
    default:
      throw configIssue(
        source,
        reader.childPath("type"),
        reader.member("type")!.value.position,
        `unknown requirement type ${JSON.stringify(type)}; known: ${REQUIREMENT_TYPES.join(", ")}`,
      );
  }
}

function parseSignedBy(reader: ObjectReader): PolicyRequirementConfig {
  reader.allowOnly(["type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"], "a signedBy requirement");
  const keyTypeText = reader.requiredString("keyType", "a signedBy requirement");
  if (!(SIGNED_BY_KEY_TYPES as readonly string[]).includes(keyTypeText)) {
    throw configIssue(
      reader.source,
      reader.childPath("keyType"),
      reader.member("keyType")!.value.position,
      `unknown keyType ${JSON.stringify(keyTypeText)}; known: ${SIGNED_BY_KEY_TYPES.join(", ")} (only GPGKeys is implemented)`,
    );
  }
  const keys = exactlyOneKeySource(reader, ["keyPath", "keyPaths", "keyData"], "signedBy", { emptyListsAllowed: true });
  return {
    type: "signedBy",
    location: reader.location,
    keyType: keyTypeText as SignedByKeyType,
    keys,
    signedIdentity: signedIdentityOf(reader),
  };
}

function parseSigstoreSigned(reader: ObjectReader): PolicyRequirementConfig {
  reader.allowOnly(
    [
      "type",
      "keyPath",
      "keyPaths",
      "keyData",
      "keyDatas",
      "fulcio",
      "rekorPublicKeyPath",
      "rekorPublicKeyPaths",
      "rekorPublicKeyData",
      "rekorPublicKeyDatas",
      "pki",
      "signedIdentity",
    ],
    "a sigstoreSigned requirement",
  );
  const keyFields = ["keyPath", "keyPaths", "keyData", "keyDatas"];
  const present = [...keyFields, "fulcio", "pki"].filter((field) => isPresent(reader, field));
  if (present.length !== 1) {
    throw configIssue(
      reader.source,
      reader.path,
      reader.node.position,
      present.length === 0
        ? "a sigstoreSigned requirement needs exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki; none is set"
        : `a sigstoreSigned requirement needs exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki; it sets ${present.join(" and ")}`,
    );
  }
  const keys = keyFields.includes(present[0]!) ? exactlyOneKeySource(reader, keyFields, "sigstoreSigned", { emptyListsAllowed: false }) : undefined;
  const fulcio = present[0] === "fulcio" ? parseFulcio(reader) : undefined;
  const pki = present[0] === "pki" ? parsePki(reader) : undefined;

  const rekorFields = ["rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData", "rekorPublicKeyDatas"];
  const rekorPresent = rekorFields.filter((field) => isPresent(reader, field));
  if (rekorPresent.length > 1) {
    throw configIssue(reader.source, reader.path, reader.node.position, `at most one of ${rekorFields.join(", ")} may be set; it sets ${rekorPresent.join(" and ")}`);
  }
  const rekorPublicKeys = rekorPresent.length === 1 ? exactlyOneKeySource(reader, rekorFields, "sigstoreSigned", { emptyListsAllowed: false }) : undefined;
  if (fulcio !== undefined && rekorPublicKeys === undefined) {
    throw configIssue(reader.source, reader.path, reader.node.position, "a fulcio requirement needs a Rekor public key (rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData or rekorPublicKeyDatas)");
  }
  if (pki !== undefined && rekorPublicKeys !== undefined) {
    throw configIssue(reader.source, reader.fieldLocation(rekorPresent[0]!).path, reader.member(rekorPresent[0]!)!.keyPosition, "Rekor public keys are not supported together with pki");
  }
  return { type: "sigstoreSigned", location: reader.location, keys, fulcio, pki, rekorPublicKeys, signedIdentity: signedIdentityOf(reader) };
}

const TRUST_STORE_NAME = /^(ca|signingAuthority|tsa):[A-Za-z0-9_.-]+$/;

/** signet's notationSigned: a Notary Project trust policy and its trust stores (docs/notation.md). */
function parseNotationSigned(reader: ObjectReader): PolicyRequirementConfig {
  reader.allowOnly(["type", "trustPolicyPath", "trustPolicyData", "trustStorePath", "trustStoreCertificates", "userMetadata", "scope"], "a notationSigned requirement");
  const trustPolicy = exactlyOneKeySource(reader, ["trustPolicyPath", "trustPolicyData"], "notationSigned", { emptyListsAllowed: false });
  const trustStorePath = nonEmpty(reader.optionalString("trustStorePath"));
  const trustStoreCertificates: { store: string; certificates: KeySourceConfig }[] = [];
  const stores = reader.optionalObject("trustStoreCertificates", "trustStoreCertificates");
  for (const member of stores?.node.members ?? []) {
    if (!TRUST_STORE_NAME.test(member.key)) {
      throw configIssue(reader.source, stores!.childPath(member.key), member.keyPosition, `trust store names are TYPE:NAME with TYPE ca, signingAuthority or tsa (as the trust policy names them), not ${JSON.stringify(member.key)}`);
    }
    const paths = stores!.optionalStringArray(member.key, { nonEmpty: true, nonEmptyItems: true })!;
    trustStoreCertificates.push({ store: member.key, certificates: { kind: "paths", field: `trustStoreCertificates.${member.key}`, location: stores!.fieldLocation(member.key), paths } });
  }
  if (trustStorePath === undefined && trustStoreCertificates.length === 0) {
    throw configIssue(reader.source, reader.path, reader.node.position, "notationSigned needs trustStorePath or trustStoreCertificates (the CA certificates the trust policy's trustStores name)");
  }
  const userMetadata: Record<string, string> = {};
  const metadata = reader.optionalObject("userMetadata", "userMetadata");
  for (const member of metadata?.node.members ?? []) userMetadata[member.key] = metadata!.optionalString(member.key)!;
  return { type: "notationSigned", location: reader.location, trustPolicy, trustStorePath, trustStoreCertificates, userMetadata, scope: nonEmpty(reader.optionalString("scope")) };
}

function parseFulcio(parent: ObjectReader): FulcioConfig {
  const reader = parent.optionalObject("fulcio", "fulcio")!;
  reader.allowOnly(["caPath", "caData", "oidcIssuer", "subjectEmail"], "fulcio");
  const ca = exactlyOneKeySource(reader, ["caPath", "caData"], "fulcio", { emptyListsAllowed: false });
  const oidcIssuer = reader.optionalString("oidcIssuer") ?? "";
  if (oidcIssuer === "") throw configIssue(reader.source, reader.path, reader.node.position, 'fulcio needs a non-empty "oidcIssuer"');
  const subjectEmail = reader.optionalString("subjectEmail") ?? "";
  if (subjectEmail === "") throw configIssue(reader.source, reader.path, reader.node.position, 'fulcio needs a non-empty "subjectEmail"');
  return { location: reader.location, ca, oidcIssuer, subjectEmail };
}

function parsePki(parent: ObjectReader): PkiConfig {
  const reader = parent.optionalObject("pki", "pki")!;
  reader.allowOnly(["caRootsPath", "caRootsData", "caIntermediatesPath", "caIntermediatesData", "subjectEmail", "subjectHostname"], "pki");
  const caRoots = exactlyOneKeySource(reader, ["caRootsPath", "caRootsData"], "pki", { emptyListsAllowed: false });
  const intermediatesPresent = ["caIntermediatesPath", "caIntermediatesData"].filter((field) => isPresent(reader, field));
  if (intermediatesPresent.length > 1) throw configIssue(reader.source, reader.path, reader.node.position, "caIntermediatesPath and caIntermediatesData cannot both be set");
  const caIntermediates =
    intermediatesPresent.length === 1 ? exactlyOneKeySource(reader, ["caIntermediatesPath", "caIntermediatesData"], "pki", { emptyListsAllowed: false }) : undefined;
  const subjectEmail = nonEmpty(reader.optionalString("subjectEmail"));
  const subjectHostname = nonEmpty(reader.optionalString("subjectHostname"));
  if (subjectEmail === undefined && subjectHostname === undefined) {
    throw configIssue(reader.source, reader.path, reader.node.position, 'pki needs "subjectEmail" or "subjectHostname" (or both)');
  }
  return { location: reader.location, caRoots, caIntermediates, subjectEmail, subjectHostname };
}

function signedIdentityOf(reader: ObjectReader): SignedIdentityConfig {
  const member = reader.member("signedIdentity");
  if (member === undefined) return defaultSignedIdentity(reader.location);
  return parseSignedIdentity(reader.source, reader.childPath("signedIdentity"), member.value);
}

/**
 * Reads the one key source among `fields` (…Path, …Paths, …Data, …Datas). An empty path counts as absent, as
 * upstream, so `"keyPath": ""` is "none set". Empty lists are refused unless upstream accepts them (signedBy).
 */
function exactlyOneKeySource(reader: ObjectReader, fields: readonly string[], what: string, options: { emptyListsAllowed: boolean }): KeySourceConfig {
  const present = fields.filter((field) => isPresent(reader, field));
  if (present.length !== 1) {
    throw configIssue(
      reader.source,
      reader.path,
      reader.node.position,
      present.length === 0
        ? `${what} needs exactly one of ${fields.join(", ")}; none is set`
        : `${what} needs exactly one of ${fields.join(", ")}; it sets ${present.join(" and ")}`,
    );
  }
  const field = present[0]!;
  const location = reader.fieldLocation(field);
  if (field.endsWith("Paths")) {
    return { kind: "paths", field, location, paths: reader.optionalStringArray(field, { nonEmpty: !options.emptyListsAllowed })! };
  }
  if (field.endsWith("Path")) return { kind: "path", field, location, path: reader.optionalString(field)! };
  if (field.endsWith("Datas")) return { kind: "datas", field, location, datas: reader.optionalBase64Array(field, { nonEmpty: !options.emptyListsAllowed })! };
  return { kind: "data", field, location, data: reader.optionalBase64(field)! };
}

/** A field counts as set unless it is an empty path string (which upstream treats as unset). Type errors surface here. */
function isPresent(reader: ObjectReader, field: string): boolean {
  const member = reader.member(field);
  if (member === undefined) return false;
  if (field.endsWith("Path")) return reader.optionalString(field) !== "";
  return true;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === "" ? undefined : value;
}
