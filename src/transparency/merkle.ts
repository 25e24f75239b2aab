/**
 * RFC 6962 / RFC 9162 §2.1.3.2 Merkle inclusion proof verification.
 */
import { createHash } from "node:crypto";

export function hashLeaf(leaf: Uint8Array): Buffer {
  return createHash("sha256").update(Buffer.of(0)).update(leaf).digest();
}

function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash("sha256").update(Buffer.of(1)).update(left).update(right).digest();
}

/**
 * The root hash the proof leads to from `leafHash` at `index` in a tree of `treeSize` leaves, or undefined
 * when the proof has the wrong shape (index out of range, wrong number of hashes, a hash not 32 bytes).
 */
export function rootFromInclusionProof(leafHash: Buffer, index: bigint, treeSize: bigint, proof: readonly Buffer[]): Buffer | undefined {
  if (index < 0n || index >= treeSize) return undefined;
  if (proof.some((hash) => hash.length !== 32)) return undefined;
  let fn = index;
  let sn = treeSize - 1n;
  let hash = leafHash;
  for (const sibling of proof) {
    if (sn === 0n) return undefined;
    if ((fn & 1n) === 1n || fn === sn) {
      hash = hashChildren(sibling, hash);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      hash = hashChildren(hash, sibling);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? hash : undefined;
}
