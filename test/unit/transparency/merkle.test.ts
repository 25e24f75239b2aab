import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { hashLeaf, rootFromInclusionProof } from "../../../src/transparency/index.js";

const node = (left: Buffer, right: Buffer): Buffer => createHash("sha256").update(Buffer.of(1)).update(left).update(right).digest();

/** RFC 6962 §2.1 Merkle tree hash, computed directly from its definition. */
function treeHash(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0]!;
  let split = 1;
  while (split * 2 < leaves.length) split *= 2;
  return node(treeHash(leaves.slice(0, split)), treeHash(leaves.slice(split)));
}

/** RFC 6962 §2.1.1 audit path, from its definition. */
function auditPath(index: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length === 1) return [];
  let split = 1;
  while (split * 2 < leaves.length) split *= 2;
  return index < split
    ? [...auditPath(index, leaves.slice(0, split)), treeHash(leaves.slice(split))]
    : [...auditPath(index - split, leaves.slice(split)), treeHash(leaves.slice(0, split))];
}

describe("Merkle inclusion proofs", () => {
  test("every leaf of every tree up to 17 leaves proves against the tree hash", () => {
    for (let size = 1; size <= 17; size++) {
      const leaves = Array.from({ length: size }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));
      const root = treeHash(leaves);
      for (let index = 0; index < size; index++) {
        const proof = auditPath(index, leaves);
        assert.deepEqual(rootFromInclusionProof(leaves[index]!, BigInt(index), BigInt(size), proof), root, `size ${size} index ${index}`);
        // The same proof at another index, or for another tree size, leads elsewhere.
        if (size > 1) assert.notDeepEqual(rootFromInclusionProof(leaves[index]!, BigInt((index + 1) % size), BigInt(size), proof), root);
      }
    }
  });

  test("malformed proofs lead nowhere", () => {
    const leaves = Array.from({ length: 5 }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));
    const proof = auditPath(2, leaves);
    assert.equal(rootFromInclusionProof(leaves[2]!, 5n, 5n, proof), undefined, "index beyond the tree");
    assert.equal(rootFromInclusionProof(leaves[2]!, -1n, 5n, proof), undefined, "negative index");
    assert.equal(rootFromInclusionProof(leaves[2]!, 2n, 5n, [...proof, proof[0]!]), undefined, "an extra hash");
    assert.equal(rootFromInclusionProof(leaves[2]!, 2n, 5n, proof.slice(1)), undefined, "a missing hash");
    assert.equal(rootFromInclusionProof(leaves[2]!, 2n, 5n, [Buffer.alloc(31), ...proof.slice(1)]), undefined, "a short hash");
  });
});
