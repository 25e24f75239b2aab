/**
 * Notary's TUF metadata, read strictly: `{"signed": {...}, "signatures": [{"keyid", "method", "sig"}]}` with the
 * role bodies of notary tuf/data (root.go, targets.go, snapshot.go, timestamp.go) and their structure checks.
 * Parsing verifies nothing: every value here is untrusted until verify-role.ts has checked the signatures.
 */
import { SignetError } from "../../errors/index.js";
import { decodeBase64Strict } from "../../internal/base64.js";
import { caseVariantProblem, parseSignedJson } from "../../internal/json-reader.js";
import { LIMITS } from "../../internal/limits.js";
import { CanonicalJsonError, notaryCanonicalJson } from "./canonical-json.js";
import { isRecord } from "../../internal/strict-json.js";
import { parseNotaryKey, type NotaryPublicKey } from "./keys.js";

export type BaseRoleName = "root" | "targets" | "snapshot" | "timestamp";
export const BASE_ROLES: readonly BaseRoleName[] = ["root", "targets", "snapshot", "timestamp"];
const TYPES: Readonly<Record<BaseRoleName, string>> = { root: "Root", targets: "Targets", snapshot: "Snapshot", timestamp: "Timestamp" };

export interface NotarySignature {
  readonly keyId: string;
  /** Lower-cased, as Notary's Signature.UnmarshalJSON does. */
  readonly method: string;
  readonly signature: Buffer;
}

/** One metadata file as received: the exact bytes, the canonical bytes its signatures cover, and its common fields. */
export interface UntrustedMetadata {
  readonly role: string;
  readonly untrustedBytes: Buffer;
  readonly canonicalSigned: Buffer;
  readonly signed: Record<string, unknown>;
  readonly signatures: readonly NotarySignature[];
  readonly version: number;
  readonly expires: Date;
}

export interface FileMeta {
  readonly length: number;
  /** Algorithm ("sha256", "sha512", others kept but not checked) -> digest bytes. */
  readonly hashes: ReadonlyMap<string, Buffer>;
}

export interface RoleKeys {
  readonly name: string;
  readonly keys: ReadonlyMap<string, NotaryPublicKey>;
  readonly threshold: number;
}

export interface RootMetadata {
  readonly metadata: UntrustedMetadata;
  readonly keys: ReadonlyMap<string, NotaryPublicKey>;
  readonly roles: ReadonlyMap<BaseRoleName, RoleKeys>;
}

export interface DelegationRole extends RoleKeys {
  readonly paths: readonly string[];
}

export interface TargetsMetadata {
  readonly metadata: UntrustedMetadata;
  readonly targets: ReadonlyMap<string, FileMeta>;
  readonly delegations: readonly DelegationRole[];
}

export interface SnapshotMetadata {
  readonly metadata: UntrustedMetadata;
  readonly meta: ReadonlyMap<string, FileMeta>;
}

export interface TimestampMetadata {
  readonly metadata: UntrustedMetadata;
  readonly snapshot: FileMeta;
}

const invalid = (role: string, why: string) => new SignetError("DCT_METADATA_INVALID", `${role} metadata: ${why}`, { details: { role } });

/** A delegation role name as Notary allows it: targets/…, [-a-z0-9_/], clean, under 256 characters. */
export function isDelegationName(name: string): boolean {
  if (!name.startsWith("targets/") || name.length >= 256 || !/^[-a-z0-9_/]+$/.test(name)) return false;
  return !name.endsWith("/") && !name.includes("//") && name.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

export function parentRoleOf(name: string): string {
  return name.slice(0, name.lastIndexOf("/"));
}

/** Reads the envelope and the common fields (`_type` for the role, `version` >= 1, `expires`). */
export function parseMetadataEnvelope(untrustedBytes: Buffer, role: string): UntrustedMetadata {
  const document = parseSignedJson(untrustedBytes, `${role} metadata`, "DCT_METADATA_INVALID");
  if (!isRecord(document)) throw invalid(role, "the document is not an object");
  refuseCaseVariants(document, ["signed", "signatures"], role, "the document");
  const { signed, signatures } = document;
  if (!isRecord(signed)) throw invalid(role, 'it has no "signed" object');
  if (!Array.isArray(signatures)) throw invalid(role, 'it has no "signatures" list');
  if (signatures.length > LIMITS.notarySignatures) throw new SignetError("COUNT_LIMIT_EXCEEDED", `${role} metadata has ${signatures.length} signatures; at most ${LIMITS.notarySignatures} are read`);
  const parsedSignatures = signatures.map((entry, index): NotarySignature => {
    if (!isRecord(entry)) throw invalid(role, `signature ${index + 1} is not an object`);
    refuseCaseVariants(entry, ["keyid", "method", "sig"], role, `signature ${index + 1}`);
    const { keyid, method, sig } = entry;
    if (typeof keyid !== "string" || typeof method !== "string" || typeof sig !== "string") throw invalid(role, `signature ${index + 1} needs string keyid, method and sig`);
    const bytes = decodeBase64Strict(sig);
    if (bytes === undefined) throw invalid(role, `signature ${index + 1} is not base64`);
    return { keyId: keyid, method: method.toLowerCase(), signature: bytes };
  });
  let canonicalSigned: Buffer;
  try {
    canonicalSigned = notaryCanonicalJson(signed);
  } catch (error) {
    if (error instanceof CanonicalJsonError) throw invalid(role, `"signed" has no canonical form: ${error.message}`);
    throw error;
  }
  refuseCaseVariants(signed, ["_type", "version", "expires"], role, '"signed"');
  const typeRole = role === "targets" || isDelegationName(role) ? "targets" : (role as BaseRoleName);
  const expectedType = TYPES[typeRole];
  if (expectedType === undefined) throw invalid(role, "unknown role");
  if (signed["_type"] !== expectedType) throw invalid(role, `"_type" is ${JSON.stringify(signed["_type"])}, expected ${JSON.stringify(expectedType)}`);
  const version = signed["version"];
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) throw invalid(role, '"version" must be an integer of 1 or more');
  const expires = parseGoTime(signed["expires"]);
  if (expires === undefined) throw invalid(role, '"expires" must be an RFC 3339 time');
  return { role, untrustedBytes, canonicalSigned, signed, signatures: parsedSignatures, version, expires };
}

