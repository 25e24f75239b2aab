/**
 * The pure checks of Docker Content Trust (Notary v1), in the order Notary's client applies them (notary
 * client/tufclient.go, tuf/builder.go, trustpinning/certs.go): the root (trust on first use, or signed by the
 * pinned root's keys for a rotation), then timestamp -> snapshot -> targets -> delegation, each checked for its
 * length and hashes as its parent lists them, its signatures against its role's keys and threshold, its
 * version against the last one seen, and its expiry. No I/O: the caller fetches and passes bytes.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { SignetError } from "../../errors/index.js";
import { distinguishedNameOfSubject } from "../notation/distinguished-name.js";
import { certificateBundleOfKey, verifyNotarySignature, type NotaryPublicKey } from "./keys.js";
import {
  parseRootMetadata,
  parseSnapshotMetadata,
  parseTargetsMetadata,
  parseTimestampMetadata,
  type DelegationRole,
  type FileMeta,
  type RoleKeys,
  type RootMetadata,
  type SnapshotMetadata,
  type TargetsMetadata,
  type TimestampMetadata,
  type UntrustedMetadata,
} from "./metadata.js";

/** Docker's delegation for release tags; Docker looks there first, then in the top-level targets. */
export const RELEASES_ROLE = "targets/releases";

/** Checks that at least `role.threshold` distinct keys of the role signed the metadata's canonical bytes. */
export function verifyRoleSignatures(metadata: UntrustedMetadata, role: RoleKeys): string[] {
  const valid = new Set<string>();
  for (const signature of metadata.signatures) {
    const key = role.keys.get(signature.keyId);
    if (key === undefined || valid.has(key.id)) continue;
    if (verifyNotarySignature(key, signature.method, signature.signature, metadata.canonicalSigned)) valid.add(key.id);
  }
  if (metadata.signatures.length === 0 || valid.size < role.threshold) {
    throw new SignetError("DCT_SIGNATURE_INVALID", `${metadata.role} metadata (version ${metadata.version}) has ${valid.size} valid signature(s) by the keys of ${role.name}; its threshold is ${role.threshold}`, {
      details: { role: metadata.role, version: metadata.version, validSignatures: valid.size, threshold: role.threshold, keyIds: [...role.keys.keys()] },
    });
  }
  return [...valid];
}

export function verifyNotExpired(metadata: UntrustedMetadata, now: Date): void {
  if (metadata.expires.getTime() < now.getTime()) {
    throw new SignetError("DCT_EXPIRED", `${metadata.role} metadata (version ${metadata.version}) expired at ${metadata.expires.toISOString()}`, {
      details: { role: metadata.role, version: metadata.version, expires: metadata.expires.toISOString() },
    });
  }
}

export function verifyNotRolledBack(metadata: UntrustedMetadata, minVersion: number | undefined): void {
  if (minVersion !== undefined && metadata.version < minVersion) {
    throw new SignetError("DCT_ROLLBACK", `the server's ${metadata.role} metadata is version ${metadata.version}, older than version ${minVersion} already seen`, {
      details: { role: metadata.role, version: metadata.version, seenVersion: minVersion },
    });
  }
}

/** The bytes must have the length and every sha256/sha512 hash the parent role lists (notary data.CheckHashes). */
export function verifyFileMeta(role: string, untrustedBytes: Buffer, meta: FileMeta, listedBy: string): void {
  const mismatch = (why: string) =>
    new SignetError("DCT_HASH_MISMATCH", `${role} metadata does not match what ${listedBy} lists for it: ${why}`, { details: { role, listedBy, length: untrustedBytes.length, expectedLength: meta.length } });
  if (untrustedBytes.length !== meta.length) throw mismatch(`it is ${untrustedBytes.length} bytes, ${listedBy} says ${meta.length}`);
  let checked = 0;
  for (const [algorithm, expected] of meta.hashes) {
    if (algorithm !== "sha256" && algorithm !== "sha512") continue;
    const actual = createHash(algorithm).update(untrustedBytes).digest();
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw mismatch(`its ${algorithm} differs`);
    checked++;
  }
  if (checked === 0) throw mismatch("no sha256 or sha512 hash is listed");
}

/** A root trusted for this repository: parsed, with the keys and threshold of each base role. */
export interface TrustedRoot extends RootMetadata {
  readonly gun: string;
}

export interface VerifyRootOptions {
  readonly gun: string;
  readonly now: Date;
  /** The root pinned so far; absent on first use (the root is then trusted because it is self-consistent). */
  readonly previous?: TrustedRoot;
  /** Check expiry (the newest root must not be expired; intermediate ones in a rotation may be). */
  readonly checkExpiry: boolean;
}

/**
 * A new root, as notary's trustpinning.ValidateRoot: its root keys must be certificates whose CN is the GUN (valid
 * now, unless it is the pinned root being re-read), signed by the previous root's root keys to the previous
 * threshold when there is one, and signed by its own root keys to its own threshold.
 */
