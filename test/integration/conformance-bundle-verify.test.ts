/**
 * Walks every sigstore-conformance bundle-verify case in the vectors through the real CLI, exactly as the
 * conformance suite calls a client (docs/cli_protocol.md), and asserts its stated outcome: a directory ending
 * in `_fail` must fail, any other must verify. Overrides per case (MANIFEST §1): `artifact` (else ../a.txt),
 * `identity`/`issuer` files, `key.pub` (managed key), `trusted_root.json` (else the embedded public-good root,
 * offline). Any case added to the folder is run too.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { jsonErrorCodes, runSignet } from "../helpers/cli.js";
import { VECTORS } from "../helpers/peers.js";

const CASES = join(VECTORS, "sigstore__sigstore-conformance", "test", "assets", "bundle-verify");
const DEFAULT_IDENTITY = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER = "https://token.actions.githubusercontent.com";

/** No TUF cache to fall back on: the embedded root is what the default cases use. */
const env = { ...process.env, SIGNET_TUF_ROOT: mkdtempSync(join(tmpdir(), "signet-conformance-tuf-")) };

const caseNames = readdirSync(CASES)
  .filter((name) => statSync(join(CASES, name)).isDirectory())
  .sort();

function readTrimmed(path: string): string {
  return readFileSync(path, "utf8").trim();
}

function argumentsFor(name: string, options: { digest?: boolean } = {}): string[] {
  const dir = join(CASES, name);
  const args = ["conformance", "verify-bundle", "--bundle", join(dir, "bundle.sigstore.json")];
  if (existsSync(join(dir, "key.pub"))) {
    args.push("--key", join(dir, "key.pub"));
  } else {
    const identity = existsSync(join(dir, "identity")) ? readTrimmed(join(dir, "identity")) : DEFAULT_IDENTITY;
    const issuer = existsSync(join(dir, "issuer")) ? readTrimmed(join(dir, "issuer")) : DEFAULT_ISSUER;
    args.push("--certificate-identity", identity, "--certificate-oidc-issuer", issuer);
  }
  if (existsSync(join(dir, "trusted_root.json"))) args.push("--trusted-root", join(dir, "trusted_root.json"));
  const artifact = existsSync(join(dir, "artifact")) ? join(dir, "artifact") : join(CASES, "a.txt");
  args.push(options.digest === true ? `sha256:${createHash("sha256").update(readFileSync(artifact)).digest("hex")}` : artifact);
  return args;
}

describe("sigstore-conformance bundle-verify cases through `signet conformance verify-bundle`", { concurrency: 8 }, () => {
  test("the vectors hold the cases", () => {
    assert.ok(caseNames.length >= 40, `expected the conformance cases under ${CASES}, found ${caseNames.length}`);
    assert.ok(caseNames.includes("rekor2-dsse-happy-path"), "the Rekor v2 DSSE case is among them");
    assert.ok(caseNames.includes("trust-root-tlog-missing-validity-start_fail"), "the tlog validity case is among them");
  });

  for (const name of caseNames) {
    const expectFailure = name.endsWith("_fail");
    test(`${name}: ${expectFailure ? "fails" : "verifies"}`, async () => {
      const result = await runSignet([...argumentsFor(name), "--output-format", "json"], { env });
      if (expectFailure) {
        assert.notEqual(result.status, 0, `${name} must fail, but signet verified it:\n${result.stdout}`);
        // A rejection is a reasoned verdict with an error code, never a crash.
        const [code] = jsonErrorCodes(result.stdout);
        assert.ok(code !== undefined && code !== "INTERNAL", `${name} must fail with a specific code, got ${code}: ${result.stdout}${result.stderr}`);
      } else {
        assert.equal(result.status, 0, `${name} must verify:\n${result.stdout}${result.stderr}`);
        assert.equal((JSON.parse(result.stdout) as { verified: boolean }).verified, true);
      }
    });
  }

  // The protocol lets the suite pass the artifact's digest instead of the file.
  test("happy-path-v0.3 verifies given sha256:<hex> of the artifact", async () => {
    const result = await runSignet(argumentsFor("happy-path-v0.3", { digest: true }), { env });
    assert.equal(result.status, 0, result.stderr);
  });

  test("wrong-material_fail fails given the digest too", async () => {
    const result = await runSignet([...argumentsFor("wrong-material_fail", { digest: true }), "--output-format", "json"], { env });
    assert.notEqual(result.status, 0);
    assert.deepEqual(jsonErrorCodes(result.stdout), ["SIG_DIGEST_MISMATCH"]);
  });

  // The two cases @sigstore/verify 3.1.1 gets wrong (MANIFEST §1), with the reasons signet gives.
  test("rekor2-dsse-happy-path (hashedrekord over the DSSE PAE) verifies and names its Rekor v2 entry", async () => {
    const result = await runSignet([...argumentsFor("rekor2-dsse-happy-path"), "--output-format", "json"], { env });
    assert.equal(result.status, 0, result.stderr);
    const output = JSON.parse(result.stdout) as { tlogEntries: { kind: string; version: string }[]; timestamps: { kind: string }[] };
    assert.deepEqual(output.tlogEntries.map((e) => `${e.kind}/${e.version}`), ["hashedrekord/0.0.2"]);
    assert.deepEqual(output.timestamps.map((t) => t.kind), ["tsa"]);
  });

  test("trust-root-tlog-missing-validity-start_fail is refused as an invalid trust root", async () => {
    const result = await runSignet([...argumentsFor("trust-root-tlog-missing-validity-start_fail"), "--output-format", "json"], { env });
    assert.deepEqual(jsonErrorCodes(result.stdout), ["TRUST_ROOT_INVALID"]);
  });

  test("a staging bundle fails against the embedded production root but verifies against the staging root", async () => {
    const args = argumentsFor("bundle-from-wrong-instance_fail");
    const production = await runSignet([...args, "--output-format", "json"], { env });
    assert.deepEqual(jsonErrorCodes(production.stdout), ["TLOG_PROOF_INVALID"]);
    const staging = await runSignet(["conformance", "verify-bundle", "--staging", ...args.slice(2), "--output-format", "json"], { env });
    assert.equal(staging.status, 0, staging.stdout);
    assert.deepEqual((JSON.parse(staging.stdout) as { tlogEntries: { log: string }[] }).tlogEntries.map((e) => e.log), ["https://rekor.sigstage.dev"]);
  });
});
