/**
 * Proves that a log of the trust material holds an entry: by its Signed Entry Timestamp (Rekor v1 inclusion
 * promise), by an inclusion proof up to a checkpoint the log signed, or both. Everything present is checked;
 * nothing returns early (security cases A.2, A.3). Pure.
 */
import { SignetError } from "../errors/index.js";
import { isWithinPeriod, type LogAuthority } from "../trust/trust-material.js";
import { isCheckpointSignedBy, parseCheckpoint } from "./checkpoint.js";
import { hashLeaf, rootFromInclusionProof } from "./merkle.js";
import { isSignedEntryTimestampValid } from "./signed-entry-timestamp.js";
import type { UntrustedTlogEntry } from "./tlog-entry.js";

export interface VerifiedInclusion {
  /** The log that vouched for the entry. */
  readonly log: LogAuthority;
  /** The integrated time, only when a verified SET covers it: an unsigned time is no evidence (A.3). */
  readonly integratedTime?: Date;
  readonly promise: boolean;
  readonly proof: boolean;
}

export interface VerifyInclusionOptions {
  /** The verifier's clock; an integrated time later than this (plus skew) is refused. */
  readonly now: Date;
}

/** How far a log's clock may run ahead of ours. */
const CLOCK_SKEW_MS = 60_000;

function proofInvalid(message: string, details: Record<string, unknown> = {}): never {
  throw new SignetError("TLOG_PROOF_INVALID", message, { details });
}

export function verifyTlogInclusion(entry: UntrustedTlogEntry, logs: readonly LogAuthority[], options: VerifyInclusionOptions): VerifiedInclusion {
  const details = { logIndex: entry.logIndex.toString(), logId: entry.logID.toString("hex") };
  if (entry.logIndex < 0n) proofInvalid(`the log entry has a negative index (${entry.logIndex})`, details);
  if (entry.integratedTime < 0n) proofInvalid("the log entry has a negative integrated time", details);
  const candidates = logs.filter((log) => log.logID.equals(entry.logID));
  if (candidates.length === 0) proofInvalid(`the log entry comes from a log the trusted root does not list (log id ${entry.logID.toString("base64")})`, details);
  if (entry.signedEntryTimestamp === undefined && entry.inclusionProof === undefined) proofInvalid("the log entry has neither an inclusion promise nor an inclusion proof", details);

  let promiseLog: LogAuthority | undefined;
  let integratedTime: Date | undefined;
  if (entry.signedEntryTimestamp !== undefined) {
    if (entry.integratedTime === 0n) proofInvalid("the log entry's inclusion promise has no integrated time", details);
    integratedTime = new Date(Number(entry.integratedTime) * 1000);
    if (integratedTime.getTime() > options.now.getTime() + CLOCK_SKEW_MS) {
      proofInvalid(`the log entry's integrated time ${integratedTime.toISOString()} is in the future`, details);
    }
    const time = integratedTime;
    promiseLog = candidates.find((log) => isWithinPeriod(log.validFor, time) && isSignedEntryTimestampValid(entry, log.publicKey));
    if (promiseLog === undefined) proofInvalid("the log entry's signed entry timestamp does not verify with a key of its log valid at its integrated time", details);
  }

  let proofLog: LogAuthority | undefined;
  if (entry.inclusionProof !== undefined) {
    const proof = entry.inclusionProof;
    const checkpoint = parseCheckpoint(proof.checkpoint);
    proofLog = candidates.find((log) => isCheckpointSignedBy(checkpoint, log));
    if (proofLog === undefined) proofInvalid("the checkpoint is not signed by the log the entry names", details);
    if (checkpoint.treeSize !== proof.treeSize) proofInvalid(`the checkpoint is for a tree of ${checkpoint.treeSize} entries, the inclusion proof for ${proof.treeSize}`, details);
    if (!checkpoint.rootHash.equals(proof.rootHash)) proofInvalid("the checkpoint's root hash differs from the inclusion proof's", details);
    const root = rootFromInclusionProof(hashLeaf(entry.canonicalizedBody), proof.logIndex, proof.treeSize, proof.hashes);
    if (root === undefined || !root.equals(checkpoint.rootHash)) proofInvalid("the inclusion proof does not lead from the entry to the checkpoint's root hash", details);
  }

  const log = promiseLog ?? proofLog!;
  return { log, ...(integratedTime === undefined ? {} : { integratedTime }), promise: promiseLog !== undefined, proof: proofLog !== undefined };
}
