/**
 * Walks containers/image's policy reference-match tables (transcribed to JSON in the shared vectors) and
 * checks that signet's parsing and normalisation give the outcomes upstream expects. The matchers below are
 * upstream's definitions (signature/policy_reference_match.go), restated over signet's parsed references:
 * every row then checks which strings parse and what they normalise to.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SignetError } from "../../../../src/errors/index.js";
import {
  formatImageReference,
  isNameOnly,
  parseNormalizedName,
  repositoryName,
  type ImageReference,
} from "../../../../src/oci/reference/index.js";

import { VECTORS } from "../../../helpers/peers.js";
const TABLES_PATH = join(VECTORS, "containers__image", "_derived", "policy-reference-match-tables.json");

interface PairRow { refA: string; refB: string; match: boolean; comment?: string }
interface ImageSigRow { imageRef: string; sigRef: string; match: boolean; comment?: string }
interface PrefixRow { ref: string; prefix: string; match: boolean }
interface RemapRow { prefix: string; signedPrefix: string; ref: string; expected: string | null; comment?: string }
interface RemapMatchRow { prefix: string; signedPrefix: string; imageRef: string; sigRef: string; match: boolean; comment?: string }
interface Tables {
  prmExactMatchTestTable: PairRow[];
  prmRepositoryMatchTestTable: PairRow[];
  matchRepoDigestOrExactTestTable: ImageSigRow[];
  remapIdentityRefMatchesPrefix: PrefixRow[];
  remapIdentityRemapReferencePrefix: RemapRow[];
  remapIdentityMatchesDockerReference: RemapMatchRow[];
  policyScopeLookup: { cases: Array<{ transport: string; imageRef: string }> };
}

/** undefined when signet refuses the text as a reference; any other failure is a bug and propagates. */
function tryParse(text: string): ImageReference | undefined {
  try {
    return parseNormalizedName(text);
  } catch (error) {
    if (SignetError.is(error) && (error.code === "REF_INVALID" || error.code === "DIGEST_INVALID")) return undefined;
    throw error;
  }
}

function parseOrFail(text: string): ImageReference {
  const reference = tryParse(text);
  assert.ok(reference !== undefined, `upstream parses ${JSON.stringify(text)}, signet refused it`);
  return reference;
}

// upstream matchExact: both must name a tag or digest, and their canonical strings must be equal.
function matchExact(a: ImageReference, b: ImageReference): boolean {
  if (isNameOnly(a) || isNameOnly(b)) return false;
  return formatImageReference(a) === formatImageReference(b);
}

function matchRepository(a: ImageReference, b: ImageReference): boolean {
  return repositoryName(a) === repositoryName(b);
}

// upstream prmMatchRepoDigestOrExact.matchesDockerReference.
function matchRepoDigestOrExact(image: ImageReference, signature: ImageReference): boolean {
  if (isNameOnly(signature)) return false;
  if (image.tag !== undefined) return formatImageReference(signature) === formatImageReference(image);
  if (image.digest !== undefined) return repositoryName(signature) === repositoryName(image);
  return false;
}

// upstream prmRemapIdentity.refMatchesPrefix: compares the name only, at a "/" boundary.
function refMatchesPrefix(reference: ImageReference, prefix: string): boolean {
  const name = repositoryName(reference);
  if (name.length < prefix.length) return false;
  if (name.length === prefix.length) return name === prefix;
  return name.startsWith(prefix) && name[prefix.length] === "/";
}

// upstream remapReferencePrefix: textual rewrite, and the result must be a canonical reference (ParseNamed).
function remapReferencePrefix(reference: ImageReference, prefix: string, signedPrefix: string): ImageReference | undefined {
  if (!refMatchesPrefix(reference, prefix)) return reference;
  const rewritten = formatImageReference(reference).replace(prefix, signedPrefix);
  const parsed = tryParse(rewritten);
  return parsed !== undefined && formatImageReference(parsed) === rewritten ? parsed : undefined;
}

const tablesExist = existsSync(TABLES_PATH);
const tables: Tables | undefined = tablesExist ? (JSON.parse(readFileSync(TABLES_PATH, "utf8")) as Tables) : undefined;

