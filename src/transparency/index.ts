export { checkpointSignerName, isCheckpointSignedBy, parseCheckpoint, type Checkpoint, type CheckpointSigner, type NoteSignature } from "./checkpoint.js";
export { parseEntryBody, type DigestAlgorithm, type EntryClaims, type EntryDigest, type EntryVerifier } from "./entry-body.js";
export { hashLeaf, rootFromInclusionProof } from "./merkle.js";
export { isSignedEntryTimestampValid, signedEntryTimestampPayload } from "./signed-entry-timestamp.js";
export type { UntrustedInclusionProof, UntrustedTlogEntry } from "./tlog-entry.js";
export { verifyTlogInclusion, type VerifiedInclusion, type VerifyInclusionOptions } from "./verify-inclusion.js";
