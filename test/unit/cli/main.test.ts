// The CLI's contract with scripts: exit codes, one-line errors with a code and a hint, JSON on request.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PassThrough } from "node:stream";
import { runCliInProcess } from "../../helpers/cli.js";

const cli = runCliInProcess;

describe("cli", () => {
  test("no command prints the overview and exits 2; help exits 0", async () => {
    const none = await cli([]);
    assert.equal(none.status, 2);
    assert.match(none.stdout, /verify/);
    assert.equal((await cli(["help"])).status, 0);
    assert.match((await cli(["verify", "--help"])).stdout, /Usage: signet verify/);
  });
  test("an unknown command or option is a usage error (exit 2) with a hint", async () => {
    const unknown = await cli(["verfy"]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^Error: unknown command "verfy" \[USAGE\]\nHint: /);
    const badOption = await cli(["verify", "--kee", "x", "img"]);
    assert.equal(badOption.status, 2);
    assert.match(badOption.stderr, /\[USAGE\]/);
  });
  test("errors are JSON with --output json", async () => {
    const result = await cli(["verify", "--insecure-ignore-tlog", "--key", "/nonexistent.pub", "--output-format", "json", "example.com/a:b"]);
    assert.equal(result.status, 1);
    const parsed = JSON.parse(result.stdout) as { error: { code: string; hint: string } };
    assert.equal(parsed.error.code, "KEY_NOT_FOUND");
    assert.ok(parsed.error.hint.length > 0);
  });
  test("a malformed reference is REF_INVALID, before any network", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const { generateSigningKey, publicKeyToPem } = await import("../../../src/keys/index.js");
    const path = join(mkdtempSync(join(tmpdir(), "signet-cli-")), "k.pub");
    writeFileSync(path, publicKeyToPem(generateSigningKey().publicKey));
    const result = await cli(["verify", "--insecure-ignore-tlog", "--key", path, "--output-format", "json", "Example.com/UPPER:tag"]);
    assert.equal(result.status, 1);
    assert.equal((JSON.parse(result.stdout) as { images: { error: { code: string } }[] }).images[0]?.error.code, "REF_INVALID");
  });
  test("sign without a password source and without a terminal fails with KEY_PASSWORD_MISSING", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const { encryptPrivateKey, generateSigningKey } = await import("../../../src/keys/index.js");
    const path = join(mkdtempSync(join(tmpdir(), "signet-cli-")), "k.key");
    writeFileSync(path, await encryptPrivateKey(generateSigningKey(), "pw", { legacy: true }));
    const result = await cli(["sign", "--tlog-upload=false", "--key", path, "--output-format", "json", "oci:/nonexistent:v1"]);
    assert.equal(result.status, 1);
    assert.equal((JSON.parse(result.stdout) as { error: { code: string } }).error.code, "KEY_PASSWORD_MISSING");
  });
});

describe("progress and tally", () => {
  test("on a terminal: a progress line and a tally by reason; on a pipe: nothing", async () => {
    const { createProgress } = await import("../../../src/cli/output.js");
    const { SignetError } = await import("../../../src/errors/index.js");
    for (const interactive of [true, false]) {
      const stderr = new PassThrough();
      let text = "";
      stderr.on("data", (d: Buffer) => (text += d.toString()));
      const progress = createProgress({ stdout: new PassThrough(), stderr, env: {}, interactive }, "Verifying", 3);
      progress.done();
      progress.done(new SignetError("SIG_MISSING", "none"));
      progress.done(new SignetError("SIG_MISSING", "none"));
      progress.finish();
      await new Promise((resolve) => setImmediate(resolve));
      if (interactive) assert.match(text, /Verifying: 3 done: 1 ok, 2 failed \(2 SIG_MISSING\)\n$/);
      else assert.equal(text, "");
    }
  });
  test("output written around the progress line clears it first and draws it again after", async () => {
    const { createProgress } = await import("../../../src/cli/output.js");
    for (const interactive of [true, false]) {
      const stderr = new PassThrough();
      let text = "";
      stderr.on("data", (d: Buffer) => (text += d.toString()));
      const progress = createProgress({ stdout: new PassThrough(), stderr, env: {}, interactive }, "Verifying", 2);
      progress.done();
      progress.around(() => stderr.write("report 1\n"));
      await new Promise((resolve) => setImmediate(resolve));
      if (interactive) assert.equal(text, "\r\x1b[2KVerifying: 0/2 (0 ok, 0 failed)\r\x1b[2KVerifying: 1/2 (1 ok, 0 failed)\r\x1b[2Kreport 1\n\r\x1b[2KVerifying: 1/2 (1 ok, 0 failed)");
      else assert.equal(text, "report 1\n");
    }
  });
});
