// Bundles the CLI for start-up speed (run by `npm run build` after tsc): src/cli/main.ts and everything it imports
// statically become one module, and every dynamic import (each command, each backend, the optional libraries'
// users) becomes its own chunk, loaded only when used, exactly as from dist/src. npm packages stay external.
// bin/signet loads dist/bundle/main.js when it exists, else dist/src/cli/main.js.
// Measured with `npm run bench` (docs/benchmarks.md): Node's ESM loader resolves, reads and compiles each module
// separately, so ~50 small modules on the verify path cost more than a few larger ones.
import { readFile, rm } from "node:fs/promises";
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

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: join(root, "src", "cli", "main.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  chunkNames: "[name]-[hash]",
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  logLevel: "warning",
  plugins: [relocateFileUrls],
});
