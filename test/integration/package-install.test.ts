/**
 * The npm package as a stranger gets it: `npm pack` of this checkout, installed into an empty project from the
 * npm cache this checkout's `npm ci` filled (`npm ci --offline`: no network at test time), then the installed
 * `signet` signs and verifies an OCI layout, and a TypeScript consumer of the library type-checks with
 * `skipLibCheck: false` and runs.
 *
 * The tarball is packed from the dist/ that `make test` just built (--ignore-scripts: prepack would rebuild dist/
 * under the tests running from it; a plain `npm pack` runs prepack, which builds into a clean dist/). The empty
 * project gets a lockfile made from this checkout's (the tarball, its production dependencies and @types/node, at
 * the versions tested here, with their registry URLs and integrity): with it npm takes every tarball from the cache
 * and asks the registry nothing. `npm install -g` of the tarball resolves the same dependency ranges online.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTestImage, openLayout } from "../../src/oci/layout/index.js";
import { jsonErrorCodes, runProgram, type RunResult } from "../helpers/cli.js";
import { REPO_ROOT } from "../helpers/peers.js";

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};
const NPM = "npm";
const TSC = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
const TYPES_NODE_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", "@types", "node", "package.json"), "utf8")) as { version: string }).version;

interface PackedFile {
  path: string;
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  devOptional?: boolean;
  name?: string;
  [key: string]: unknown;
}

/**
 * package.json and package-lock.json of a project that depends on the packed tarball only, locked to this
 * checkout's production dependency versions (plus @types/node for the TypeScript consumer).
 */
function writeOfflineProject(project: string, tarballName: string, integrity: string): void {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const registry = (process.env["npm_config_registry"] ?? "https://registry.npmjs.org/").replace(/\/?$/, "/");
  const spec = `file:../${tarballName}`;
  const packages: Record<string, LockEntry> = {
    "": { name: "signet-package-test", version: "1.0.0", dependencies: { [manifest.name]: spec, "@types/node": TYPES_NODE_VERSION } },
    [`node_modules/${manifest.name}`]: { version: manifest.version, resolved: spec, integrity, license: "Apache-2.0", dependencies: manifest.dependencies, bin: manifest.bin },
  };
  const wanted = new Set(["node_modules/@types/node", "node_modules/undici-types"]);
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || !path.startsWith("node_modules/") || (entry.dev === true && !wanted.has(path))) continue;
    const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
    const name = entry.name ?? path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    const resolved = entry.resolved ?? `${registry}${name}/-/${name.slice(name.indexOf("/") + 1)}-${entry.version}.tgz`;
    packages[path] = { ...rest, resolved };
  }
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "signet-package-test", version: "1.0.0", private: true, type: "module", dependencies: packages[""]!["dependencies"] }, null, 2));
  writeFileSync(join(project, "package-lock.json"), JSON.stringify({ name: "signet-package-test", version: "1.0.0", lockfileVersion: 3, requires: true, packages }, null, 2));
}