export function verifyRoot(untrustedBytes: Buffer, options: VerifyRootOptions): TrustedRoot {
  const root = parseRootMetadata(untrustedBytes);
  const rootRole = root.roles.get("root")!;
  const ownKeys = gunCertificateKeys(rootRole, options.gun, options.previous === undefined && !options.checkExpiry ? undefined : options.now);
  if (options.previous !== undefined) {
    const previousRole = options.previous.roles.get("root")!;
    const previousKeys = gunCertificateKeys(previousRole, options.gun, undefined);
    try {
      verifyRoleSignatures(root.metadata, { name: "the pinned root's root role", keys: previousKeys, threshold: previousRole.threshold });
    } catch (error) {
      if (!SignetError.is(error) || error.code !== "DCT_SIGNATURE_INVALID") throw error;
      throw new SignetError("DCT_ROOT_ROTATION_INVALID", `root version ${root.metadata.version} of ${options.gun} is not signed by the root keys pinned (root version ${options.previous.metadata.version}, ${previousRole.threshold} of ${[...previousKeys.keys()].map((id) => id.slice(0, 12)).join(", ")})`, {
        details: { gun: options.gun, version: root.metadata.version, pinnedVersion: options.previous.metadata.version, pinnedKeyIds: [...previousKeys.keys()] },
      });
    }
    verifyNotRolledBack(root.metadata, options.previous.metadata.version);
  }
  if (ownKeys.size === 0) {
    throw new SignetError("DCT_ROOT_INVALID", `no root key of root version ${root.metadata.version} is a certificate for ${options.gun} valid now`, { details: { gun: options.gun } });
  }
  try {
    verifyRoleSignatures(root.metadata, { name: "its own root role", keys: ownKeys, threshold: rootRole.threshold });
  } catch (error) {
    if (!SignetError.is(error) || error.code !== "DCT_SIGNATURE_INVALID") throw error;
    throw new SignetError("DCT_ROOT_INVALID", `root version ${root.metadata.version} of ${options.gun} is not signed by its own root keys: ${error.message}`, { details: error.details });
  }
  if (options.checkExpiry) verifyNotExpired(root.metadata, options.now);
  return { ...root, gun: options.gun };
}

/** Re-reads the root pinned in a trust directory: self-signed, certificates for the GUN, expiry not checked. */
export function verifyPinnedRoot(untrustedBytes: Buffer, gun: string, now: Date): TrustedRoot {
  return verifyRoot(untrustedBytes, { gun, now, checkExpiry: false });
}

/**
 * The root role's keys that are leaf certificates (first in their PEM bundle, not a CA) whose CN is the GUN (or a
 * `prefix*` wildcard of it), not signed with SHA-1, RSA of 2048 bits or more, and valid at `now` when given.
 */