export function parseRootMetadata(untrustedBytes: Buffer): RootMetadata {
  const metadata = parseMetadataEnvelope(untrustedBytes, "root");
  const { signed } = metadata;
  refuseCaseVariants(signed, ["keys", "roles", "consistent_snapshot"], "root", '"signed"');
  const keys = parseKeys(signed["keys"], "root", "keys");
  const rolesValue = signed["roles"];
  if (!isRecord(rolesValue)) throw invalid("root", '"roles" must be an object');
  const roles = new Map<BaseRoleName, RoleKeys>();
  for (const name of BASE_ROLES) {
    const entry = rolesValue[name];
    if (entry === undefined || entry === null) throw invalid("root", `missing ${name} role specification`);
    roles.set(name, parseRoleKeys(entry, name, keys, "root"));
  }
  return { metadata, keys, roles };
}

export function parseTargetsMetadata(untrustedBytes: Buffer, role: string): TargetsMetadata {
  const metadata = parseMetadataEnvelope(untrustedBytes, role);
  const { signed } = metadata;
  refuseCaseVariants(signed, ["targets", "delegations"], role, '"signed"');
  const targetsValue = signed["targets"];
  if (!isRecord(targetsValue)) throw invalid(role, '"targets" must be an object');
  const targets = new Map<string, FileMeta>();
  for (const [name, value] of Object.entries(targetsValue)) targets.set(name, parseFileMeta(value, role, `target ${JSON.stringify(name)}`));
  const delegations: DelegationRole[] = [];
  const delegationsValue = signed["delegations"];
  if (delegationsValue !== undefined && delegationsValue !== null) {
    if (!isRecord(delegationsValue)) throw invalid(role, '"delegations" must be an object');
    refuseCaseVariants(delegationsValue, ["keys", "roles"], role, '"delegations"');
    const keys = delegationsValue["keys"] === null || delegationsValue["keys"] === undefined ? new Map<string, NotaryPublicKey>() : parseKeys(delegationsValue["keys"], role, "delegations.keys");
    const rolesValue = delegationsValue["roles"] ?? [];
    if (!Array.isArray(rolesValue)) throw invalid(role, '"delegations.roles" must be a list');
    if (rolesValue.length > LIMITS.notaryDelegations) throw new SignetError("COUNT_LIMIT_EXCEEDED", `${role} metadata delegates to ${rolesValue.length} roles; at most ${LIMITS.notaryDelegations} are read`);
    for (const entry of rolesValue) {
      if (!isRecord(entry)) throw invalid(role, "a delegation must be an object");
      const name = entry["name"];
      if (typeof name !== "string" || !isDelegationName(name) || parentRoleOf(name) !== role) throw invalid(role, `delegation role ${JSON.stringify(name)} invalid`);
      const paths = entry["paths"] ?? [];
      if (!Array.isArray(paths) || !paths.every((path): path is string => typeof path === "string")) throw invalid(role, `delegation ${name}: "paths" must be a list of strings`);
      delegations.push({ ...parseRoleKeys(entry, name, keys, role), paths });
    }
  }
  return { metadata, targets, delegations };
}

