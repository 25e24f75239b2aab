/**
 * Docker Content Trust verification with I/O: fetches a repository's TUF metadata from a Notary server's wire API
 * (`GET /v2/<GUN>/_trust/tuf/<role>.json`, `<role>.<sha256>.json` once a parent role has named the bytes, and
 * `<version>.root.json` while walking a root rotation), every answer bounded, and runs the pure checks of
 * verify-trust-data.ts in Notary's order. The trust directory pins the root on first use and keeps the last
 * versions seen.
 */
import { SignetError } from "../../errors/index.js";
import { maxOf } from "../../internal/arrays.js";
import { boundedRequest } from "../../internal/bounded-http.js";
import { LIMITS } from "../../internal/limits.js";
import { parseRootMetadata, type FileMeta } from "./metadata.js";
import { TrustDirectory } from "./trust-dir.js";
import {
  RELEASES_ROLE,
  snapshotListsRoot,
  targetIn,
  targetWithDigest,
  verifyDelegation,
  verifyNotExpired,
  verifyPinnedRoot,
  verifyRoot,
  verifySnapshot,
  verifyTargets,
  verifyTimestamp,
  type RoleCheck,
  type SeenVersions,
  type SignedTarget,
  type TrustedRoot,
  type VerifiedSnapshot,
  type VerifiedTargets,
  type VerifiedTimestamp,
} from "./verify-trust-data.js";

/** Fetches one metadata file by its name under `_trust/tuf/` (e.g. "timestamp.json"), at most `maxBytes`. */
export type NotaryFetch = (name: string, maxBytes: number) => Promise<Buffer>;

export interface VerifyNotaryTagOptions {
  /** The Notary server, e.g. https://notary.docker.io. */
  readonly server: string;
  /** Docker's GUN: registry host and repository, e.g. docker.io/library/alpine. */
  readonly gun: string;
  /** The tag to look up (Docker's rule), or, without one, the manifest digest some signed tag must name. */
  readonly tag?: string;
  readonly digest?: string;
  readonly trustDir: string;
  readonly now?: Date;
  readonly timeoutMs?: number;
  /** Replaces the HTTP fetch (tests). */
  readonly fetch?: NotaryFetch;
}

export interface NotaryTagVerification {
  readonly gun: string;
  readonly target: SignedTarget;
  readonly rootVersion: number;
  /** How the root came to be trusted on this run. */
  readonly root: "pinned" | "first-use" | "rotated";
  readonly versions: Readonly<Record<string, number>>;
  /** When the trust data stops being valid (the earliest expiry of the roles used). */
  readonly expires: string;
  /** Set when targets/releases could not be used and the tag was looked up in targets (Docker does the same). */
  readonly releasesSkipped?: string;
}

/** Serve from the server a role: `/v2/<GUN>/_trust/tuf/<name>`. */
export function createNotaryFetch(server: string, gun: string, timeoutMs: number): NotaryFetch {
  const base = server.replace(/\/+$/, "");
  return async (name, maxBytes) => {
    const url = `${base}/v2/${gun}/_trust/tuf/${name}`;
    try {
      return await boundedRequest(url, { maxBytes, timeoutMs, what: `Notary metadata ${name} of ${gun}`, code: "DCT_SERVER_UNAVAILABLE" });
    } catch (error) {
      // More bytes than the parent role (or signet's bound) allows: the server is hostile, not unavailable.
      if (SignetError.is(error) && error.details["limit"] !== undefined) {
        throw new SignetError("SIZE_LIMIT_EXCEEDED", `${error.message} (Notary metadata ${name} of ${gun})`, { details: { ...error.details, name } });
      }
      if (SignetError.is(error) && error.details["status"] === 404) {
        throw new SignetError("DCT_NOT_SIGNED", `the Notary server ${base} has no ${name} for ${gun}: the repository has no trust data there`, { details: { server: base, gun, name } });
      }
      throw error;
    }
  };
}

