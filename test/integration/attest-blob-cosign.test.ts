// attest-blob and verify-blob-attestation both ways with the real cosign 2.5: the envelope (--output-signature),
// cosign's local bundle (--bundle) and, from cosign, the sigstore bundle (--new-bundle-format).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { jsonErrorCodes, runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";

describe("attest-blob / verify-blob-attestation with cosign 2.5", () => {
  let dir: string;
  let cosign: string;
  let env: NodeJS.ProcessEnv;
  const runCosign = (args: string[]): Promise<RunResult> => runProgram(cosign, args, { env, cwd: dir });
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });
  const ok = (result: RunResult, what: string): void => assert.equal(result.status, 0, `${what}: ${result.stderr}`);
  const attest = ["--key", "cosign.key", "--predicate", "slsa.json", "--type", "slsaprovenance", "--tlog-upload=false", "-y"];
  const verify = (extra: string[]) => ["verify-blob-attestation", "--key", "cosign.pub", "--type", "slsaprovenance", "--insecure-ignore-tlog", ...extra];

  before(async () => {
    cosign = cosignPath();
    dir = mkdtempSync(join(tmpdir(), "signet-attest-blob-"));
    env = cosignEnv({ COSIGN_PASSWORD: "attest-blob" });
    ok(await runCosign(["generate-key-pair", "--output-key-prefix", "cosign"]), "generate-key-pair");
    writeFileSync(join(dir, "blob.txt"), "a release artifact\n");
    writeFileSync(join(dir, "other.txt"), "another artifact\n");
    writeFileSync(join(dir, "slsa.json"), JSON.stringify({ builder: { id: "https://example.test/builder" }, buildType: "https://example.test/type" }));
  });

  test("cosign verifies signet's envelope and bundle; the statement names the file and its digest", async () => {
    ok(await signet(["attest-blob", ...attest, "--output-signature", "s.envelope", "--output-attestation", "s.statement", "--bundle", "s.bundle", "blob.txt"]), "signet attest-blob");
    const statement = JSON.parse(readFileSync(join(dir, "s.statement"), "utf8")) as { predicateType: string; subject: { name: string; digest: { sha256: string } }[] };
    assert.equal(statement.predicateType, "https://slsa.dev/provenance/v0.2");
    assert.equal(statement.subject[0]!.name, "blob.txt");
    ok(await runCosign([...verify(["--signature", "s.envelope"]), "blob.txt"]), "cosign verify --signature");
    ok(await runCosign([...verify(["--bundle", "s.bundle"]), "blob.txt"]), "cosign verify --bundle");
    assert.notEqual((await runCosign([...verify(["--signature", "s.envelope"]), "other.txt"])).status, 0, "cosign rejects it for another file");
    // Without --output-signature the envelope goes to stdout, as cosign's.
    const printed = await signet(["attest-blob", ...attest, "blob.txt"]);
    ok(printed, "signet attest-blob to stdout");
    assert.equal((JSON.parse(printed.stdout) as { payloadType: string }).payloadType, "application/vnd.in-toto+json");
  });

  test("signet verifies cosign's envelope, local bundle and sigstore bundle, and rejects them with the right code", async () => {
    ok(await runCosign(["attest-blob", ...attest, "--output-signature", "c.envelope", "--bundle", "c.bundle", "blob.txt"]), "cosign attest-blob");
    ok(await runCosign(["attest-blob", ...attest, "--new-bundle-format", "--bundle", "c.sigstore.json", "blob.txt"]), "cosign attest-blob --new-bundle-format");
    // The sigstore bundle verifier checks the artifact against the statement's subjects itself (as sigstore-go does),
    // with the code image bundles get; the envelope and cosign's bundle fail at the statement's subject.
    const cases: [string[], string][] = [
      [["--signature", "c.envelope"], "ATTESTATION_SUBJECT_MISMATCH"],
      [["--bundle", "c.bundle"], "ATTESTATION_SUBJECT_MISMATCH"],
      [["--bundle", "c.sigstore.json"], "SIG_DIGEST_MISMATCH"],
    ];
    for (const [extra, code] of cases) {
      ok(await signet([...verify(extra), "blob.txt"]), `signet verify ${extra.join(" ")}`);
      const other = await signet([...verify(extra), "--output-format", "json", "other.txt"]);
      assert.equal(other.status, 12, other.stderr);
      assert.deepEqual(jsonErrorCodes(other.stdout), [code], extra.join(" "));
    }
    const wrongType = await signet(["verify-blob-attestation", "--key", "cosign.pub", "--type", "spdxjson", "--insecure-ignore-tlog", "--signature", "c.envelope", "--output-format", "json", "blob.txt"]);
    assert.equal(wrongType.status, 12);
    assert.deepEqual(jsonErrorCodes(wrongType.stdout), ["ATTESTATION_TYPE_MISMATCH"]);
    ok(await runCosign(["generate-key-pair", "--output-key-prefix", "other"]), "second key");
    const otherKey = await signet(["verify-blob-attestation", "--key", "other.pub", "--type", "slsaprovenance", "--insecure-ignore-tlog", "--signature", "c.envelope", "--output-format", "json", "blob.txt"]);
    assert.equal(otherKey.status, 12);
    assert.deepEqual(jsonErrorCodes(otherKey.stdout), ["SIG_INVALID"]);
  });
});
