#!/usr/bin/env node
// Runs the compiled tests (dist/test/**/*.test.js) with Node's test runner.
// Usage: node scripts/run-tests.mjs [unit|integration] [name-filter]
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const [suite, filter] = process.argv.slice(2);
const root = join("dist", "test", suite ?? "");
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".test.js") && (!filter || path.includes(filter))) files.push(path);
  }
})(root);
if (files.length === 0) {
  console.error(`no test files under ${root}${filter ? ` matching ${filter}` : ""}; run \`make build\` first`);
  process.exit(1);
}
// No hang: a test or hook still running after 10 minutes fails (--test-timeout); a missing peer fails at once
// ("install X"). Not --test-force-exit: on Node 20 it can end a file before its last suites are registered, so their
// tests silently never run (seen: the "helpers" suite of image-reference.test.js vanished from multi-file runs).
// The CLI's code cache (src/cli/code-cache.ts) is kept inside the checkout: tests do not read or write the user's.
process.env["SIGNET_CODE_CACHE"] ??= join(process.cwd(), ".cache", "code-cache");
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", "--test-timeout=600000", ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