/** The Docker Content Trust answer for one tag: the digest signed for it, after every check of the trust data. */
export async function verifyNotaryTag(options: VerifyNotaryTagOptions): Promise<NotaryTagVerification> {
  const now = options.now ?? new Date();
  const fetch = options.fetch ?? createNotaryFetch(options.server, options.gun, options.timeoutMs ?? 30_000);
  const store = new TrustDirectory(options.trustDir);
  const { gun } = options;

  let root: TrustedRoot;
  let how: NotaryTagVerification["root"] = "pinned";
  const pinnedBytes = await store.read(gun, "root");
  if (pinnedBytes === undefined) {
    root = verifyRoot(await fetch("root.json", LIMITS.notaryRootBytes), { gun, now, checkExpiry: true });
    await store.write(gun, "root", root.metadata.untrustedBytes);
    how = "first-use";
  } else {
    try {
      root = verifyPinnedRoot(pinnedBytes, gun, now);
    } catch (error) {
      if (!SignetError.is(error) || error.category === "unavailable") throw error;
      throw new SignetError("DCT_TRUST_DIR_INVALID", `the root pinned for ${gun} in ${options.trustDir} is not valid: ${error.message}`, { details: { gun, trustDir: options.trustDir }, cause: error });
    }
  }
  const stored = new Map<string, Buffer>();
  const seen = await seenVersions(store, gun, root, stored);
  if (how === "pinned" && root.metadata.expires.getTime() < now.getTime()) {
    // An expired pinned root is replaced by the server's newer one (signed by it), as Notary's client does; without one, it is expired.
    const rotated = await rotateRoot(fetch, store, root, now);
    if (rotated === undefined) verifyNotExpired(root.metadata, now);
    else {
      root = rotated;
      how = "rotated";
    }
  }

  let chain: Chain;
  try {
    chain = await fetchChain(fetch, { root, now, seen });
    if (!snapshotListsRoot(chain.snapshot, root)) throw new RootChanged();
  } catch (error) {
    // As Notary's client: any failure of the chain may be a root rotation (new keys for a role); fetch the newest
    // root, walk to it from the pinned one, and try once more. Without a newer root, the first error stands.
    if (!(error instanceof RootChanged) && !(SignetError.is(error) && error.category === "rejected" && error.code !== "DCT_NOT_SIGNED")) throw error;
    const rotated = await rotateRoot(fetch, store, root, now);
    if (rotated === undefined) {
      if (error instanceof RootChanged) throw new SignetError("DCT_HASH_MISMATCH", `the snapshot of ${gun} lists another root than the server's root.json`, { details: { gun, role: "root" } });
      throw error;
    }
    root = rotated;
    how = how === "first-use" ? how : "rotated";
    chain = await fetchChain(fetch, { root, now, seen });
    if (!snapshotListsRoot(chain.snapshot, root)) throw new SignetError("DCT_HASH_MISMATCH", `the snapshot of ${gun} lists another root than the server's newest root.json`, { details: { gun, role: "root" } });
  }

  // Docker's rule: targets/releases first, then the top-level targets (their own targets; other delegations are not used).
  const { targets, releases, releasesError } = chain;
  const roles: [VerifiedTargets, readonly string[] | undefined][] = releases === undefined ? [[targets, undefined]] : [[releases.verified, releases.paths], [targets, undefined]];
  const wanted = options.tag !== undefined ? `the tag ${options.tag}` : `a tag of ${options.digest ?? "(nothing)"}`;
  let target: SignedTarget | undefined;
  for (const [role, paths] of roles) {
    target = options.tag !== undefined ? targetIn(role, options.tag, paths) : targetWithDigest(role, options.digest ?? "", paths);
    if (target !== undefined) break;
  }
  if (target === undefined) {
    if (releasesError !== undefined) throw releasesError;
    throw new SignetError("DCT_NOT_SIGNED", `no trust data for ${wanted}: neither ${RELEASES_ROLE} nor targets of ${gun} signs it`, { details: { gun, ...(options.tag !== undefined ? { tag: options.tag } : { digest: options.digest }) } });
  }

  // Only verified metadata is kept, and only once the whole chain verified.
  const keep = async (role: string, bytes: Buffer) => {
    if (stored.get(role)?.equals(bytes) !== true) await store.write(gun, role, bytes);
  };
  await keep("timestamp", chain.timestamp.metadata.untrustedBytes);
  await keep("snapshot", chain.snapshot.metadata.untrustedBytes);
  await keep("targets", targets.metadata.untrustedBytes);
  if (releases !== undefined) await keep(RELEASES_ROLE, releases.verified.metadata.untrustedBytes);

  const used = [root.metadata, chain.timestamp.metadata, chain.snapshot.metadata, (target.role === RELEASES_ROLE ? releases!.verified : targets).metadata];
  const versions: Record<string, number> = { root: root.metadata.version, timestamp: chain.timestamp.metadata.version, snapshot: chain.snapshot.metadata.version, targets: targets.metadata.version };
  if (releases !== undefined) versions[RELEASES_ROLE] = releases.verified.metadata.version;
  return {
    gun,
    target,
    rootVersion: root.metadata.version,
    root: how,
    versions,
    expires: new Date(-maxOf(used.map((metadata) => -metadata.expires.getTime()), 0)).toISOString(),
    ...(releasesError !== undefined && target.role !== RELEASES_ROLE ? { releasesSkipped: releasesError.message } : {}),
  };
}

class RootChanged extends Error {}

interface Chain {
  timestamp: VerifiedTimestamp;
  snapshot: VerifiedSnapshot;
  targets: VerifiedTargets;
  releases: { verified: VerifiedTargets; paths: readonly string[] } | undefined;
  releasesError: SignetError | undefined;
}

