// npm run bench: signet beside cosign 2.5 and a minimal Node client (the floor), in the same run, on the same images,
// served by (a) an in-memory registry stand-in inside this process (bench/memory-registry.ts: prepared responses,
// keep-alive, counted requests), which isolates the clients, and (b) Debian's docker-registry, the real thing.
// For every tool and run: wall time, the child's own CPU (user+sys) and peak RSS (GNU time, from wait4), and registry
// requests per image; the registry's CPU is reported separately. Start-up is measured with NODE_EXTRA_CA_CERTS
// unset for every tool, and again with it set. Every target of issue 15 is printed with its ratio.
// Usage: node dist/bench/sign-verify.js [--images 200] [--large 1000] [--repeat 3] [--single 15] [--no-debian] [--json]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { mapConcurrently } from "../src/internal/concurrency.js";
import { encryptPrivateKey, generateSigningKey, publicKeyToPem } from "../src/keys/index.js";
import { ImageAccess } from "../src/oci/image-access.js";
import { createTestImage } from "../src/oci/layout/test-image.js";
import { signImages } from "../src/signatures/cosign/sign-image.js";
import { cosignEnv, cosignPath, SIGNET_BIN } from "../test/helpers/peers.js";
import { startRegistry, type TestRegistry } from "../test/helpers/registry.js";
import { startMemoryRegistry, type MemoryRegistry } from "./memory-registry.js";

const { values } = parseArgs({
  options: {
    images: { type: "string" },
    large: { type: "string" },
    repeat: { type: "string" },
    single: { type: "string" },
    "no-debian": { type: "boolean" },
    json: { type: "boolean" },
  },
});
const N = Number(values.images ?? 200);
const LARGE = Math.max(N, Number(values.large ?? 1000));
const REPEAT = Number(values.repeat ?? 3);
const SINGLES = Number(values.single ?? 15);
const MINIMAL_CLIENT = join(dirname(fileURLToPath(import.meta.url)), "minimal-client.js");
const UNBUNDLED_CLI = join(dirname(fileURLToPath(import.meta.url)), "unbundled-cli.js");
const EXTRA_CA = process.env["NODE_EXTRA_CA_CERTS"] ?? "/etc/ssl/certs/ca-certificates.crt";

interface Run {
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
  /** Requests the stand-in served during the run (undefined against Debian's registry). */
  requests?: number;
  /** CPU of the registry while serving the run. */
  registryCpuMs: number;
}

const work = mkdtempSync(join(tmpdir(), "signet-bench-"));
let runs = 0;

/** CPU milliseconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** This process's CPU (the in-memory stand-in runs here, and nothing else does while a child runs). */
function selfCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * Runs a command under GNU time (wait4's rusage: the child's user+sys CPU and peak RSS), asynchronously so that
 * the stand-in in this process keeps serving.
 */
