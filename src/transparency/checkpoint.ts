/**
 * Transparency log checkpoints: a signed note (C2SP signed-note) whose text is a checkpoint (C2SP tlog-checkpoint):
 *
 *   <origin>\n<tree size>\n<base64 root hash>\n[<extension line>\n...]\n— <name> <base64(key hint[4] || signature)>\n...
 *
 * Parsing is strict; verification needs one signature, by the log, whose name is the checkpoint's origin (Rekor
 * v1 writes "<host> - <tree id>" as origin and signs as "<host>"), whose key hint is the log's, and which verifies
 * with the log's key. Other signatures (witness cosignatures) are ignored: they need not come first.
 */
import type { KeyObject } from "node:crypto";
import { SignetError } from "../errors/index.js";
import { verifyLogSignature } from "../trust/log-signature.js";
import { decodeBase64Strict } from "../internal/base64.js";
import { LIMITS } from "../internal/limits.js";

export interface NoteSignature {
  readonly name: string;
  readonly keyHint: Buffer;
  readonly signature: Buffer;
}

export interface Checkpoint {
  /** The note text the signatures cover, final newline included. */
  readonly text: string;
  readonly origin: string;
  readonly treeSize: bigint;
  readonly rootHash: Buffer;
  readonly extensions: readonly string[];
  readonly signatures: readonly NoteSignature[];
}

const MAX_CHECKPOINT_LENGTH = LIMITS.checkpointBytes;
const MAX_SIGNATURES = LIMITS.checkpointSignatures;
const SIGNATURE_LINE = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/;

function invalid(problem: string): never {
  throw new SignetError("TLOG_PROOF_INVALID", `the log checkpoint is malformed: ${problem}`);
}

export function parseCheckpoint(envelope: string): Checkpoint {
  if (envelope.length > MAX_CHECKPOINT_LENGTH) invalid(`longer than ${MAX_CHECKPOINT_LENGTH} characters`);
  const separator = envelope.indexOf("\n\n");
  if (separator < 0) invalid("no blank line between the checkpoint and its signatures");
  const text = envelope.slice(0, separator + 1);
  const signatureBlock = envelope.slice(separator + 2);
  if (!signatureBlock.endsWith("\n")) invalid("the last signature line does not end with a newline");

  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) invalid("it needs an origin, a tree size and a root hash line");
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin === "") invalid("the origin line is empty");
  if (!/^(0|[1-9][0-9]{0,19})$/.test(sizeText)) invalid(`the tree size is not a number: ${JSON.stringify(sizeText.slice(0, 30))}`);
  const rootHash = decodeBase64Strict(rootText, "std-exact");
  if (rootHash === undefined || rootHash.length !== 32 || rootHash.toString("base64") !== rootText) invalid("the root hash is not 32 bytes of base64");

  const signatureLines = signatureBlock.slice(0, -1).split("\n");
  if (signatureLines.length === 0 || signatureLines[0] === "") invalid("it has no signature");
  if (signatureLines.length > MAX_SIGNATURES) invalid(`more than ${MAX_SIGNATURES} signatures`);
  const signatures = signatureLines.map((line) => {
    const match = SIGNATURE_LINE.exec(line);
    if (!match) invalid(`a signature line is not "— <name> <base64>": ${JSON.stringify(line.slice(0, 60))}`);
    const bytes = decodeBase64Strict(match[2]!, "std-exact");
    if (bytes === undefined) invalid("a signature is not base64");
    if (bytes.length < 5) invalid("a signature is shorter than its 4-byte key hint plus a signature");
    return { name: match[1]!, keyHint: bytes.subarray(0, 4), signature: bytes.subarray(4) };
  });
  return { text, origin, treeSize: BigInt(sizeText), rootHash, extensions: lines.slice(3), signatures };
}

export interface CheckpointSigner {
  readonly publicKey: KeyObject;
  /** The log's checkpoint key id; its first 4 bytes are the hint in signature lines. */
  readonly checkpointKeyID: Buffer;
}

/** The name a log signs its checkpoints with: the origin line, less Rekor v1's " - <tree id>". */
export function checkpointSignerName(origin: string): string {
  const match = /^(\S+) - \d+$/.exec(origin);
  return match ? match[1]! : origin;
}

/** True when one of the checkpoint's signatures is the log's own over the checkpoint text. */
export function isCheckpointSignedBy(checkpoint: Checkpoint, signer: CheckpointSigner): boolean {
  const name = checkpointSignerName(checkpoint.origin);
  const hint = signer.checkpointKeyID.subarray(0, 4);
  const data = Buffer.from(checkpoint.text, "utf8");
  return checkpoint.signatures.some((signature) => {
    return signature.name === name && signature.keyHint.equals(hint) && verifyLogSignature(data, signer.publicKey, signature.signature);
  });
}
