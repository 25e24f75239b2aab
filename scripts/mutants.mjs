#!/usr/bin/env node
// Mutation check of the verifier's safety checks (issue #8, docs/mutation-testing.md).
// Each mutant removes one check from src/, rebuilds, runs the tests that should notice, and restores the file.
// A mutant is KILLED when a test fails, SURVIVED when every test passes (a missing test), STALE when its code
// was not found (the check moved: update the mutant), INVALID when it does not compile (fix the mutant). The exit
// status is 0 only when every mutant was killed.
//
// Usage: node scripts/mutants.mjs [--list] [id-filter...]
//   SIGNET_TEST_COSIGN=... is passed through to the tests (some mutants run integration tests).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";

/**
 * Each mutant: where (file), the exact code of the check (find; it must occur `count` times, default 1, and the
 * `occurrence`-th, default the first, is replaced), what replaces it, and the compiled test files (paths under
 * dist/test, matched as substrings) that must fail.
 */
const MUTANTS = [
  {
    id: "digest-statement-subject",
    what: "subject binding of attestations and cosign 3 bundle signatures (attestation/in-toto-statement.ts)",
    file: "src/signatures/attestation/in-toto-statement.ts",
    find: "const match = statement.subject.find((s) => s.digest[algorithm] === hex);",
    replace: "const match = statement.subject.find((s) => s.digest[algorithm] !== undefined || hex !== '');",
    tests: ["unit/signatures/attestation/", "unit/signatures/cosign/verify-sigstore-signatures.test"],
  },
  {
    id: "identity-certificate-subject",
    what: "keyless certificate identity (subject) match (bundle/identity-match.ts)",
    file: "src/signatures/bundle/identity-match.ts",
    find: "if (san.type !== type || san.value !== policy.subject) {",
    replace: "if (false) {",
    tests: ["unit/signatures/bundle/", "unit/webhook/sigstore/"],
  },
  {
    id: "identity-certificate-issuer",
    what: "keyless certificate OIDC issuer match (bundle/identity-match.ts)",
    file: "src/signatures/bundle/identity-match.ts",
    find: "if (policy.issuer !== undefined && issuer !== policy.issuer) mismatch(",
    replace: "if (false) mismatch(",
    tests: ["unit/signatures/bundle/", "unit/webhook/sigstore/"],
  },
  {
    id: "tlog-signature-binding",
    what: "the log entry records this signature (bundle/match-entry.ts)",
    file: "src/signatures/bundle/match-entry.ts",
    find: 'if (!recorded.signature.equals(signed.signature)) mismatch("the log entry records another signature");',
    replace: "",
    tests: ["unit/signatures/bundle/", "unit/policy/sigstore-signed-rekor-fulcio.test"],
  },
  {
    id: "tlog-verifier-binding",
    what: "the log entry records the signing key or certificate (bundle/match-entry.ts)",
    file: "src/signatures/bundle/match-entry.ts",
    find: "if (!sameVerifier(recorded.verifier, expected)) mismatch(",
    replace: "if (false) mismatch(",
    tests: ["unit/signatures/bundle/", "unit/policy/sigstore-signed-rekor-fulcio.test"],
  },
  {
    id: "tlog-digest-binding",
    what: "the log entry records this artifact digest (bundle/match-entry.ts)",
    file: "src/signatures/bundle/match-entry.ts",
    find: "if (claims.signedDigest !== undefined && !digestsEqual(signed, claims.signedDigest)) {",
    replace: "if (false) {",
    tests: ["unit/signatures/bundle/", "unit/policy/sigstore-signed-rekor-fulcio.test"],
  },
  {
    id: "payload-type-simple-signing",
    what: "critical.type of simple-signing payloads (payload/signed-image-payload.ts)",
    file: "src/signatures/payload/signed-image-payload.ts",
    find: "if (type !== format.type) invalid(",
    replace: "if (false) invalid(",
    tests: ["unit/signatures/payload/", "unit/signatures/simplesigning/payload.test"],
  },
  {
    id: "payload-type-dsse",
    what: "DSSE payload type of attestations (attestation/check-attestation.ts)",
    file: "src/signatures/attestation/check-attestation.ts",
    find: "if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {",
    replace: "if (false) {",
    tests: ["unit/signatures/attestation/"],
  },
  {
    id: "json-duplicate-keys",
    what: "the JSON reader refuses duplicate keys (internal/json-reader.ts)",
    file: "src/internal/json-reader.ts",
    find: "if (earlier !== undefined) {",
    replace: "if (earlier !== undefined && this.text.length < 0) {",
    tests: ["unit/internal/json-reader.test", "unit/signatures/payload/", "unit/policy/config/"],
  },
  {
    id: "json-duplicate-keys-signed",
    what: "parseSignedJson's pass for duplicate keys after JSON.parse (internal/json-reader.ts)",
    file: "src/internal/json-reader.ts",
    find: "if (keys.has(key)) return",
    replace: "if (keys.has(key) && false) return",
    tests: ["unit/internal/json-reader.test", "unit/signatures/payload/", "unit/signatures/attestation/"],
  },
  {
    id: "json-bom",
    what: "the JSON reader refuses a byte order mark (internal/json-reader.ts)",
    file: "src/internal/json-reader.ts",
    find: "if (this.text.charCodeAt(0) === 0xfeff) {",
    // What TextDecoder's default did: drop the mark silently.
    replace: "if (this.text.charCodeAt(0) === 0xfeff) { this.index++; } else if (false) {",
    tests: ["unit/internal/json-reader.test", "unit/signatures/payload/"],
  },
  {
    id: "json-trailing-bytes",
    what: "the JSON reader refuses bytes after the value (internal/json-reader.ts)",
    file: "src/internal/json-reader.ts",
    find: "if (this.index < this.text.length) {",
    replace: "if (false) {",
    tests: ["unit/internal/json-reader.test", "unit/signatures/payload/"],
  },
  {
    id: "json-utf8",
    what: "the JSON reader refuses invalid UTF-8 (internal/json-reader.ts)",
    file: "src/internal/json-reader.ts",
    find: 'const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });',
    replace: 'const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });',
    tests: ["unit/internal/json-reader.test", "unit/signatures/payload/"],
  },
  {
    id: "json-case-variants",
    what: "schema readers refuse Go case-variant keys (internal/json-reader.ts)",
    file: "src/internal/json-reader.ts",
    find: "if (field !== undefined) return { key, field };",
    replace: "",
    tests: ["unit/internal/json-reader.test", "unit/signatures/payload/", "unit/signatures/attestation/"],
  },
  {
    id: "payload-unknown-fields",
    what: "the payload reader refuses unknown fields in critical (payload/signed-image-payload.ts)",
    file: "src/signatures/payload/signed-image-payload.ts",
    find: "if (!fields.includes(key)) invalid(",
    replace: "if (false) invalid(",
    tests: ["unit/signatures/payload/", "unit/signatures/simplesigning/payload.test"],
  },
  {
    id: "payload-missing-fields",
    what: "the payload reader requires every field, `optional` included (payload/signed-image-payload.ts)",
    file: "src/signatures/payload/signed-image-payload.ts",
    find: "if (!Object.hasOwn(value, field)) invalid(",
    replace: "if (false) invalid(",
    tests: ["unit/signatures/payload/", "unit/signatures/simplesigning/payload.test"],
  },
  {
    id: "tag-digest-of-bytes",
    what: "a resolved tag's digest is that of the bytes; a lying Docker-Content-Digest is refused (oci/registry/registry-repository.ts)",
    file: "src/oci/registry/registry-repository.ts",
    find: "if (digestAlgorithm(claimed) === digestAlgorithm(actual) && claimed !== actual) {",
    replace: "if (false) {",
    tests: ["integration/tag-resolution.test", "integration/registry-hostile.test"],
  },
  {
    id: "digest-claims",
    what: "the one digest binding of every format: the signature names this image (signatures/verifier/verify-record.ts, checkClaims)",
    file: "src/signatures/verifier/verify-record.ts",
    find: "const digestProblem = checkSignedDigest(signed.signedDigest, claims.imageDigest);",
    replace: "const digestProblem = undefined as ReturnType<typeof checkSignedDigest>;",
    tests: ["unit/signatures/verifier/verify-cosign-records.test", "unit/policy/evaluate-dir-fixtures.test"],
  },
  {
    id: "digest-cosign-layer",
    what: "a .sig layer's signed digest reaches the digest binding (verify-record.ts, verifyCosignLayer)",
    file: "src/signatures/verifier/verify-record.ts",
    find: "checkClaims(record, signer, claims, { signedDigest, signedReference, annotations: payload.optional ?? {} });",
    replace: "checkClaims(record, signer, claims, { signedDigest: claims.imageDigest, signedReference, annotations: payload.optional ?? {} });",
    tests: ["unit/signatures/verifier/verify-cosign-records.test", "unit/signatures/cosign/verify-sigstore-signatures.test"],
  },
  {
    id: "digest-simple-signing",
    what: "a GPG simple signature's signed digest reaches the digest binding (verify-record.ts, verifySimpleSigning)",
    file: "src/signatures/verifier/verify-record.ts",
    find: "checkClaims(record, signer, claims, { signedDigest: payload.manifestDigest,",
    replace: "checkClaims(record, signer, claims, { signedDigest: claims.imageDigest,",
    tests: ["unit/signatures/simplesigning/openpgp-security.test", "unit/policy/evaluate.test"],
  },
  {
    id: "annotations-claims",
    what: "required annotations (-a) of every format (verify-record.ts, checkClaims)",
    file: "src/signatures/verifier/verify-record.ts",
    find: "    if (actual !== expected) {",
    replace: "    if (false) {",
    tests: ["unit/signatures/verifier/verify-cosign-records.test", "unit/signatures/cosign/verify-sigstore-signatures.test"],
  },
  {
    id: "identity-claims",
    what: "policy.json's signedIdentity over the signed reference, every format (verify-record.ts, checkSignedIdentity)",
    file: "src/signatures/verifier/verify-record.ts",
    find: "  if (!match.matches) {",
    replace: "  if (false) {",
    tests: ["unit/policy/evaluate-dir-fixtures.test", "unit/policy/evaluate.test"],
  },
  {
    id: "notation-subject-digest",
    what: "a Notation record read for another digest (signatures/verifier/verify-record.ts)",
    file: "src/signatures/verifier/verify-record.ts",
    find: "if (record.subject.digest !== claims.imageDigest) {",
    replace: "if (false) {",
    tests: ["unit/signatures/verifier/verify-notation-records.test"],
  },
  {
    id: "notation-skip-statement",
    what: "a skip trust policy statement never allows (signatures/verifier/verify-record.ts)",
    file: "src/signatures/verifier/verify-record.ts",
    find: 'if (statement.level === "skip") {',
    replace: 'if (statement.level === ("never" as string)) {',
    tests: ["unit/signatures/verifier/verify-notation-records.test"],
  },
  {
    id: "notation-user-metadata",
    what: "required Notation user metadata (signatures/notation/notation-requirement.ts)",
    file: "src/signatures/notation/notation-requirement.ts",
    find: "const problem = metadataProblem(verification, requirement.userMetadata ?? {});",
    replace: "const problem = undefined as string | undefined;",
    tests: ["integration/notation.test"],
  },
  {
    id: "payload-written-copy",
    what: "a payload this process wrote is read back without parsing only if its bytes are unchanged (payload/simple-signing.ts)",
    file: "src/signatures/payload/simple-signing.ts",
    find: "if (known !== undefined && known.bytes.equals(untrustedBytes)) {",
    replace: "if (known !== undefined) {",
    tests: ["unit/signatures/payload/simple-signing.test"],
  },
  {
    id: "bounded-read-stream-limit",
    what: "the size limit of a body read from a Node stream (internal/bounded-read.ts)",
    file: "src/internal/bounded-read.ts",
    find: "if (total > limit) {",
    count: 2,
    occurrence: 2,
    replace: "if (total > Number.MAX_SAFE_INTEGER) {",
    tests: ["unit/internal/bounded-read.test"],
  },
  {
    id: "code-cache-bundle-stamp",
    what: "an edited bundle never meets the old code cache (cli/code-cache.ts)",
    file: "src/cli/code-cache.ts",
    find: "-${stamp.size}-${Math.trunc(stamp.mtimeMs)}-${stamp.ino}`;",
    replace: "-${stamp.size}`;",
    tests: ["unit/cli/code-cache.test"],
  },
  {
    id: "code-cache-private-folder",
    what: "a code cache folder others can write is never used (cli/code-cache.ts)",
    file: "src/cli/code-cache.ts",
    find: "if (!info.isDirectory() || (info.mode & 0o022) !== 0 || (uid !== undefined && info.uid !== uid)) return undefined;",
    replace: "if (!info.isDirectory()) return undefined;",
    tests: ["unit/cli/code-cache.test"],
  },
  {
    id: "credentials-file-changed",
    what: "a changed auth file is read again (oci/registry/credentials.ts)",
    file: "src/oci/registry/credentials.ts",
    find: "if (known !== undefined && known.stamp === stamp && now - known.readAt < AUTH_FILE_REUSE_MS) return known.auths;",
    replace: "if (known !== undefined) return known.auths;",
    tests: ["unit/oci/registry/credentials.test"],
  },
  {
    id: "missing-tag-denied",
    what: "a denial answered with 404 is not \"no such tag\" (oci/registry/registry-repository.ts)",
    file: "src/oci/registry/registry-repository.ts",
    find: "if (isNotFoundAnswer(response.status, body)) return undefined;",
    replace: "return undefined;",
    tests: ["integration/registry-hostile.test"],
  },
];

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, ...options });
  return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

