#!/usr/bin/env node
// Enforces that imports go one way, down the layers (docs/architecture.md):
//   errors <- internal <- oci <- keys/trust/transparency <- signatures/signing <- policy <- api <- cli/webhook <- index
// A module may import from its own layer or a lower one, never from a higher one. Nothing imports cli; only cli
// (which serves it) imports webhook.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const RANK = { errors: 0, internal: 1, oci: 2, keys: 3, trust: 3, transparency: 3, signatures: 4, signing: 4, policy: 5, coco: 5.5, "api.ts": 6, cli: 7, webhook: 7, "index.ts": 8 };
const src = resolve("src");
const problems = [];

function layerOf(file) {
  const top = relative(src, file).split("/")[0].replace(/\.js$/, ".ts");
  if (!(top in RANK)) problems.push(`${relative(".", file)}: folder ${top} has no layer in scripts/check-layers.mjs`);
  return top;
}

(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".ts")) check(path);
  }
})(src);

function check(file) {
  const from = layerOf(file);
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)) {
    const target = resolve(dirname(file), match[1]);
    if (!target.startsWith(src)) continue;
    const to = layerOf(target);
    if (RANK[to] > RANK[from] || (to === "cli" && from !== "cli") || (to === "webhook" && from !== "webhook" && from !== "cli")) {
      problems.push(`${relative(".", file)} (${from}) imports ${match[1]} (${to}): imports must go down the layers`);
    }
  }
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("layers: every import goes down the layers");