describe("containers/image policy reference-match tables", () => {
  test("the tables are present", () => {
    assert.ok(tablesExist, `missing ${TABLES_PATH} (test/vectors is vendored with the repository)`);
  });
  if (tables === undefined) return;

  test("prmExactMatchTestTable: exact matching over signet's normalisation gives upstream's answer, both ways", () => {
    assert.ok(tables.prmExactMatchTestTable.length > 0);
    for (const row of tables.prmExactMatchTestTable) {
      const a = tryParse(row.refA);
      const b = tryParse(row.refB);
      if (row.match) {
        parseOrFail(row.refA);
        parseOrFail(row.refB);
      }
      const outcome = a !== undefined && b !== undefined && matchExact(a, b) && matchExact(b, a);
      assert.equal(outcome, row.match, `${row.refA} vs ${row.refB}`);
    }
  });

  test("prmRepositoryMatchTestTable: repository matching gives upstream's answer, both ways", () => {
    assert.ok(tables.prmRepositoryMatchTestTable.length > 0);
    for (const row of tables.prmRepositoryMatchTestTable) {
      const a = tryParse(row.refA);
      const b = tryParse(row.refB);
      if (row.match) {
        parseOrFail(row.refA);
        parseOrFail(row.refB);
      }
      const outcome = a !== undefined && b !== undefined && matchRepository(a, b) && matchRepository(b, a);
      assert.equal(outcome, row.match, `${row.refA} vs ${row.refB}`);
      // A string that does not even match itself by repository is one upstream cannot parse.
      if (row.refA === row.refB && !row.match) assert.equal(a, undefined, `${row.refA} must be rejected`);
    }
  });

  test("matchRepoDigestOrExactTestTable, plus the exact table's true rows and the repository table's false rows", () => {
    const rows: ImageSigRow[] = [
      ...tables.matchRepoDigestOrExactTestTable,
      ...tables.prmExactMatchTestTable.filter((row) => row.match).flatMap((row) => [
        { imageRef: row.refA, sigRef: row.refB, match: true },
        { imageRef: row.refB, sigRef: row.refA, match: true },
      ]),
      ...tables.prmRepositoryMatchTestTable.filter((row) => !row.match).flatMap((row) => [
        { imageRef: row.refA, sigRef: row.refB, match: false },
        { imageRef: row.refB, sigRef: row.refA, match: false },
      ]),
    ];
    assert.ok(tables.matchRepoDigestOrExactTestTable.length > 0);
    for (const row of rows) {
      const image = tryParse(row.imageRef);
      // Upstream skips rows whose image reference does not parse: such an image cannot exist.
      if (image === undefined) {
        assert.equal(row.match, false, `${row.imageRef} must parse`);
        continue;
      }
      const signature = tryParse(row.sigRef);
      const outcome = signature !== undefined && matchRepoDigestOrExact(image, signature);
      assert.equal(outcome, row.match, `image ${row.imageRef}, signature ${row.sigRef}`);
    }
  });

  test("remapIdentityRefMatchesPrefix: every ref parses and its normalised name matches upstream", () => {
    assert.ok(tables.remapIdentityRefMatchesPrefix.length > 0);
    for (const row of tables.remapIdentityRefMatchesPrefix) {
      const reference = parseOrFail(row.ref);
      assert.equal(refMatchesPrefix(reference, row.prefix), row.match, `${row.ref} vs prefix ${row.prefix}`);
    }
  });

  test("remapIdentityRemapReferencePrefix: the rewritten reference is what upstream expects, or not canonical", () => {
    assert.ok(tables.remapIdentityRemapReferencePrefix.length > 0);
    for (const row of tables.remapIdentityRemapReferencePrefix) {
      const reference = parseOrFail(row.ref);
      const remapped = remapReferencePrefix(reference, row.prefix, row.signedPrefix);
      if (row.expected === null || row.expected === "") {
        assert.equal(remapped, undefined, `${row.ref}: ${row.prefix} -> ${row.signedPrefix} must fail`);
      } else {
        assert.ok(remapped !== undefined, `${row.ref}: ${row.prefix} -> ${row.signedPrefix} must succeed`);
        assert.equal(formatImageReference(remapped), row.expected);
        assert.deepEqual(parseOrFail(row.expected), remapped);
      }
    }
  });

  test("remapIdentityMatchesDockerReference: remap the image, then match repository-and-digest or exactly", () => {
    assert.ok(tables.remapIdentityMatchesDockerReference.length > 0);
    for (const row of tables.remapIdentityMatchesDockerReference) {
      const image = parseOrFail(row.imageRef);
      const signature = tryParse(row.sigRef);
      const remapped = remapReferencePrefix(image, row.prefix, row.signedPrefix);
      const outcome = signature !== undefined && remapped !== undefined && matchRepoDigestOrExact(remapped, signature);
      assert.equal(outcome, row.match, `${row.imageRef} (${row.prefix} -> ${row.signedPrefix}) vs ${row.sigRef}`);
    }
  });

  test("policyScopeLookup: every image reference parses", () => {
    assert.ok(tables.policyScopeLookup.cases.length > 0);
    for (const row of tables.policyScopeLookup.cases) parseOrFail(row.imageRef);
  });

  test("every reference in the tables with upper case in its repository, or empty, is rejected", () => {
    const references = new Set<string>();
    for (const row of tables.prmExactMatchTestTable) references.add(row.refA).add(row.refB);
    for (const row of tables.prmRepositoryMatchTestTable) references.add(row.refA).add(row.refB);
    for (const row of tables.matchRepoDigestOrExactTestTable) references.add(row.imageRef).add(row.sigRef);
    for (const row of tables.remapIdentityMatchesDockerReference) references.add(row.imageRef).add(row.sigRef);
    let rejected = 0;
    for (const text of references) {
      const path = text.replace(/^[^/]*[.:][^/]*\/|^localhost\//, "").split(/[:@]/)[0]!;
      if (text === "" || /[A-Z]/.test(path)) {
        assert.equal(tryParse(text), undefined, `${JSON.stringify(text)} must be rejected`);
        rejected++;
      } else {
        parseOrFail(text);
      }
    }
    assert.ok(rejected > 0, "the tables hold invalid references");
  });
});
