/**
 * Walks every row of containers/image's reference-matching tables (policy_reference_match_test.go, transcribed to
 * JSON in the shared vectors) through signet's signedIdentity matchers, as upstream applies them.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { VECTORS } from "../../../helpers/peers.js";
import { formatImageReference, type ImageReference } from "../../../../src/oci/reference/index.js";
import type { PolicySourceLocation, SignedIdentityConfig } from "../../../../src/policy/config/index.js";
import {
  matchSignedIdentity,
  matchesRepoDigestOrExactly,
  referenceMatchesPrefix,
  remapReferencePrefix,
  tryParseDockerReference,
} from "../../../../src/policy/identity/index.js";

interface PairRow { refA: string; refB: string; match: boolean }
interface Tables {
  prmExactMatchTestTable: PairRow[];
  prmRepositoryMatchTestTable: PairRow[];
  matchRepoDigestOrExactTestTable: Array<{ imageRef: string; sigRef: string; match: boolean }>;
  remapIdentityRefMatchesPrefix: Array<{ ref: string; prefix: string; match: boolean }>;
  remapIdentityRemapReferencePrefix: Array<{ prefix: string; signedPrefix: string; ref: string; expected: string | null }>;
  remapIdentityMatchesDockerReference: Array<{ prefix: string; signedPrefix: string; imageRef: string; sigRef: string; match: boolean }>;
}

const tables = JSON.parse(readFileSync(join(VECTORS, "containers__image", "_derived", "policy-reference-match-tables.json"), "utf8")) as Tables;
const here: PolicySourceLocation = { source: "test", path: "", line: 1, column: 1 };

function rule(value: Record<string, string>): SignedIdentityConfig {
  return { ...value, location: here } as unknown as SignedIdentityConfig;
}

function parse(text: string): ImageReference {
  const reference = tryParseDockerReference(text);
  assert.ok(reference !== undefined, `${text} must parse`);
  return reference;
}

/** upstream testPossiblyInvalidImageAndSig: rows whose image side does not parse are skipped for the image side. */
function checkImageAndSig(identity: SignedIdentityConfig, imageRef: string, sigRef: string, expected: boolean): number {
  const image = tryParseDockerReference(imageRef);
  if (image === undefined) return 0;
  const result = matchSignedIdentity(identity, image, sigRef);
  assert.equal(result.matches, expected, `${identity.type}: image ${imageRef} vs signature ${sigRef}: ${result.reason}`);
  assert.ok(result.reason.length > 0);
  return 1;
}

