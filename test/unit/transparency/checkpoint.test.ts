import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { checkpointSignerName, isCheckpointSignedBy, parseCheckpoint } from "../../../src/transparency/index.js";
import { parseTrustedRoot } from "../../../src/trust/index.js";
import { assertRejectsWithCode } from "../../helpers/assert-code.js";
import { VECTORS } from "../../helpers/peers.js";

const CHECKPOINTS = join(VECTORS, "sigstore__sigstore-java", "sigstore-java", "src", "test", "resources", "dev", "sigstore", "samples", "checkpoints");
const read = (name: string): string => readFileSync(join(CHECKPOINTS, name), "utf8");
const prod = parseTrustedRoot(readFileSync(join(VECTORS, "sigstore__sigstore-python", "sigstore", "_store", "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev", "trusted_root.json")), "PROD");

describe("checkpoints (sigstore-java vectors)", () => {
  test("valid.txt: origin, size, root hash, one signature by rekor.sigstore.dev", () => {
    const checkpoint = parseCheckpoint(read("valid.txt"));
    assert.equal(checkpoint.origin, "rekor.sigstore.dev - 2605736670972794746");
    assert.equal(checkpoint.treeSize, 37795272n);
    assert.equal(checkpoint.rootHash.toString("base64"), "60ll7idWI1jYRZzxc+jKflYoW+4jWxgZaGR15ASsWt4=");
    assert.deepEqual(checkpoint.extensions, ["Timestamp: 1697034484441201852"]);
    assert.deepEqual(checkpoint.signatures.map((s) => s.name), ["rekor.sigstore.dev"]);
    assert.equal(checkpointSignerName(checkpoint.origin), "rekor.sigstore.dev");
  });

  test("the real checkpoint verifies with the public-good Rekor key, and not once changed", () => {
    const rekor = prod.tlogs.find((log) => log.baseURL === "https://rekor.sigstore.dev")!;
    assert.equal(isCheckpointSignedBy(parseCheckpoint(read("valid.txt")), rekor), true);
    assert.equal(isCheckpointSignedBy(parseCheckpoint(read("valid.txt").replace("37795272", "37795273")), rekor), false);
    // Another log's key, even under the right name, does not.
    assert.equal(isCheckpointSignedBy(parseCheckpoint(read("valid.txt")), prod.tlogs[1]!), false);
  });

  test("valid_multi_sig.txt: two signatures, the log's still found", () => {
    const checkpoint = parseCheckpoint(read("valid_multi_sig.txt"));
    assert.deepEqual(checkpoint.signatures.map((s) => s.name), ["rekor.sigstore.dev", "bob.loblaw.dev"]);
    const rekor = prod.tlogs.find((log) => log.baseURL === "https://rekor.sigstore.dev")!;
    assert.equal(isCheckpointSignedBy(checkpoint, rekor), true);
  });

  for (const name of [
    "error_header_body_separator.txt",
    "error_header_count.txt",
    "error_not_a_number.txt",
    "error_no_signatures.txt",
    "error_no_newline_after_signature.txt",
    "error_signature_format_invalid.txt",
    "error_signature_length_insufficient.txt",
  ]) {
    test(`${name} is refused`, async () => {
      await assertRejectsWithCode(() => parseCheckpoint(read(name)), "TLOG_PROOF_INVALID");
    });
  }
});