describe(`the npm package (${manifest.name})`, () => {
  let dir: string;
  let files: string[];
  let prefix: string;
  let layout: string;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, COSIGN_PASSWORD: "package-test", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" });
  const ok = (result: RunResult, what: string): RunResult => {
    assert.equal(result.status, 0, `${what} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    return result;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "signet-package-"));
    const packed = ok(await runProgram(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: REPO_ROOT, env: env() }), "npm pack");
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; integrity: string; files: PackedFile[] }];

    files = info.files.map((file) => file.path);
    prefix = join(dir, "prefix");
    mkdirSync(prefix);
    writeOfflineProject(prefix, info.filename, info.integrity);
    const installed = await runProgram(NPM, ["ci", "--offline", "--no-audit", "--no-fund"], { cwd: prefix, env: env() });
    ok(installed, "npm ci --offline of the packed tarball (its dependencies come from the npm cache this checkout's `npm ci` filled: run `make test`, which runs it)");
    // A signed OCI layout, as a user would have one.
    layout = join(dir, "layout");
    await createTestImage(await openLayout(layout, { create: true }), "v1", { content: "packaged\n" });
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the tarball ships the built library, its typings, the CLI, LICENSE and README; no maps, no tests", () => {
    for (const path of ["package.json", "LICENSE", "README.md", "bin/signet", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/cli/main.js", "types/openpgp-web-stream-tools.d.ts"]) {
      assert.ok(files.includes(path), `${path} is not in the tarball`);
    }
    assert.deepEqual(files.filter((path) => path.endsWith(".map")), [], "source maps point at src/, which is not shipped");
    assert.deepEqual(files.filter((path) => path.startsWith("dist/test/") || path.startsWith("dist/bench/") || path.startsWith("test/") || path.startsWith("src/")), []);
    assert.equal(readFileSync(join(REPO_ROOT, "LICENSE"), "utf8").includes("Apache License\n                           Version 2.0, January 2004"), true);
  });

  test("nothing it depends on builds native code at install", () => {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }> };
    // protobufjs (under @google-cloud/kms's google-gax) runs `node scripts/postinstall`: JavaScript that only warns
    // when a parent package pins it with another version scheme; it builds nothing and the SDK works without it.
    const JAVASCRIPT_ONLY = new Set(["node_modules/protobufjs"]);
    const scripted = Object.entries(lock.packages).filter(([name, entry]) => name !== "" && entry.dev !== true && entry.hasInstallScript === true && !JAVASCRIPT_ONLY.has(name));
    assert.deepEqual(scripted, []);
    assert.ok(existsSync(join(prefix, "node_modules", "re2js", "package.json")), "re2js (RE2 in pure JavaScript) is installed");
    for (const dependency of Object.keys(manifest.dependencies)) assert.notEqual(dependency, "re2");
  });

  test("the installed `signet` signs an OCI layout and verifies it; another key is refused with SIG_INVALID", async () => {
    const signet = join(prefix, "node_modules", ".bin", "signet");
    assert.ok(existsSync(signet), `npm did not install ${signet}`);
    const run = (args: string[]) => runProgram(signet, args, { cwd: dir, env: env() });
    assert.match(ok(await run(["--version"]), "signet --version").stdout, new RegExp(manifest.version.replaceAll(".", "\\.")));
    ok(await run(["generate-key-pair"]), "signet generate-key-pair");
    ok(await run(["generate-key-pair", "--output-key-prefix", "other"]), "signet generate-key-pair other");
    ok(await run(["sign", "--key", "cosign.key", "--tlog-upload=false", `oci:${layout}:v1`]), "signet sign");
    const verified = ok(await run(["verify", "--key", "cosign.pub", "--insecure-ignore-tlog", "--output-format", "json", `oci:${layout}:v1`]), "signet verify");
    assert.ok(verified.stdout.includes("sha256:"), verified.stdout);
    const refused = await run(["verify", "--key", "other.pub", "--insecure-ignore-tlog", "--output-format", "json", `oci:${layout}:v1`]);
    assert.notEqual(refused.status, 0);
    assert.deepEqual(jsonErrorCodes(refused.stdout), ["SIG_INVALID"], refused.stdout + refused.stderr);
  });

  test("a TypeScript consumer type-checks with skipLibCheck false (strict) and runs", async () => {
    const consumer = prefix;
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: false, types: ["node"], outDir: "out" },
        files: ["main.ts"],
      }),
    );
    // The README's library example, then a verification whose result is used through its types.
    writeFileSync(
      join(consumer, "main.ts"),
      [
        `import { sign, verify, loadPrivateKey, SignetError, type ErrorCode } from "${manifest.name}";`,
        `const layout = process.argv[2]!;`,
        `const key = await loadPrivateKey("cosign.key", { env: process.env });`,
        "await sign(`oci:${layout}:v1`, { key });",
        "const result = await verify(`oci:${layout}:v1`, { key: \"cosign.pub\" });",
        "let refused: ErrorCode | undefined;",
        "try { await verify(`oci:${layout}:v1`, { key: \"other.pub\" }); } catch (error) { if (SignetError.is(error)) refused = error.code; }",
        "console.log(JSON.stringify({ digest: result.digest, signatures: result.verified.length, refused }));",
        "",
      ].join("\n"),
    );
    for (const file of ["cosign.key", "cosign.pub", "other.pub"]) writeFileSync(join(consumer, file), readFileSync(join(dir, file)));
    ok(await runProgram(process.execPath, [TSC, "-p", consumer], { cwd: consumer }), "tsc (skipLibCheck: false)");
    const ran = ok(await runProgram(process.execPath, [join(consumer, "out", "main.js"), layout], { cwd: consumer, env: env() }), "the consumer");
    const output = JSON.parse(ran.stdout) as { digest: string; signatures: number; refused?: string };
    assert.match(output.digest, /^sha256:[0-9a-f]{64}$/);
    assert.ok(output.signatures >= 1);
    assert.equal(output.refused, "SIG_INVALID", ran.stdout);
  });
});