function nthIndex(text, find, n) {
  let index = -1;
  for (let i = 0; i < n; i++) {
    index = text.indexOf(find, index + 1);
    if (index === -1) return -1;
  }
  return index;
}

function applyMutant(mutant) {
  if (!existsSync(mutant.file)) return { original: undefined, applied: false, why: `${mutant.file} does not exist` };
  const original = readFileSync(mutant.file, "utf8");
  const occurrences = original.split(mutant.find).length - 1;
  const wanted = mutant.count ?? 1;
  if (occurrences !== wanted) return { original, applied: false, why: `expected ${wanted} occurrence(s) of the check, found ${occurrences}` };
  const at = nthIndex(original, mutant.find, mutant.occurrence ?? 1);
  writeFileSync(mutant.file, original.slice(0, at) + mutant.replace + original.slice(at + mutant.find.length));
  return { original, applied: true };
}

function testFiles(patterns) {
  const listing = run("find", ["dist/test", "-name", "*.test.js"]).output.split("\n").filter(Boolean);
  return listing.filter((path) => patterns.some((pattern) => path.includes(pattern)));
}

const args = process.argv.slice(2);
if (args.includes("--list")) {
  for (const mutant of MUTANTS) console.log(`${mutant.id.padEnd(30)} ${mutant.what}`);
  process.exit(0);
}
const filters = args.filter((a) => !a.startsWith("--"));
const selected = MUTANTS.filter((m) => filters.length === 0 || filters.some((f) => m.id.includes(f)));