describe("containers/image reference-match tables", () => {
  test("the tables are present and not empty", () => {
    for (const [name, rows] of Object.entries(tables)) assert.ok(!Array.isArray(rows) || rows.length > 0, name);
  });

  test("matchExact: prmExactMatchTestTable in both directions", () => {
    let checked = 0;
    for (const row of tables.prmExactMatchTestTable) {
      checked += checkImageAndSig(rule({ type: "matchExact" }), row.refA, row.refB, row.match);
      checked += checkImageAndSig(rule({ type: "matchExact" }), row.refB, row.refA, row.match);
    }
    assert.ok(checked >= tables.prmExactMatchTestTable.length);
  });

  test("exactReference: prmExactMatchTestTable in both directions (the policy names the reference)", () => {
    for (const row of tables.prmExactMatchTestTable) {
      for (const [policyRef, sigRef] of [[row.refA, row.refB], [row.refB, row.refA]] as const) {
        const result = matchSignedIdentity(rule({ type: "exactReference", dockerReference: policyRef }), undefined, sigRef);
        assert.equal(result.matches, row.match, `exactReference ${policyRef} vs ${sigRef}: ${result.reason}`);
      }
    }
  });

  test("matchRepository: prmRepositoryMatchTestTable in both directions", () => {
    for (const row of tables.prmRepositoryMatchTestTable) {
      checkImageAndSig(rule({ type: "matchRepository" }), row.refA, row.refB, row.match);
      checkImageAndSig(rule({ type: "matchRepository" }), row.refB, row.refA, row.match);
    }
  });

  test("exactRepository: prmRepositoryMatchTestTable in both directions", () => {
    for (const row of tables.prmRepositoryMatchTestTable) {
      for (const [policyRef, sigRef] of [[row.refA, row.refB], [row.refB, row.refA]] as const) {
        const result = matchSignedIdentity(rule({ type: "exactRepository", dockerRepository: policyRef }), undefined, sigRef);
        assert.equal(result.matches, row.match, `exactRepository ${policyRef} vs ${sigRef}: ${result.reason}`);
      }
    }
  });

  test("matchRepoDigestOrExact: its table, the true rows of the exact table and the false rows of the repository table", () => {
    const identity = rule({ type: "matchRepoDigestOrExact" });
    for (const row of tables.matchRepoDigestOrExactTestTable) assert.equal(checkImageAndSig(identity, row.imageRef, row.sigRef, row.match), 1, row.imageRef);
    for (const row of tables.prmExactMatchTestTable.filter((r) => r.match)) {
      checkImageAndSig(identity, row.refA, row.refB, true);
      checkImageAndSig(identity, row.refB, row.refA, true);
    }
    for (const row of tables.prmRepositoryMatchTestTable.filter((r) => !r.match)) {
      checkImageAndSig(identity, row.refA, row.refB, false);
      checkImageAndSig(identity, row.refB, row.refA, false);
    }
    // upstream TestMatchRepoDigestOrExactReferenceValues: the same on parsed values.
    for (const row of tables.matchRepoDigestOrExactTestTable) {
      assert.equal(matchesRepoDigestOrExactly(parse(row.imageRef), parse(row.sigRef)), row.match, `${row.imageRef} vs ${row.sigRef}`);
    }
  });

  test("remapIdentity with a prefix that never rewrites behaves as matchRepoDigestOrExact", () => {
    const identity = rule({ type: "remapIdentity", prefix: "never-causes-a-rewrite.example", signedPrefix: "never-causes-a-rewrite.example" });
    for (const row of tables.matchRepoDigestOrExactTestTable) checkImageAndSig(identity, row.imageRef, row.sigRef, row.match);
    for (const row of tables.prmExactMatchTestTable.filter((r) => r.match)) checkImageAndSig(identity, row.refA, row.refB, true);
    for (const row of tables.prmRepositoryMatchTestTable.filter((r) => !r.match)) checkImageAndSig(identity, row.refA, row.refB, false);
  });

  test("remapIdentity: the prefix matches on path-component boundaries (remapIdentityRefMatchesPrefix)", () => {
    for (const row of tables.remapIdentityRefMatchesPrefix) {
      assert.equal(referenceMatchesPrefix(parse(row.ref), row.prefix), row.match, `${row.ref} vs prefix ${row.prefix}`);
    }
  });

  test("remapIdentity: rewriting the prefix (remapIdentityRemapReferencePrefix; null = the rewrite must fail)", () => {
    for (const row of tables.remapIdentityRemapReferencePrefix) {
      const name = `${row.ref}: ${row.prefix} -> ${row.signedPrefix}`;
      if (row.expected === null) {
        assert.throws(() => remapReferencePrefix(parse(row.ref), row.prefix, row.signedPrefix), /not a canonical image reference/, name);
      } else {
        assert.equal(formatImageReference(remapReferencePrefix(parse(row.ref), row.prefix, row.signedPrefix)), formatImageReference(parse(row.expected)), name);
      }
    }
  });

  test("remapIdentity: matching after the rewrite (remapIdentityMatchesDockerReference)", () => {
    for (const row of tables.remapIdentityMatchesDockerReference) {
      checkImageAndSig(rule({ type: "remapIdentity", prefix: row.prefix, signedPrefix: row.signedPrefix }), row.imageRef, row.sigRef, row.match);
    }
  });
});

describe("signedIdentity safety", () => {
  test("an image without a registry name (OCI layout) matches only exactReference / exactRepository", () => {
    for (const type of ["matchExact", "matchRepoDigestOrExact", "matchRepository"]) {
      const result = matchSignedIdentity(rule({ type }), undefined, "example.com/app:1");
      assert.equal(result.matches, false, type);
      assert.match(result.hint ?? "", /exactReference or exactRepository/);
    }
    assert.equal(matchSignedIdentity(rule({ type: "remapIdentity", prefix: "a.example", signedPrefix: "b.example" }), undefined, "b.example/app:1").matches, false);
    assert.equal(matchSignedIdentity(rule({ type: "exactRepository", dockerRepository: "example.com/app" }), undefined, "example.com/app:1").matches, true);
  });

  test("repository matching is whole-name equality, never a prefix (signature transplant between repositories)", () => {
    const image = parse("example.com/foo:1");
    for (const claimed of ["example.com/foobar:1", "example.com/fo:1", "example.com/foo/bar:1", "example.com.evil.net/foo:1", "evil.example.com/foo:1"]) {
      assert.equal(matchSignedIdentity(rule({ type: "matchRepository" }), image, claimed).matches, false, claimed);
    }
  });

  test("an invalid claimed identity never matches and says why", () => {
    const result = matchSignedIdentity(rule({ type: "matchRepository" }), parse("busybox:latest"), "UPPERCASE/Invalid");
    assert.equal(result.matches, false);
    assert.match(result.reason, /not a valid image reference/);
  });

  test("a cosign-style identity (repository only) fails the default rule with a hint to use matchRepository", () => {
    const result = matchSignedIdentity(rule({ type: "matchRepoDigestOrExact" }), parse("example.com/app:1"), "example.com/app");
    assert.equal(result.matches, false);
    assert.match(result.hint ?? "", /matchRepository/);
  });
});