export function parseSnapshotMetadata(untrustedBytes: Buffer): SnapshotMetadata {
  const metadata = parseMetadataEnvelope(untrustedBytes, "snapshot");
  refuseCaseVariants(metadata.signed, ["meta"], "snapshot", '"signed"');
  const metaValue = metadata.signed["meta"];
  if (!isRecord(metaValue)) throw invalid("snapshot", '"meta" must be an object');
  const meta = new Map<string, FileMeta>();
  for (const [name, value] of Object.entries(metaValue)) meta.set(name, parseFileMeta(value, "snapshot", `meta ${JSON.stringify(name)}`));
  for (const required of ["root", "targets"]) {
    if (!meta.get(required)?.hashes.has("sha256")) throw invalid("snapshot", `missing ${required} sha256 checksum information`);
  }
  return { metadata, meta };
}

export function parseTimestampMetadata(untrustedBytes: Buffer): TimestampMetadata {
  const metadata = parseMetadataEnvelope(untrustedBytes, "timestamp");
  refuseCaseVariants(metadata.signed, ["meta"], "timestamp", '"signed"');
  const metaValue = metadata.signed["meta"];
  if (!isRecord(metaValue) || metaValue["snapshot"] === undefined) throw invalid("timestamp", "missing snapshot checksum information");
  const snapshot = parseFileMeta(metaValue["snapshot"], "timestamp", "meta snapshot");
  if (!snapshot.hashes.has("sha256")) throw invalid("timestamp", "missing snapshot sha256 checksum information");
  return { metadata, snapshot };
}

function parseKeys(value: unknown, role: string, field: string): Map<string, NotaryPublicKey> {
  if (!isRecord(value)) throw invalid(role, `"${field}" must be an object`);
  const keys = new Map<string, NotaryPublicKey>();
  for (const [id, entry] of Object.entries(value)) {
    const key = parseNotaryKey(entry, `${role} metadata, key ${id.slice(0, 16)}`);
    // A key listed under another ID than its content's could stand in for a key the role never named.
    if (key.id !== id) throw invalid(role, `key ${id} is listed under an ID that is not the hash of its content (${key.id})`);
    keys.set(id, key);
  }
  return keys;
}

function parseRoleKeys(value: unknown, name: string, keys: ReadonlyMap<string, NotaryPublicKey>, role: string): RoleKeys {
  if (!isRecord(value)) throw invalid(role, `the ${name} role must be an object`);
  const { keyids, threshold } = value;
  if (!Array.isArray(keyids) || !keyids.every((id): id is string => typeof id === "string")) throw invalid(role, `the ${name} role needs a "keyids" list`);
  if (typeof threshold !== "number" || !Number.isSafeInteger(threshold) || threshold < 1) throw invalid(role, `invalid threshold specified for ${name}: ${String(threshold)}`);
  const roleKeys = new Map<string, NotaryPublicKey>();
  for (const id of keyids) {
    const key = keys.get(id);
    if (key === undefined) throw invalid(role, `key ID ${id} specified in ${name} without corresponding key`);
    roleKeys.set(id, key);
  }
  return { name, keys: roleKeys, threshold };
}

function parseFileMeta(value: unknown, role: string, what: string): FileMeta {
  if (!isRecord(value)) throw invalid(role, `${what} must be an object`);
  refuseCaseVariants(value, ["length", "hashes", "custom"], role, what);
  const { length, hashes } = value;
  if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) throw invalid(role, `${what} needs a non-negative integer "length"`);
  if (!isRecord(hashes)) throw invalid(role, `${what} needs a "hashes" object`);
  const parsed = new Map<string, Buffer>();
  for (const [algorithm, text] of Object.entries(hashes)) {
    const bytes = typeof text === "string" ? decodeBase64Strict(text) : undefined;
    if (bytes === undefined) throw invalid(role, `${what}: hash ${algorithm} is not base64`);
    if ((algorithm === "sha256" && bytes.length !== 32) || (algorithm === "sha512" && bytes.length !== 64)) throw invalid(role, `${what}: the ${algorithm} hash has the wrong length`);
    parsed.set(algorithm, bytes);
  }
  if (!parsed.has("sha256") && !parsed.has("sha512")) throw invalid(role, `${what}: at least one supported hash (sha256, sha512) needed`);
  return { length, hashes: parsed };
}

function refuseCaseVariants(record: Record<string, unknown>, fields: readonly string[], role: string, where: string): void {
  const problem = caseVariantProblem(record, fields, where);
  if (problem !== undefined) throw invalid(role, problem);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Go's time.Time JSON form (RFC 3339 with optional fractional seconds). */
function parseGoTime(value: unknown): Date | undefined {
  if (typeof value !== "string") return undefined;
  const match = RFC3339.exec(value);
  if (match === null) return undefined;
  const fraction = match[7] === undefined ? "" : match[7].slice(0, 4);
  const time = Date.parse(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}${fraction}${match[8]}`);
  return Number.isNaN(time) ? undefined : new Date(time);
}
