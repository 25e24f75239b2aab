import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ERROR_CATALOG } from "../../../src/errors/index.js";
import { REPO_ROOT } from "../../helpers/peers.js";

test("docs/errors.md is generated from the current catalog (run `make docs` after changing it)", () => {
  const generated = execFileSync(process.execPath, [join(REPO_ROOT, "scripts", "gen-errors-doc.mjs")], { cwd: REPO_ROOT, encoding: "utf8" });
  assert.equal(readFileSync(join(REPO_ROOT, "docs", "errors.md"), "utf8"), generated);
});

test("every code has a hint and an exit code that matches its category", () => {
  for (const [code, info] of Object.entries(ERROR_CATALOG)) {
    assert.ok(info.hint.length > 10, `${code} needs a hint`);
    const expected = { usage: [2], input: [1], internal: [3], unavailable: [4, 11], rejected: [10, 12] }[info.category];
    assert.ok(expected.includes(info.exitCode), `${code}: exit ${info.exitCode} for category ${info.category}`);
    if (info.exitCode === 10) assert.ok(code === "SIG_MISSING" || code === "ATTESTATION_MISSING" || code === "DCT_NOT_SIGNED", code);
    if (info.exitCode === 11) assert.equal(code, "REGISTRY_NOT_FOUND");
  }
});