function gunCertificateKeys(role: RoleKeys, gun: string, now: Date | undefined): Map<string, NotaryPublicKey> {
  const keys = new Map<string, NotaryPublicKey>();
  for (const [id, key] of role.keys) {
    const bundle = certificateBundleOfKey(key);
    const leaf = bundle?.[0];
    if (leaf === undefined || leaf.isCA || bundle!.filter((certificate) => !certificate.isCA).length !== 1) continue;
    let commonName: string | undefined;
    try {
      commonName = distinguishedNameOfSubject(leaf.subject).get("CN");
    } catch {
      continue;
    }
    if (commonName === undefined || !(commonName.endsWith("*") ? gun.startsWith(commonName.slice(0, -1)) : commonName === gun)) continue;
    if (leaf.notBefore.getTime() > leaf.notAfter.getTime() || SHA1_SIGNATURES.has(leaf.signatureAlgorithm)) continue;
    if (leaf.publicKey.asymmetricKeyType === "rsa" && (leaf.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) continue;
    // Notary gives a day's leeway on notBefore.
    if (now !== undefined && (leaf.notBefore.getTime() > now.getTime() + 86_400_000 || now.getTime() > leaf.notAfter.getTime())) continue;
    keys.set(id, key);
  }
  return keys;
}

const SHA1_SIGNATURES = new Set(["1.2.840.113549.1.1.5", "1.2.840.10040.4.3", "1.2.840.10045.4.1"]);

/** The last verified version of each role a trust directory has seen (rollback protection). */
export type SeenVersions = Readonly<Partial<Record<string, number>>>;

export interface VerifiedTimestamp extends TimestampMetadata {
  readonly signers: readonly string[];
}
export interface VerifiedSnapshot extends SnapshotMetadata {
  readonly signers: readonly string[];
}
export interface VerifiedTargets extends TargetsMetadata {
  readonly signers: readonly string[];
}

export interface RoleCheck {
  readonly root: TrustedRoot;
  readonly now: Date;
  readonly seen: SeenVersions;
}

export function verifyTimestamp(untrustedBytes: Buffer, check: RoleCheck): VerifiedTimestamp {
  const timestamp = parseTimestampMetadata(untrustedBytes);
  const signers = verifyRoleSignatures(timestamp.metadata, check.root.roles.get("timestamp")!);
  verifyNotRolledBack(timestamp.metadata, check.seen["timestamp"]);
  verifyNotExpired(timestamp.metadata, check.now);
  return { ...timestamp, signers };
}

export function verifySnapshot(untrustedBytes: Buffer, timestamp: VerifiedTimestamp, check: RoleCheck): VerifiedSnapshot {
  verifyFileMeta("snapshot", untrustedBytes, timestamp.snapshot, `timestamp version ${timestamp.metadata.version}`);
  const snapshot = parseSnapshotMetadata(untrustedBytes);
  const signers = verifyRoleSignatures(snapshot.metadata, check.root.roles.get("snapshot")!);
  verifyNotRolledBack(snapshot.metadata, check.seen["snapshot"]);
  verifyNotExpired(snapshot.metadata, check.now);
  return { ...snapshot, signers };
}

/** Whether the snapshot lists exactly this root (else the server's root changed: a rotation to fetch and check). */
export function snapshotListsRoot(snapshot: VerifiedSnapshot, root: TrustedRoot): boolean {
  const meta = snapshot.meta.get("root");
  if (meta === undefined) return false;
  try {
    verifyFileMeta("root", root.metadata.untrustedBytes, meta, "snapshot");
    return true;
  } catch {
    return false;
  }
}

export function verifyTargets(untrustedBytes: Buffer, snapshot: VerifiedSnapshot, check: RoleCheck): VerifiedTargets {
  verifyFileMeta("targets", untrustedBytes, snapshot.meta.get("targets")!, `snapshot version ${snapshot.metadata.version}`);
  const targets = parseTargetsMetadata(untrustedBytes, "targets");
  const signers = verifyRoleSignatures(targets.metadata, check.root.roles.get("targets")!);
  verifyNotRolledBack(targets.metadata, check.seen["targets"]);
  verifyNotExpired(targets.metadata, check.now);
  return { ...targets, signers };
}

/** A delegation (e.g. targets/releases) signed by the keys its parent delegates to, to the parent's threshold. */
export function verifyDelegation(untrustedBytes: Buffer, role: DelegationRole, snapshot: VerifiedSnapshot, check: Omit<RoleCheck, "root">): VerifiedTargets {
  const meta = snapshot.meta.get(role.name);
  if (meta === undefined) throw new SignetError("DCT_METADATA_INVALID", `snapshot version ${snapshot.metadata.version} does not list ${role.name}`, { details: { role: role.name } });
  verifyFileMeta(role.name, untrustedBytes, meta, `snapshot version ${snapshot.metadata.version}`);
  const targets = parseTargetsMetadata(untrustedBytes, role.name);
  verifyNotRolledBack(targets.metadata, check.seen[role.name]);
  const signers = verifyRoleSignatures(targets.metadata, role);
  verifyNotExpired(targets.metadata, check.now);
  return { ...targets, signers };
}

/** A signed tag: the manifest digest and size a role of the trust data lists for it. */
export interface SignedTarget {
  readonly tag: string;
  readonly digest: string;
  readonly length: number;
  /** "targets/releases" or "targets". */
  readonly role: string;
  /** The key IDs whose signatures on that role verified. */
  readonly signers: readonly string[];
}

/** The tag's entry in one role's targets (the role's own targets only, and only where its paths allow the tag). */
export function targetIn(targets: VerifiedTargets, tag: string, paths: readonly string[] | undefined): SignedTarget | undefined {
  if (paths !== undefined && !paths.some((prefix) => tag.startsWith(prefix))) return undefined;
  const meta = targets.targets.get(tag);
  if (meta === undefined) return undefined;
  const sha256 = meta.hashes.get("sha256");
  if (sha256 === undefined) {
    throw new SignetError("DCT_METADATA_INVALID", `${targets.metadata.role} lists ${tag} without a sha256 hash (Docker needs one)`, { details: { role: targets.metadata.role, tag } });
  }
  return { tag, digest: `sha256:${sha256.toString("hex")}`, length: meta.length, role: targets.metadata.role, signers: targets.signers };
}

/** The first tag (in name order) that one role's own targets sign with this manifest digest, where its paths allow it. */
export function targetWithDigest(targets: VerifiedTargets, digest: string, paths: readonly string[] | undefined): SignedTarget | undefined {
  const names = [...targets.targets.keys()].sort();
  for (const tag of names) {
    if (paths !== undefined && !paths.some((prefix) => tag.startsWith(prefix))) continue;
    const sha256 = targets.targets.get(tag)!.hashes.get("sha256");
    if (sha256 !== undefined && `sha256:${sha256.toString("hex")}` === digest) return targetIn(targets, tag, paths);
  }
  return undefined;
}

/** Docker's pull rule: the tag must be signed in the image's trust data; the registry must serve that digest. */
export function verifyTargetDigest(target: SignedTarget, registryDigest: string, image: string): void {
  if (target.digest !== registryDigest) {
    throw new SignetError("DCT_DIGEST_MISMATCH", `${image} resolves to ${registryDigest} in the registry, but ${target.role} signs ${target.tag} as ${target.digest}`, {
      details: { tag: target.tag, signedDigest: target.digest, registryDigest, role: target.role },
    });
  }
}