const baseline = run("npm", ["run", "--silent", "build"]);
if (baseline.status !== 0) {
  console.error(`the unmutated source does not build:\n${baseline.output}`);
  process.exit(2);
}

const results = [];
for (const mutant of selected) {
  const files = testFiles(mutant.tests);
  const { original, applied, why } = applyMutant(mutant);
  let verdict;
  let detail = "";
  try {
    if (!applied) {
      verdict = "STALE";
      detail = why;
    } else if (files.length === 0) {
      verdict = "STALE";
      detail = `no compiled test matches ${mutant.tests.join(", ")}`;
    } else {
      const build = run("npm", ["run", "--silent", "build"]);
      if (build.status !== 0) {
        // A mutant that does not compile proves nothing about the tests: fix the mutant.
        verdict = "INVALID";
        detail = `does not compile: ${/error TS\d+: [^\n]*/.exec(build.output)?.[0] ?? "see npm run build"}`;
      } else {
        const tests = run(process.execPath, ["--test", "--test-concurrency=2", ...files]);
        const failed = /^# fail (\d+)/m.exec(tests.output)?.[1] ?? "?";
        verdict = tests.status === 0 ? "SURVIVED" : "KILLED";
        detail = tests.status === 0 ? `${files.length} test files pass` : `${failed} failing test(s) in ${files.length} files`;
      }
    }
  } finally {
    if (original !== undefined) writeFileSync(mutant.file, original);
  }
  results.push({ id: mutant.id, verdict, detail });
  console.log(`${verdict.padEnd(8)} ${mutant.id.padEnd(30)} ${detail}`);
}

// Leave dist/ built from the restored source.
run("npm", ["run", "--silent", "build"]);
const killed = results.filter((r) => r.verdict === "KILLED").length;
console.log(`\n${killed} of ${results.length} mutants killed`);
process.exit(killed === results.length ? 0 : 1);
