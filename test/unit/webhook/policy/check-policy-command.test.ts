import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, test } from "node:test";
import { runCheckPolicy } from "../../../../src/cli/commands/webhook-check-policy.js";
import { VECTORS } from "../../../helpers/peers.js";

const BASE = join(VECTORS, "sigstore__policy-controller", "test", "testdata", "policy-controller");

async function run(positionals: string[], values: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCheckPolicy({ values, positionals, io: { stdout, stderr, env: {}, interactive: false } });
  return { code, out, err };
}

describe("signet webhook check-policy", () => {
  test("valid folders pass, except keys evaluation cannot use (a KMS provider not built, a CA in a KMS), refused with their code", async () => {
    const result = await run([join(BASE, "valid")]);
    const errors = result.out.split("\n").filter((line) => line !== "" && !line.includes(": warning: "));
    for (const line of errors) assert.match(line, /\.kms: KEY_REF_UNSUPPORTED: /, line);
    assert.equal(result.code, errors.length === 0 ? 0 : 1, result.out);
    assert.match(result.err, /\d+ ClusterImagePolicies are valid/);
    // Without a provider, every key.kms is refused: check-policy does not pass what would deny every pod.
    const { openKmsKey } = await import("../../../../src/keys/kms/index.js");
    const built = await openKmsKey("hashivault://key/path").then(() => true, (error: { code?: string }) => error.code !== "KEY_REF_UNSUPPORTED");
    if (!built) assert.ok(errors.some((line) => /key\.kms: KEY_REF_UNSUPPORTED: .*hashivault/.test(line)), result.out);
  });

  test("each problem is printed with its file, document, line and field path; exit 1", async () => {
    const file = join(BASE, "invalid", "missing-subject.yaml");
    const result = await run([file, join(BASE, "valid", "valid-policy.yaml")]);
    assert.equal(result.code, 1);
    assert.match(result.out, new RegExp(`^${file.replaceAll(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(document 1, line \\d+\\): ClusterImagePolicy "image-policy-missing-subject": missing field\\(s\\): spec\\.authorities\\[0\\]\\.keyless\\.identities\\[0\\]\\.subject, spec\\.authorities\\[0\\]\\.keyless\\.identities\\[0\\]\\.subjectRegExp`, "m"));
    // valid-policy.yaml names a hashivault:// key: refused too while no such provider is built.
    assert.match(result.err, /[12] problems? found; 1 ClusterImagePolicy is valid/);
  });

  test("--output json lists every document; a missing file is a problem, not a crash", async () => {
    const dir = mkdtempSync(join(tmpdir(), "signet-check-policy-"));
    writeFileSync(join(dir, "a.yaml"), "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: a}\nspec: {images: [{glob: '**'}], mode: loud, authorities: [{static: {action: pass}}]}\n");
    const result = await run([dir, join(dir, "missing.yaml")], { "output-format": "json" });
    assert.equal(result.code, 1);
    const report = JSON.parse(result.out) as { valid: boolean; documents: { file: string; problems: { message: string; line?: number }[] }[] };
    assert.equal(report.valid, false);
    assert.deepEqual(report.documents.map((d) => d.problems[0]?.message), ["invalid value: loud: spec.mode (unsupported mode)", `${join(dir, "missing.yaml")}: no such policy file or folder`]);
    assert.equal(report.documents[0]?.problems[0]?.line, 4);
  });
});
