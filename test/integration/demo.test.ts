// `make demo` (scripts/demo.mjs) runs end to end and ends with the tampered image rejected.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runProgram } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/peers.js";

test("the demo signs, verifies, and shows a tampered image rejected", async () => {
  const result = await runProgram(process.execPath, [join(REPO_ROOT, "scripts", "demo.mjs")], { cwd: REPO_ROOT, env: { ...process.env, COSIGN_PASSWORD: "" } });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /1 signature verified\./);
  assert.match(result.stdout, /\[SIG_DIGEST_MISMATCH\]/);
  assert.match(result.stdout, /The tampered image was rejected: its signature names another digest\. Demo complete\.\n$/);
});
