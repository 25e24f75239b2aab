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
  type SignedByConfig,
  type PolicySemantics,
  type SignedByKeyType,
  type SigstoreSignedConfig,
  type NotationSignedConfig,
  type SignetThresholdConfig,
  type ThresholdSignerConfig,
  type SignedIdentityConfig,
} from "./policy-config.js";

export const REQUIREMENT_TYPES = ["insecureAcceptAnything", "reject", "signedBy", "sigstoreSigned", "signedBaseLayer", "notationSigned", "signetThreshold", "signetDockerContentTrust"] as const;

/**
 * The requirement types a signetThreshold signer may be, each parsed by its requirement's own parser (with `name`
 * added and no signedIdentity): a new signer kind is one entry here.
 */
const THRESHOLD_SIGNER_TYPES: Readonly<Record<string, (reader: ObjectReader, extra: readonly string[]) => ThresholdSignerConfig["requirement"]>> = {
  sigstoreSigned: (reader, extra) => parseSigstoreSigned(reader, extra),
  signedBy: (reader, extra) => parseSignedBy(reader, extra),
  notationSigned: (reader, extra) => parseNotationSigned(reader, extra),
};

/** Parses one requirement object of a scope's list, as containers/image's newPolicyRequirementFromJSON. */
export function parseRequirement(source: string, path: string, node: JsonNode, semantics: PolicySemantics = "containers-image"): PolicyRequirementConfig {
  const reader = new ObjectReader(source, path, node, "a policy requirement");
  const type = reader.requiredString("type", "a policy requirement");
  const location = reader.location;
  if (type === "insecureAcceptAnything" || type === "reject") {
    reader.allowOnly(["type"], `a ${type} requirement`);
    return { type, location };
  }
  if (semantics === "image-rs") return parseImageRsRequirement(reader, type);
  switch (type) {
    case "signedBy":
      return parseSignedBy(reader);
    case "sigstoreSigned":
      return parseSigstoreSigned(reader);
    case "signetThreshold":
      return parseSignetThreshold(reader);
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

function parseSignetThreshold(reader: ObjectReader): SignetThresholdConfig {
  reader.allowOnly(["type", "threshold", "required", "signers", "signedIdentity"], "a signetThreshold requirement");
  const { source } = reader;
  const signersMember = reader.member("signers");
  if (signersMember === undefined || signersMember.value.kind !== "array" || signersMember.value.items.length === 0) {
    throw configIssue(source, reader.childPath("signers"), signersMember?.value.position ?? reader.node.position, 'a signetThreshold requirement needs "signers": a non-empty list of named signers');
  }
  const signers: ThresholdSignerConfig[] = [];
  for (const [index, item] of signersMember.value.items.entries()) {
    const path = `${reader.childPath("signers")}[${index}]`;
    const signer = new ObjectReader(source, path, item, "a signer");
    const name = signer.requiredString("name", "a signer", { nonEmpty: true });
    if (signers.some((other) => other.name === name)) throw configIssue(source, signer.childPath("name"), signer.member("name")!.value.position, `two signers are named ${JSON.stringify(name)}`);
    const type = signer.requiredString("type", "a signer");
    const parse = THRESHOLD_SIGNER_TYPES[type];
    if (parse === undefined) {
      throw configIssue(source, signer.childPath("type"), signer.member("type")!.value.position, `a signer's type must be one of ${Object.keys(THRESHOLD_SIGNER_TYPES).join(", ")}, not ${JSON.stringify(type)}`);
    }
    if (signer.has("signedIdentity")) {
      throw configIssue(source, signer.childPath("signedIdentity"), signer.member("signedIdentity")!.keyPosition, "a signer has no signedIdentity of its own: the signetThreshold requirement's signedIdentity applies to every signature");
    }
    signers.push({ name, location: signer.location, requirement: parse(signer, ["name"]) });
  }
  const thresholdMember = reader.member("threshold");
  if (thresholdMember === undefined || thresholdMember.value.kind !== "number" || !Number.isSafeInteger(thresholdMember.value.value) || thresholdMember.value.value < 1 || thresholdMember.value.value > signers.length) {
    throw configIssue(source, reader.childPath("threshold"), thresholdMember?.value.position ?? reader.node.position, `a signetThreshold requirement needs "threshold": a whole number from 1 to the ${signers.length} signers listed`);
  }
  const required = reader.optionalStringArray("required", { nonEmptyItems: true }) ?? [];
  for (const [index, name] of required.entries()) {
    const position = reader.member("required")!.value.position;
    if (!signers.some((signer) => signer.name === name)) {
      throw configIssue(source, `${reader.childPath("required")}[${index}]`, position, `required signer ${JSON.stringify(name)} is not one of the signers (${signers.map((signer) => JSON.stringify(signer.name)).join(", ")})`);
    }
    if (required.indexOf(name) !== index) throw configIssue(source, `${reader.childPath("required")}[${index}]`, position, `required signer ${JSON.stringify(name)} is listed twice`);
  }
  return { type: "signetThreshold", location: reader.location, threshold: thresholdMember.value.value, required, signers, signedIdentity: signedIdentityOf(reader) };
}

/**
 * image-rs's PolicyReqType (policy_requirement.rs): insecureAcceptAnything, reject, signedBy and sigstoreSigned,
 * each with keyPath or keyData and an optional signedIdentity. Another type makes serde refuse the whole file.
 * Fields image-rs does not read (keyPaths, keyDatas, fulcio, pki, rekorPublicKey*) are refused here: the guest
 * would ignore them, so a requirement would be weaker (Rekor) or reject every image (no key) without saying so.
 * sigstoreSigned keyData is the PEM text itself (image-rs passes its bytes to the PEM parser); signedBy keyData
 * is base64, as containers/image.
 */
function parseImageRsRequirement(reader: ObjectReader, type: string): PolicyRequirementConfig {
  const location = reader.location;
  const fields = { signedBy: ["type", "keyType", "keyPath", "keyData", "signedIdentity"], sigstoreSigned: ["type", "keyPath", "keyData", "signedIdentity"] } as const;
  switch (type) {
    case "signedBy":
    case "sigstoreSigned": {
      for (const member of reader.node.members) {
        if (!(fields[type] as readonly string[]).includes(member.key)) {
          throw configIssue(
            reader.source,
            reader.childPath(member.key),
            member.keyPosition,
            `image-rs does not read ${JSON.stringify(member.key)} in a ${type} requirement (it reads only ${fields[type].join(", ")}): the guest would evaluate the requirement without it`,
          );
        }
      }
      const present = ["keyPath", "keyData"].filter((field) => isPresent(reader, field));
      if (present.length !== 1) {
        throw configIssue(
          reader.source,
          reader.path,
          reader.node.position,
          `image-rs needs exactly one of keyPath and keyData in a ${type} requirement (${present.length === 0 ? "neither is set" : "both are set"}); it rejects every image otherwise`,
        );
      }
      let keys: KeySourceConfig;
      if (present[0] === "keyPath") keys = { kind: "path", field: "keyPath", location: reader.fieldLocation("keyPath"), path: reader.optionalString("keyPath")! };
      else if (type === "signedBy") keys = { kind: "data", field: "keyData", location: reader.fieldLocation("keyData"), data: reader.optionalBase64("keyData")! };
      else keys = { kind: "data", field: "keyData", location: reader.fieldLocation("keyData"), data: Buffer.from(reader.optionalString("keyData")!, "utf8") };
      if (type === "sigstoreSigned") {
        return { type, location, keys, fulcio: undefined, pki: undefined, rekorPublicKeys: undefined, signedIdentity: signedIdentityOf(reader) };
      }
      const keyType = reader.requiredString("keyType", "a signedBy requirement");
      if (keyType !== "GPGKeys") {
        throw configIssue(reader.source, reader.childPath("keyType"), reader.member("keyType")!.value.position, `image-rs supports only keyType "GPGKeys", not ${JSON.stringify(keyType)}; it rejects every image otherwise`);
      }
      return { type, location, keyType, keys, signedIdentity: signedIdentityOf(reader) };
    }
    default:
      throw configIssue(
        reader.source,
        reader.childPath("type"),
        reader.member("type")!.value.position,
        `image-rs does not know the requirement type ${JSON.stringify(type)} and refuses the whole policy; it knows insecureAcceptAnything, reject, signedBy and sigstoreSigned`,
      );
  }
}

function parseSignedBy(reader: ObjectReader, extra: readonly string[] = []): SignedByConfig {
  reader.allowOnly(["type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity", ...extra], "a signedBy requirement");
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

function parseSigstoreSigned(reader: ObjectReader, extra: readonly string[] = []): SigstoreSignedConfig {
  reader.allowOnly(
    [
      ...extra,
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
function parseNotationSigned(reader: ObjectReader, extra: readonly string[] = []): NotationSignedConfig {
  reader.allowOnly(["type", "trustPolicyPath", "trustPolicyData", "trustStorePath", "trustStoreCertificates", "userMetadata", "scope", ...extra], "a notationSigned requirement");
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