async function measure(file: string, args: string[], env: NodeJS.ProcessEnv, registry: { memory?: MemoryRegistry; debian?: TestRegistry }): Promise<Run> {
  const timeFile = join(work, `time-${runs++}`);
  const before = registry.memory?.counts().total;
  const registryBefore = registry.debian ? procCpuMs(registry.debian.pid) : selfCpuMs();
  const started = process.hrtime.bigint();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn("/usr/bin/time", ["-f", "%U %S %M", "-o", timeFile, file, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => {
      if (err.length < 100_000) err += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ code: exitCode, stderr: err }));
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const registryCpuMs = (registry.debian ? procCpuMs(registry.debian.pid) : selfCpuMs()) - registryBefore;
  if (code !== 0) throw new Error(`${file} ${args.slice(0, 3).join(" ")}… exited ${code}: ${stderr.slice(-600)}`);
  const [user, system, rssKiB] = readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number) as [number, number, number];
  return {
    wallMs,
    cpuMs: (user + system) * 1000,
    rssMiB: rssKiB / 1024,
    registryCpuMs,
    ...(before !== undefined ? { requests: registry.memory!.counts().total - before } : {}),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of each figure over `repeat` runs. */
async function measureMedian(repeat: number, once: () => Promise<Run>): Promise<Run> {
  const all: Run[] = [];
  for (let i = 0; i < repeat; i++) all.push(await once());
  const pick = (f: (r: Run) => number) => median(all.map(f));
  const result: Run = { wallMs: pick((r) => r.wallMs), cpuMs: pick((r) => r.cpuMs), rssMiB: pick((r) => r.rssMiB), registryCpuMs: pick((r) => r.registryCpuMs) };
  if (all[0]!.requests !== undefined) result.requests = pick((r) => r.requests!);
  return result;
}

function withoutExtraCa(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  delete copy["NODE_EXTRA_CA_CERTS"];
  return copy;
}

const lines: string[] = [];
const say = (line = "") => {
  lines.push(line);
  if (values.json !== true) console.log(line);
};
const ms = (n: number) => `${n.toFixed(1)} ms`;
const x = (n: number) => `${n.toFixed(2)}x`;
const targets: { name: string; target: string; measured: string; met: boolean }[] = [];
function target(name: string, targetText: string, measured: string, met: boolean): void {
  targets.push({ name, target: targetText, measured, met });
}

interface Tools {
  signetVerify(keyPub: string, images: string[], env: NodeJS.ProcessEnv): [string, string[]];
  cosignVerify(keyPub: string, images: string[]): [string, string[]];
  floorVerify(keyPub: string, images: string[]): [string, string[]];
}

const tools: Tools = {
  signetVerify: (keyPub, images) => [process.execPath, [SIGNET_BIN, "verify", "--insecure-ignore-tlog", "--key", keyPub, ...images]],
  cosignVerify: (keyPub, images) => [cosignPath(), ["verify", "--key", keyPub, "--insecure-ignore-tlog=true", ...images]],
  floorVerify: (keyPub, images) => [process.execPath, [MINIMAL_CLIENT, keyPub, ...images]],
};

async function pushImages(access: ImageAccess, host: string, prefix: string, count: number): Promise<{ tag: string; digest: string }[]> {
  return mapConcurrently(Array.from({ length: count }, (_, i) => i), 16, async (i) => {
    const repo = await access.repositoryByName(`${host}/bench/${prefix}${i}`);
    const image = await createTestImage(repo, "v1", { content: `${prefix}-${i}` });
    return { tag: `${host}/bench/${prefix}${i}:v1`, digest: `${host}/bench/${prefix}${i}@${image.digest}` };
  });
}

async function main(): Promise<void> {
  const password = "bench";
  const key = generateSigningKey("ecdsa-p256");
  const keyFile = join(work, "bench.key");
  const pubFile = join(work, "bench.pub");
  writeFileSync(keyFile, await encryptPrivateKey(key, Buffer.from(password), {}));
  writeFileSync(pubFile, publicKeyToPem(key.publicKey));
  // signet's code cache (src/cli/code-cache.ts) in the bench's own folder: made by the first run of each command,
  // used by every later one, as on a user's machine. The "no code cache" start-up line shows a run without it.
  const env = { ...withoutExtraCa(cosignEnv({ COSIGN_PASSWORD: password })), SIGNET_CODE_CACHE: join(work, "code-cache") };
  const envWithCa = { ...env, NODE_EXTRA_CA_CERTS: EXTRA_CA };
  const cosign = cosignPath();
  const load = loadavg();
  say(`signet bench: ${N} images (${LARGE} for the per-image and memory figures), median of ${REPEAT} runs each; cosign ${cosign}`);
  say(`machine: ${(await import("node:os")).availableParallelism()} cores, load average ${load.map((l) => l.toFixed(2)).join(" ")} at the start; Node ${process.version}`);
  say(`NODE_EXTRA_CA_CERTS is unset for every tool unless a line says otherwise`);
  say();

  // ---- (b) the in-memory stand-in: the clients alone ----
  const memory = await startMemoryRegistry();
  const access = new ImageAccess();
  const verifySet = await pushImages(access, memory.host, "v", LARGE);
  const signed = await signImages(access, verifySet.map((i) => i.tag), { key }, 32);
  if (signed.some((s) => !("image" in s))) throw new Error("signing the verify set failed");
  const signetSignSet = await pushImages(access, memory.host, "s", N + 1);
  const cosignSignSet = await pushImages(access, memory.host, "c", N + 1);
  await access.close();

  say(`== in-memory registry stand-in (${memory.host}): the clients alone ==`);
  const byDigest = verifySet.map((i) => i.digest);
  const verify: Record<string, Record<number, Run>> = { signet: {}, cosign: {}, floor: {} };
  for (const n of [1, N, LARGE]) {
    const images = byDigest.slice(0, n);
    for (const tool of ["signet", "cosign", "floor"] as const) {
      const [file, args] = tool === "signet" ? tools.signetVerify(pubFile, images, env) : tool === "cosign" ? tools.cosignVerify(pubFile, images) : tools.floorVerify(pubFile, images);
      verify[tool]![n] = await measureMedian(n === 1 ? SINGLES : REPEAT, () => measure(file, args, env, { memory }));
    }
  }
  say(`verify by digest, one invocation       wall        CPU         peak RSS   requests/image  stand-in CPU/request`);
  for (const n of [1, N, LARGE]) {
    for (const tool of ["signet", "cosign", "floor"] as const) {
      const r = verify[tool]![n]!;
      say(
        `  ${tool.padEnd(7)} ${String(n).padStart(5)} images   ${ms(r.wallMs).padStart(10)}  ${ms(r.cpuMs).padStart(10)}  ${`${r.rssMiB.toFixed(1)} MiB`.padStart(10)}  ${(r.requests! / n).toFixed(2).padStart(8)}        ${((r.registryCpuMs / Math.max(1, r.requests!)) * 1000).toFixed(0)} µs`,
      );
    }
  }
  const perImage = (tool: string) => (verify[tool]![LARGE]!.cpuMs - verify[tool]![1]!.cpuMs) / (LARGE - 1);
  const [sCpu, cCpu, fCpu] = [perImage("signet"), perImage("cosign"), perImage("floor")];
  say(`CPU per image (runs of ${LARGE} minus runs of 1, / ${LARGE - 1}): signet ${sCpu.toFixed(3)} ms, cosign ${cCpu.toFixed(3)} ms, floor ${fCpu.toFixed(3)} ms`);
  say(`  signet/floor ${x(sCpu / fCpu)} (target <= 1.2x), signet/cosign ${x(sCpu / cCpu)} (target <= 0.5x)`);
  target("verify CPU per image vs the minimal client", "<= 1.2x", x(sCpu / fCpu), sCpu / fCpu <= 1.2);
  target("verify CPU per image vs cosign", "<= 0.5x", x(sCpu / cCpu), sCpu / cCpu <= 0.5);
  const wallRatio = verify["cosign"]![N]!.wallMs / verify["signet"]![N]!.wallMs;
  say(`wall, ${N} images: cosign/signet ${x(wallRatio)} (target >= 3x); signet/floor ${x(verify["signet"]![N]!.wallMs / verify["floor"]![N]!.wallMs)}`);
  target(`verify ${N} images, wall vs cosign (stand-in)`, ">= 3x faster", x(wallRatio), wallRatio >= 3);
  const rss = (tool: string) => verify[tool]![LARGE]!.rssMiB / verify[tool]![N]!.rssMiB;
  say(`peak RSS ${LARGE} vs ${N} images: signet ${x(rss("signet"))}, cosign ${x(rss("cosign"))}, floor ${x(rss("floor"))} (flat = about 1x)`);
  target(`verify peak RSS, ${LARGE} vs ${N} images`, "flat (<= 1.15x)", x(rss("signet")), rss("signet") <= 1.15);
  const reqs = (tool: string) => verify[tool]![N]!.requests! / N;
  say(`registry requests per verified image (digest reference): signet ${reqs("signet").toFixed(2)}, cosign ${reqs("cosign").toFixed(2)}, floor ${reqs("floor").toFixed(2)}`);
  target("registry requests per verify (digest reference)", "1", reqs("signet").toFixed(2), reqs("signet") <= 1.01);
  const byTag = verifySet.slice(0, N).map((i) => i.tag);
  const signetTag = await measure(...tools.signetVerify(pubFile, byTag, env), env, { memory });
  const cosignTag = await measure(...tools.cosignVerify(pubFile, byTag), env, { memory });
  say(`registry requests per verified image (tag reference): signet ${(signetTag.requests! / N).toFixed(2)}, cosign ${(cosignTag.requests! / N).toFixed(2)}`);
  say();

  // Sign: N images, and 1 image (for the per-image CPU), each tool on its own images.
  const signRuns: Record<string, { one: Run; all: Run }> = {};
  for (const [tool, set] of [["signet", signetSignSet], ["cosign", cosignSignSet]] as const) {
    const command = (images: string[]): [string, string[]] =>
      tool === "signet" ? [process.execPath, [SIGNET_BIN, "sign", "--tlog-upload=false", "--key", keyFile, ...images]] : [cosign, ["sign", "--key", keyFile, "--tlog-upload=false", "--yes", ...images]];
    const one = await measure(...command([set[N]!.tag]), env, { memory });
    const all = await measure(...command(set.slice(0, N).map((i) => i.tag)), env, { memory });
    signRuns[tool] = { one, all };
  }
  say(`sign by tag, one invocation             wall        CPU         peak RSS   requests/image`);
  for (const tool of ["signet", "cosign"]) {
    for (const [label, r, n] of [["1", signRuns[tool]!.one, 1], [String(N), signRuns[tool]!.all, N]] as const) {
      say(`  ${tool.padEnd(7)} ${label.padStart(5)} images   ${ms(r.wallMs).padStart(10)}  ${ms(r.cpuMs).padStart(10)}  ${`${r.rssMiB.toFixed(1)} MiB`.padStart(10)}  ${(r.requests! / n).toFixed(2).padStart(8)}`);
    }
  }
  const signCpu = (tool: string) => (signRuns[tool]!.all.cpuMs - signRuns[tool]!.one.cpuMs) / (N - 1);
  const signReq = signRuns["signet"]!.all.requests! / N;
  say(`sign CPU per image: signet ${signCpu("signet").toFixed(3)} ms, cosign ${signCpu("cosign").toFixed(3)} ms -> signet/cosign ${x(signCpu("signet") / signCpu("cosign"))} (target <= 0.5x)`);
  say(`sign wall, ${N} images: cosign/signet ${x(signRuns["cosign"]!.all.wallMs / signRuns["signet"]!.all.wallMs)}; requests per image: signet ${signReq.toFixed(2)} (target <= 5), cosign ${(signRuns["cosign"]!.all.requests! / N).toFixed(2)}`);
  target("sign requests per image (tag reference)", "<= 5", signReq.toFixed(2), signReq <= 5);
  target("sign CPU per image vs cosign", "<= 0.5x", x(signCpu("signet") / signCpu("cosign")), signCpu("signet") / signCpu("cosign") <= 0.5);
  say();

  // Start-up: one verify as a whole process (digest reference), and bare start-up, interleaved.
  for (const [label, startEnv] of [["unset", env], [`set (${EXTRA_CA})`, envWithCa]] as const) {
    const samples: Record<string, Run[]> = { "node -e 0": [], "signet version": [], "signet verify": [], "no code cache": [], "unbundled verify": [], "cosign verify": [], "floor verify": [] };
    for (let i = 0; i < SINGLES; i++) {
      const image = [byDigest[i % byDigest.length]!];
      samples["node -e 0"]!.push(await measure(process.execPath, ["-e", "0"], startEnv, { memory }));
      samples["signet version"]!.push(await measure(process.execPath, [SIGNET_BIN, "version"], startEnv, { memory }));
      samples["signet verify"]!.push(await measure(...tools.signetVerify(pubFile, image, startEnv), startEnv, { memory }));
      samples["no code cache"]!.push(await measure(...tools.signetVerify(pubFile, image, startEnv), { ...startEnv, SIGNET_CODE_CACHE: "off" }, { memory }));
      samples["unbundled verify"]!.push(await measure(process.execPath, [UNBUNDLED_CLI, "verify", "--insecure-ignore-tlog", "--key", pubFile, ...image], startEnv, { memory }));
      samples["cosign verify"]!.push(await measure(...tools.cosignVerify(pubFile, image), startEnv, { memory }));
      samples["floor verify"]!.push(await measure(...tools.floorVerify(pubFile, image), startEnv, { memory }));
    }
    say(`start-up, NODE_EXTRA_CA_CERTS ${label}, ${SINGLES} runs each (median wall / median CPU / median peak RSS):`);
    const med = (name: string, f: (r: Run) => number) => median(samples[name]!.map(f));
    for (const name of Object.keys(samples)) {
      say(`  ${name.padEnd(15)} ${ms(med(name, (r) => r.wallMs)).padStart(10)}  ${ms(med(name, (r) => r.cpuMs)).padStart(10)}  ${`${med(name, (r) => r.rssMiB).toFixed(1)} MiB`.padStart(10)}`);
    }
    const ratio = med("cosign verify", (r) => r.wallMs) / med("signet verify", (r) => r.wallMs);
    say(`  one verify: cosign/signet ${x(ratio)} (target > 1x); signet over bare node +${ms(med("signet verify", (r) => r.wallMs) - med("node -e 0", (r) => r.wallMs))}; the bundle and its code cache save ${ms(med("unbundled verify", (r) => r.wallMs) - med("signet verify", (r) => r.wallMs))} wall, ${ms(med("unbundled verify", (r) => r.cpuMs) - med("signet verify", (r) => r.cpuMs))} CPU (the cache alone ${ms(med("no code cache", (r) => r.wallMs) - med("signet verify", (r) => r.wallMs))} wall)`);
    if (startEnv === env) target("one verify as a whole process vs cosign (variable unset)", "> 1x", x(ratio), ratio > 1);
    else say(`  (with the variable set Node reads and parses the CA file at start-up; cosign does not read it)`);
  }
  say();

  // ---- (a) Debian's docker-registry ----
  if (values["no-debian"] !== true) {
    const registry = await startRegistry();
    try {
      const real = new ImageAccess();
      const debianVerify = await pushImages(real, registry.host, "v", N);
      const debianSignet = await pushImages(real, registry.host, "s", N);
      const debianCosign = await pushImages(real, registry.host, "c", N);
      await real.close();
      say(`== Debian docker-registry (${registry.host}, its own process; its CPU is the "registry CPU") ==`);
      const signet = await measure(process.execPath, [SIGNET_BIN, "sign", "--tlog-upload=false", "--key", keyFile, ...debianSignet.map((i) => i.tag)], env, { debian: registry });
      const cosignRun = await measure(cosign, ["sign", "--key", keyFile, "--tlog-upload=false", "--yes", ...debianCosign.map((i) => i.tag)], env, { debian: registry });
      say(`sign ${N} by tag          wall        CPU       peak RSS   registry CPU`);
      for (const [name, r] of [["signet", signet], ["cosign", cosignRun]] as const) {
        say(`  ${name.padEnd(7)}        ${ms(r.wallMs).padStart(10)}  ${ms(r.cpuMs).padStart(10)}  ${`${r.rssMiB.toFixed(1)} MiB`.padStart(10)}  ${ms(r.registryCpuMs).padStart(10)}`);
      }
      say(`  cosign/signet wall ${x(cosignRun.wallMs / signet.wallMs)}`);
      await measure(process.execPath, [SIGNET_BIN, "sign", "--tlog-upload=false", "--key", keyFile, ...debianVerify.map((i) => i.tag)], env, { debian: registry });
      const images = debianVerify.map((i) => i.digest);
      say(`verify ${N} by digest     wall        CPU       peak RSS   registry CPU`);
      const results: Record<string, Run> = {};
      for (const tool of ["signet", "cosign", "floor"] as const) {
        const [file, args] = tool === "signet" ? tools.signetVerify(pubFile, images, env) : tool === "cosign" ? tools.cosignVerify(pubFile, images) : tools.floorVerify(pubFile, images);
        const r = await measureMedian(REPEAT, () => measure(file, args, env, { debian: registry }));
        results[tool] = r;
        say(`  ${tool.padEnd(7)}        ${ms(r.wallMs).padStart(10)}  ${ms(r.cpuMs).padStart(10)}  ${`${r.rssMiB.toFixed(1)} MiB`.padStart(10)}  ${ms(r.registryCpuMs).padStart(10)}`);
      }
      say(`  cosign/signet wall ${x(results["cosign"]!.wallMs / results["signet"]!.wallMs)}; registry CPU serving cosign/serving signet ${x(results["cosign"]!.registryCpuMs / results["signet"]!.registryCpuMs)}`);
    } finally {
      await registry.stop();
    }
    say();
  }
  await memory.close();

  say(`targets (issue 15), ratios from this run:`);
  for (const t of targets) say(`  ${t.met ? "met    " : "NOT met"}  ${t.name}: ${t.measured} (target ${t.target})`);
  say(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  if (values.json === true) process.stdout.write(`${JSON.stringify({ verify, signRuns, targets, lines }, null, 2)}\n`);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
