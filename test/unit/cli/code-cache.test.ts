// The bundle's code cache (src/cli/code-cache.ts): made on a first run, used on the next, never used when the bundle
// changed, when the folder or file could be written by others, or when V8 rejects it; and the module loads the same
// in every case. Each load is its own process, as each CLI run is (within one process V8 would answer a second
// compile of the same script from memory and never look at the cached data). bin/signet end to end: the second run
// uses the first run's cache and prints the same.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { codeCacheRoot } from "../../../src/cli/code-cache.js";
import { SIGNET_BIN } from "../../helpers/peers.js";

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
function fixture(): { dir: string; file: string; cache: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), "signet-codecache-"));
  made.push(dir);
  const file = join(dir, "bundle.cjs");
  // enough code for V8 to have something to cache, and a lazily compiled function called once
  writeFileSync(file, `"use strict";\nfunction add(a, b) { return a + b; }\nexports.answer = () => add(40, 2);\nexports.where = __filename;\nexports.load = () => __signetImport("node:os");\n`);
  const cache = join(dir, "cache");
  return { dir, file, cache, env: { SIGNET_CODE_CACHE: cache } };
}
const LOADER = new URL("../../../src/cli/code-cache.js", import.meta.url).href;

/** Loads `file` with the code cache in a new process (which writes the cache as it exits). */
function load(file: string, command: string, env: Record<string, string>): { outcome: string; answer: number } {
  const script = `import { requireWithCodeCache } from ${JSON.stringify(LOADER)};
const loaded = requireWithCodeCache(${JSON.stringify(file)}, ${JSON.stringify(command)});
// the bundle's import() works from code compiled now and from code restored from the cache alike
if (typeof (await loaded.exports.load()).cpus !== "function") throw new Error("import() through __signetImport failed");
console.log(JSON.stringify({ outcome: loaded.outcome, answer: loaded.exports.answer(), where: loaded.exports.where }));`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env: { PATH: process.env["PATH"] ?? "", ...env }, encoding: "utf8" });
  assert.equal(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout) as { outcome: string; answer: number; where: string };
  assert.equal(result.where, file);
  return result;
}
const versionFolders = (cache: string) => readdirSync(cache).filter((name) => name.startsWith("node"));

describe("code cache", () => {
  test("created on the first load, used on the second, with the same module", () => {
    const { file, cache, env } = fixture();
    assert.deepEqual(load(file, "verify", env), { outcome: "created", answer: 42, where: file });
    const [folder] = versionFolders(cache);
    assert.ok(existsSync(join(cache, folder!, "verify.bin")));
    assert.deepEqual(load(file, "verify", env), { outcome: "used", answer: 42, where: file });
    // another command has its own cache
    assert.equal(load(file, "sign", env).outcome, "created");
    assert.equal(load(file, "sign", env).outcome, "used");
  });

  test("an edited bundle never meets the old cache, which is removed", () => {
    const { file, cache, env } = fixture();
    load(file, "verify", env);
    const [old] = versionFolders(cache);
    // the same length (V8 checks only the length): a new modification time must still mean a new cache
    writeFileSync(file, `"use strict";\nfunction add(a, b) { return a - b; }\nexports.answer = () => add(40, 2);\nexports.where = __filename;\nexports.load = () => __signetImport("node:os");\n`);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.deepEqual(load(file, "verify", env), { outcome: "created", answer: 38, where: file });
    assert.deepEqual(versionFolders(cache).includes(old!), false);
  });

  test("a cache V8 rejects is not used, and is written again", () => {
    const { file, cache, env } = fixture();
    load(file, "verify", env);
    const [folder] = versionFolders(cache);
    writeFileSync(join(cache, folder!, "verify.bin"), Buffer.alloc(4096, 7), { mode: 0o600 });
    assert.deepEqual(load(file, "verify", env), { outcome: "rejected", answer: 42, where: file });
    assert.equal(load(file, "verify", env).outcome, "used");
  });

  test("a folder or cache file others can write is never read", () => {
    const { file, cache, env } = fixture();
    mkdirSync(cache, { recursive: true, mode: 0o700 });
    chmodSync(cache, 0o777);
    assert.deepEqual(load(file, "verify", env), { outcome: "unsafe", answer: 42, where: file });
    assert.deepEqual(versionFolders(cache), [], "nothing is written into an unsafe folder");

    chmodSync(cache, 0o700);
    load(file, "verify", env);
    const [folder] = versionFolders(cache);
    chmodSync(join(cache, folder!, "verify.bin"), 0o666);
    assert.equal(load(file, "verify", env).outcome, "created", "a group- or world-writable cache file is treated as missing");
    assert.equal(load(file, "verify", env).outcome, "used");
  });

  test("SIGNET_CODE_CACHE=off turns it off; the default is the user's cache folder", () => {
    const { file } = fixture();
    assert.equal(load(file, "verify", { SIGNET_CODE_CACHE: "off" }).outcome, "off");
    assert.equal(codeCacheRoot({ HOME: "/home/u" }), "/home/u/.cache/signet/code-cache");
    assert.equal(codeCacheRoot({ HOME: "/home/u", XDG_CACHE_HOME: "/x" }), "/x/signet/code-cache");
    assert.equal(codeCacheRoot({ SIGNET_CODE_CACHE: "0" }), undefined);
  });

  test("bin/signet: the second run uses the first run's cache and prints the same", () => {
    const { cache } = fixture();
    const run = () => spawnSync(process.execPath, [SIGNET_BIN, "version"], { env: { ...process.env, SIGNET_CODE_CACHE: cache, SIGNET_CODE_CACHE_DEBUG: "1" }, encoding: "utf8" });
    const first = run();
    const second = run();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /code cache created/);
    assert.match(second.stderr, /code cache used/);
    assert.equal(second.stdout, first.stdout);
  });
});
