/**
 * A transparency log entry as a bundle (or a cosign `dev.sigstore.cosign/bundle` annotation) carries it:
 * parsed, not yet verified.
 */
export interface UntrustedInclusionProof {
  readonly logIndex: bigint;
  readonly rootHash: Buffer;
  readonly treeSize: bigint;
  readonly hashes: readonly Buffer[];
  /** The signed-note checkpoint text. */
  readonly checkpoint: string;
}

export interface UntrustedTlogEntry {
  readonly logIndex: bigint;
  readonly logID: Buffer;
  readonly kind: string;
  readonly version: string;
  /** Seconds since the epoch; 0 when the entry has none (Rekor v2). */
  readonly integratedTime: bigint;
  /** The Signed Entry Timestamp, when the entry carries an inclusion promise. */
  readonly signedEntryTimestamp?: Buffer;
  readonly inclusionProof?: UntrustedInclusionProof;
  /** The exact entry body the log signed and hashed. */
  readonly canonicalizedBody: Buffer;
}
