// Bundles the CLI for start-up speed (run by `npm run build` after tsc): src/cli/main.ts and every module it imports,
// statically or dynamically, become one CommonJS file, dist/bundle/main.cjs. Each module still runs only when first
// imported (esbuild wraps every lazily imported module in an initialiser), so `signet verify` does not run key
// generation or the webhook. bin/signet loads the bundle through V8's code cache (src/cli/code-cache.ts), which
// needs a script, not an ES module, on Node 20; without a bundle it loads dist/src/cli/main.js.
// npm packages stay external, loaded from node_modules, except those a require() cannot load (ES-module-only
// packages such as cbor2, imported statically): those are bundled. Dynamic imports of packages stay import().
// Measured with `npm run bench` (docs/benchmarks.md): ~55 ES modules on the verify path cost ~30 ms of start-up;
// one script with a code cache takes one verify from ~110 to ~65 ms.
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = join(root, "dist", "bundle");

/**
 * `new URL("../../x", import.meta.url)` in a source file means a path relative to its compiled file in dist/src;
 * in the bundle, the code runs from dist/bundle. Rewrites the relative path so that it names the same file.
 */
const relocateFileUrls = {
  name: "relocate-file-urls",
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, async (args) => {
      let contents = await readFile(args.path, "utf8");
      const compiledDir = join(root, "dist", relative(root, dirname(args.path)));
      contents = contents.replace(/new URL\("(\.\.?\/[^"]*)", import\.meta\.url\)/g, (_, path) => {
        const target = resolve(compiledDir, path);
        let moved = relative(outdir, target).split("\\").join("/");
        if (!moved.startsWith(".")) moved = `./${moved}`;
        if (path.endsWith("/") && !moved.endsWith("/")) moved += "/";
        return `new URL(${JSON.stringify(moved)}, import.meta.url)`;
      });
      return { contents, loader: "ts" };
    });
  },
};

const requireFromRoot = createRequire(join(root, "package.json"));

/** Whether Node 20's require() can load `specifier` (a CommonJS entry, or a `require` export condition). */
function requireCanLoad(specifier) {
  let resolved;
  try {
    resolved = requireFromRoot.resolve(specifier);
  } catch {
    return false;
  }
  if (resolved.endsWith(".mjs")) return false;
  if (resolved.endsWith(".cjs")) return true;
  for (let dir = dirname(resolved); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).type !== "module";
    } catch {
      // no package.json here: look further up
    }
  }
  return true;
}

/**
 * npm packages stay in node_modules (a user's `npm install` decides their versions), unless the bundle would have
 * to require() an ES-module-only package: that one is bundled. A dynamic import() of a package stays one.
 */
const externalPackages = {
  name: "external-packages",
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:")) return { path: args.path, external: true };
      if (args.kind === "dynamic-import" || requireCanLoad(args.path)) return { path: args.path, external: true };
      return undefined;
    });
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: join(root, "src", "cli", "main.ts") },
  outdir,
  outExtension: { ".js": ".cjs" },
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  // import.meta does not exist in a script: the bundle's own URL stands in for it.
  define: { "import.meta.url": "__signetBundleUrl" },
  // A script is strict only if it says so first (ES modules always are): the banner comes before esbuild's own.
  banner: { js: '"use strict";var __signetBundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  charset: "ascii",
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  logLevel: "warning",
  plugins: [relocateFileUrls, externalPackages],
});
// Code compiled from V8's code cache on Node 20 loses the script's dynamic import callback ("A dynamic import
// callback was not specified"), so the bundle's import() calls, each of a package or a node: module named by a
// string literal, go through __signetImport, an import() of an ES module that src/cli/code-cache.ts passes in.
const bundleFile = join(outdir, "main.cjs");
let code = readFileSync(bundleFile, "latin1");
code = code.replace(/\bimport\(("(?:node:)?[@a-z0-9][\w./@-]*")\)/g, "__signetImport($1)");
const leftover = /\bimport\(/.exec(code);
if (leftover) throw new Error(`dist/bundle/main.cjs: an import() not of a literal package name remains at offset ${leftover.index}: ${code.slice(leftover.index, leftover.index + 60)}`);
// The code cache loader reads the bundle as latin1, which is exact only for ASCII.
const nonAscii = Buffer.from(code, "latin1").findIndex((byte) => byte > 0x7f);
if (nonAscii !== -1) throw new Error(`dist/bundle/main.cjs has a non-ASCII byte at offset ${nonAscii}: src/cli/code-cache.ts reads it as latin1`);
await writeFile(bundleFile, code, "latin1");