async function fetchChain(fetch: NotaryFetch, check: RoleCheck): Promise<Chain> {
  const timestamp = verifyTimestamp(await fetch("timestamp.json", LIMITS.notaryTimestampBytes), check);
  const snapshot = verifySnapshot(await fetchListed(fetch, "snapshot", timestamp.snapshot), timestamp, check);
  const targets = verifyTargets(await fetchListed(fetch, "targets", snapshot.meta.get("targets")!), snapshot, check);
  const role = targets.delegations.find((delegation) => delegation.name === RELEASES_ROLE);
  let releases: Chain["releases"];
  let releasesError: SignetError | undefined;
  const listed = snapshot.meta.get(RELEASES_ROLE);
  if (role !== undefined && listed !== undefined) {
    try {
      releases = { verified: verifyDelegation(await fetchListed(fetch, RELEASES_ROLE, listed), role, snapshot, check), paths: role.paths };
    } catch (error) {
      // Notary's client skips a delegation that is expired or under its threshold; Docker then reads targets.
      if (!SignetError.is(error) || (error.code !== "DCT_EXPIRED" && error.code !== "DCT_SIGNATURE_INVALID")) throw error;
      releasesError = error;
    }
  }
  return { timestamp, snapshot, targets, releases, releasesError };
}

/** A role whose bytes a parent lists: fetched by its consistent name (role.<sha256 hex>.json), bounded by the listed length. */
function fetchListed(fetch: NotaryFetch, role: string, meta: FileMeta): Promise<Buffer> {
  const sha256 = meta.hashes.get("sha256");
  const name = sha256 === undefined ? `${role}.json` : `${role}.${sha256.toString("hex")}.json`;
  return fetch(name, Math.min(meta.length, LIMITS.notaryMetadataBytes));
}

/**
 * Fetches the server's newest root and, when it is newer than (or differs from) the pinned one, checks each
 * version from the pinned one up, each signed by its predecessor's root keys and by its own; pins the newest.
 * Undefined when the server's root is the pinned one.
 */
async function rotateRoot(fetch: NotaryFetch, store: TrustDirectory, pinned: TrustedRoot, now: Date): Promise<TrustedRoot | undefined> {
  const newestBytes = await fetch("root.json", LIMITS.notaryRootBytes);
  if (newestBytes.equals(pinned.metadata.untrustedBytes)) return undefined;
  const gun = pinned.gun;
  // Read the newest only for its version; it is trusted only after the walk below.
  const newestVersion = parseRootMetadata(newestBytes).metadata.version;
  if (newestVersion - pinned.metadata.version > LIMITS.notaryRootRotations) {
    throw new SignetError("COUNT_LIMIT_EXCEEDED", `the server's root of ${gun} is ${newestVersion - pinned.metadata.version} versions ahead of the pinned one; at most ${LIMITS.notaryRootRotations} are walked`);
  }
  let current = pinned;
  for (let version = pinned.metadata.version + 1; version < newestVersion; version++) {
    current = verifyRoot(await fetch(`${version}.root.json`, LIMITS.notaryRootBytes), { gun, now, previous: current, checkExpiry: false });
    if (current.metadata.version !== version) throw new SignetError("DCT_METADATA_INVALID", `${version}.root.json of ${gun} holds root version ${current.metadata.version}`, { details: { gun, version } });
  }
  const newest = verifyRoot(newestBytes, { gun, now, previous: current, checkExpiry: true });
  await store.write(gun, "root", newest.metadata.untrustedBytes);
  return newest;
}

/**
 * The versions last seen, from the stored metadata that still verifies against the pinned root (expiry
 * ignored), as Notary's client reads its cache: a stored file that no longer verifies gives no minimum.
 */
async function seenVersions(store: TrustDirectory, gun: string, root: TrustedRoot, stored: Map<string, Buffer>): Promise<SeenVersions> {
  const seen: Record<string, number> = {};
  // Checked as of the epoch: expiry does not matter for a version already seen.
  const lenient: RoleCheck = { root, now: new Date(0), seen: {} };
  const attempt = async <T>(role: string, run: (bytes: Buffer) => T): Promise<T | undefined> => {
    const bytes = await store.read(gun, role);
    if (bytes === undefined) return undefined;
    stored.set(role, bytes);
    try {
      return run(bytes);
    } catch (error) {
      if (SignetError.is(error)) return undefined;
      throw error;
    }
  };
  const timestamp = await attempt("timestamp", (bytes) => verifyTimestamp(bytes, lenient));
  if (timestamp !== undefined) seen["timestamp"] = timestamp.metadata.version;
  const snapshot = await attempt("snapshot", (bytes) => (timestamp === undefined ? undefined : verifySnapshot(bytes, timestamp, lenient)));
  if (snapshot !== undefined) seen["snapshot"] = snapshot.metadata.version;
  const targets = await attempt("targets", (bytes) => (snapshot === undefined ? undefined : verifyTargets(bytes, snapshot, lenient)));
  if (targets !== undefined) seen["targets"] = targets.metadata.version;
  const role = targets?.delegations.find((delegation) => delegation.name === RELEASES_ROLE);
  const releases = await attempt(RELEASES_ROLE, (bytes) => (role === undefined || snapshot === undefined ? undefined : verifyDelegation(bytes, role, snapshot, lenient)));
  if (releases !== undefined) seen[RELEASES_ROLE] = releases.metadata.version;
  return seen;
}
