// npm run bench:webhook: drives `signet webhook serve` (a child process) over loopback HTTPS with a keep-alive
// load generator, against a real registry, and reports:
//   0. a true cold start: process start to listening, and to its first decision (an image it never saw)
//   1. cached decisions, closed-loop (each connection sends when answered): req/s, p50/p99
//      (target: >= 5,000 req/s at p99 < 5 ms on an idle machine), and open-loop at fixed arrival rates (latency
//      counted from when each request was due, so a stalled server cannot hide its queue)
//   2. first sight of images: a pod of 3 images the (warm) webhook never saw: p50/p95/p99 (target: p99 < 50 ms)
//   3. memory (RSS, heap) of the server during a soak of mixed load: cached, unsigned, and really new images (each
//      new image is used once, at a fixed rate, never recycled into the cache)
//   4. allows of a bad image over the whole run (must be 0; the process exits 1 otherwise)
// A percentile is printed only from enough samples (10 beyond it: p99 needs 1,000, p95 200); otherwise "n/a".
// It also measures, with the same load generator, a no-op Node HTTPS server (the floor this machine and
// client allow), so the webhook's numbers can be read against it.
// Usage: node dist/bench/webhook.js [--duration 10s] [--soak 30s] [--connections 8] [--cold-pods 200]
//        [--new-per-second 2] [--rates 0.5,0.8] [--redis] [--json]
//        node dist/bench/webhook.js --wide-pods [--soak 30s] [--json]
// --wide-pods measures only memory under 20 parallel AdmissionReviews of pods with 1,000 images each (issue #9
// item 6), three ways: the default configuration (maxImagesPerRequest refuses them before any work), every image
// evaluated under the default maxConcurrentVerifications, and (for comparison) with no effective bound.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, request } from "node:https";
import { parseArgs } from "node:util";
import type { Digest } from "../src/internal/digest.js";
import { mapConcurrently } from "../src/internal/concurrency.js";
import { ImageAccess } from "../src/oci/image-access.js";
import { signImages } from "../src/signatures/cosign/sign-image.js";
import { parseDurationText } from "../src/webhook/config/duration.js";
import { pushTestImage } from "../test/helpers/images.js";
import { startRedis, type TestRedis } from "../test/helpers/redis.js";
import { startRegistry } from "../test/helpers/registry.js";
import { keyPolicyYaml, signingSetup, startWebhookProcess, webhookFiles, metricValue } from "../test/integration/webhook-server-harness.js";
import { admissionReview, workload } from "../test/unit/webhook/server/admission-reviews.js";

const { values } = parseArgs({
  options: {
    duration: { type: "string" },
    soak: { type: "string" },
    connections: { type: "string" },
    "cold-pods": { type: "string" },
    "new-per-second": { type: "string" },
    rates: { type: "string" },
    redis: { type: "boolean" },
    "wide-pods": { type: "boolean" },
    json: { type: "boolean" },
  },
});
const durationMs = parseDurationText(values.duration ?? "10s") ?? 10_000;
const soakMs = parseDurationText(values.soak ?? "30s") ?? 30_000;
const connections = Number(values.connections ?? 8);
const coldPods = Number(values["cold-pods"] ?? 200);
const newPerSecond = Number(values["new-per-second"] ?? 2);
const rateFractions = (values.rates ?? "0.5,0.8").split(",").map(Number);

interface Sample {
  ms: number;
  allowed: boolean;
}

let badAllowed = 0;
let badChecked = 0;

/** A quantile, or NaN when fewer than 10 samples lie beyond it (the p99 of 30 samples is their maximum). */
function percentile(sorted: number[], q: number): number {
  if (sorted.length * (1 - q) < 10 - 1e-9) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summary(samples: number[]): { count: number; p50: number; p95: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? NaN };
}

function post(port: number, ca: string, agent: Agent, body: string, due?: bigint): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const started = due ?? process.hrtime.bigint();
    const req = request(
      { host: "127.0.0.1", port, method: "POST", path: "/mutate", ca, servername: "signet-webhook.signet-system.svc", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const ms = Number(process.hrtime.bigint() - started) / 1e6;
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`));
          const answer = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { response: { allowed: boolean } };
          resolve({ ms, allowed: answer.response.allowed });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

function podReview(images: Record<string, string>): string {
  return JSON.stringify(admissionReview(workload("Pod", { containers: images })));
}

/** Closed-loop load: `connections` keep-alive sockets, each sending the next request when the last answered. */
async function load(port: number, ca: string, ms: number, next: (i: number) => { body: string; bad: boolean }): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const end = Date.now() + ms;
  let sent = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        const { body, bad } = next(sent++);
        const sample = await post(port, ca, agent, body);
        latencies.push(sample.ms);
        if (bad) {
          badChecked += 1;
          if (sample.allowed) badAllowed += 1;
        } else if (!sample.allowed) throw new Error("a signed image was denied during the benchmark");
      }
    }),
  );
  agent.destroy();
  return latencies;
}

/**
 * Open-loop load: requests sent at a fixed arrival rate whatever the answers, over up to `sockets` keep-alive
 * connections; each latency counts from when the request was due, so queueing (in the client or the server)
 * is part of it.
 */
async function openLoad(port: number, ca: string, ms: number, rate: number, sockets: number, next: (i: number) => { body: string; bad: boolean }) {
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const start = process.hrtime.bigint();
  const total = Math.floor((rate * ms) / 1000);
  const interval = 1e9 / rate;
  let sent = 0;
  let failures = 0;
  while (sent < total) {
    const elapsed = Number(process.hrtime.bigint() - start);
    const dueCount = Math.min(total, Math.floor(elapsed / interval) + 1);
    for (; sent < dueCount; sent++) {
      const due = start + BigInt(Math.round(sent * interval));
      const { body, bad } = next(sent);
      pending.push(
        post(port, ca, agent, body, due).then(
          (sample) => {
            latencies.push(sample.ms);
            if (bad) {
              badChecked += 1;
              if (sample.allowed) badAllowed += 1;
            } else if (!sample.allowed) failures += 1;
          },
          () => {
            failures += 1;
          },
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  agent.destroy();
  return { rate, sent, seconds, achieved: latencies.length / seconds, failures, stats: summary(latencies) };
}

/** CPU seconds (user + system) a process has used (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function processMemory(pid: number): { rssMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
  return { rssMiB: kib / 1024 };
}

/** A Node HTTPS server that reads the body, parses it and answers a fixed allow: the cost of HTTPS alone. */
const NOOP_SERVER = `
const { createServer } = require("node:https");
const { readFileSync } = require("node:fs");
const answer = JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "00000000-0000-0000-0000-000000000000", allowed: true } });
createServer({ cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) }, (req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => { JSON.parse(Buffer.concat(chunks)); res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer) }); res.end(answer); });
}).listen(0, "127.0.0.1", function () { process.stdout.write(this.address().port + "\\n"); });
`;

async function measureFloor(files: { certFile: string; keyFile: string; caPem: string }, body: string, ms: number) {
  const child = spawn(process.execPath, ["-e", NOOP_SERVER], { env: { ...process.env, CERT: files.certFile, KEY: files.keyFile }, stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once("data", (data: Buffer) => resolve(Number(data.toString().trim())));
      child.once("exit", (code) => reject(new Error(`the no-op server exited with ${code}`)));
    });
    const cpuBefore = cpuSeconds(child.pid!);
    const started = Date.now();
    const latencies = await load(port, files.caPem, ms, () => ({ body, bad: false }));
    const seconds = (Date.now() - started) / 1000;
    const stats = summary(latencies);
    return { perSecond: stats.count / seconds, p50Ms: stats.p50, p99Ms: stats.p99, serverCpuMsPerRequest: ((cpuSeconds(child.pid!) - cpuBefore) * 1000) / stats.count };
  } finally {
    child.kill();
  }
}

/** One RSS sample every 250 ms of `pid` while `work` runs: the peak and the mean of the last quarter. */
async function sampleRss<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakMiB: number; startMiB: number; endMiB: number }> {
  const samples: number[] = [processMemory(pid).rssMiB];
  const sampler = setInterval(() => samples.push(processMemory(pid).rssMiB), 250);
  try {
    const result = await work();
    samples.push(processMemory(pid).rssMiB);
    return { result, peakMiB: Math.max(...samples), startMiB: samples[0]!, endMiB: samples[samples.length - 1]! };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * Issue #9 item 6: rounds of 20 parallel reviews of a pod with 1,000 images (each a digest never seen before, so
 * nothing is cached or shared: every image that is evaluated costs registry requests) for `soakMs`, under three
 * configurations; the server's RSS is sampled every 250 ms. Every review must be denied (nothing is signed).
 */
async function widePods(): Promise<void> {
  const registry = await startRegistry();
  const signer = signingSetup();
  const host = registry.host;
  const parallel = 20;
  const imagesPerPod = 1000;
  const results: Record<string, unknown>[] = [];
  try {
    const files = webhookFiles({ "bench.yaml": keyPolicyYaml("bench-signed", `${host}/bench/**`, signer.publicKeyPem) });
    const variants: { name: string; config: string }[] = [
      { name: "default (maxImagesPerRequest 256: refused before any work)", config: "" },
      { name: "maxImagesPerRequest 1000, maxConcurrentVerifications 64 (default)", config: "maxImagesPerRequest: 1000\n" },
      { name: "maxImagesPerRequest 1000, maxConcurrentVerifications 10000 (no effective bound, for comparison)", config: "maxImagesPerRequest: 1000\nmaxConcurrentVerifications: 10000\n" },
    ];
    for (const [index, variant] of variants.entries()) {
      const configFile = join(files.dir, `wide-${index}.yaml`);
      writeFileSync(configFile, `noMatchAction: deny\n${variant.config}`);
      process.stderr.write(`wide pods: ${variant.name}\n`);
      const webhook = await startWebhookProcess(files, ["--config", configFile]);
      const agent = new Agent({ keepAlive: true, maxSockets: parallel });
      let reviews = 0;
      let allowed = 0;
      /** Reviews that got no answer (connection reset, HTTP error): the API server would apply failurePolicy Fail. */
      let failed = 0;
      const latencies: number[] = [];
      try {
        const idle = processMemory(webhook.child.pid!).rssMiB;
        const { peakMiB, endMiB } = await sampleRss(webhook.child.pid!, async () => {
          const end = Date.now() + soakMs;
          while (Date.now() < end) {
            const bodies = Array.from({ length: parallel }, () =>
              podReview(Object.fromEntries(Array.from({ length: imagesPerPod }, (_, i) => [`c${i}`, `${host}/bench/wide@sha256:${randomBytes(32).toString("hex")}`]))),
            );
            const settled = await Promise.allSettled(bodies.map((body) => post(webhook.port, files.caPem, agent, body)));
            const samples = settled.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
            failed += settled.length - samples.length;
            for (const outcome of settled) if (outcome.status === "rejected") process.stderr.write(`  unanswered: ${String(outcome.reason)}\n`);
            reviews += samples.length;
            allowed += samples.filter((sample) => sample.allowed).length;
            latencies.push(...samples.map((sample) => sample.ms));
          }
        });
        const metrics = await webhook.metrics().catch((error: unknown) => {
          process.stderr.write(`  /metrics failed: ${String(error)}\n`);
          return "";
        });
        const stats = summary(latencies);
        results.push({
          variant: variant.name,
          reviews,
          allowed,
          unanswered: failed,
          p50Ms: stats.p50,
          maxMs: stats.max,
          rssIdleMiB: idle,
          rssPeakMiB: peakMiB,
          rssEndMiB: endMiB,
          registryRequests: metricValue(metrics, "signet_webhook_registry_requests_total"),
        });
      } finally {
        agent.destroy();
        await webhook.stop();
      }
    }
  } finally {
    await signer.close();
    await registry.stop();
  }
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify({ parallel, imagesPerPod, seconds: soakMs / 1000, results }, null, 2)}\n`);
  } else {
    const f = (n: unknown) => (n as number).toFixed(0);
    process.stdout.write(`wide pods: rounds of ${parallel} parallel reviews of ${imagesPerPod}-image pods for ${soakMs / 1000} s each\n`);
    for (const r of results) {
      process.stdout.write(`  ${r["variant"]}\n    ${r["reviews"]} reviews answered (${r["allowed"]} allowed, ${r["unanswered"]} unanswered), p50 ${f(r["p50Ms"])} ms, max ${f(r["maxMs"])} ms; RSS idle ${f(r["rssIdleMiB"])} MiB, peak ${f(r["rssPeakMiB"])} MiB, end ${f(r["rssEndMiB"])} MiB; ${r["registryRequests"]} registry requests\n`);
    }
  }
  if (results.some((r) => (r["allowed"] as number) > 0)) {
    process.stderr.write("FAIL: an unsigned wide pod was allowed\n");
    process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  if (values["wide-pods"] === true) return widePods();
  const registry = await startRegistry();
  let redis: TestRedis | undefined;
  const signer = signingSetup();
  const host = registry.host;
  try {
    const signAccess = new ImageAccess();
    const push = async (prefix: string, count: number, sign: boolean): Promise<{ tag: string; digest: Digest }[]> => {
      const pushed = await mapConcurrently(Array.from({ length: count }, (_, i) => i), 8, async (i) => {
        const digest = await pushTestImage(host, `bench/${prefix}-${i}`, "1.0", `${prefix}-${i}`);
        return { tag: `${host}/bench/${prefix}-${i}:1.0`, digest };
      });
      if (sign) {
        const outcomes = await signImages(signAccess, pushed.map((image) => image.tag), { key: signer.key }, 16);
        if (outcomes.some((outcome) => !("image" in outcome))) throw new Error(`signing the ${prefix} images failed`);
      }
      return pushed;
    };
    const [hot] = await push("hot", 1, true);
    const [bad] = await push("bad", 1, false);
    const [neverSeen] = await push("first", 1, true);
    const cold = await push("cold", coldPods * 3, true);
    // Every new image of the soak is used once: as many as the soak asks for at its fixed rate, plus a margin.
    const soakFresh = await push("soak", Math.ceil((soakMs / 1000) * newPerSecond) + 10, true);
    await signAccess.close();
    const files = webhookFiles({ "bench.yaml": keyPolicyYaml("bench-signed", `${host}/bench/**`, signer.publicKeyPem) });
    const extra: string[] = [];
    if (values.redis === true) {
      redis = await startRedis();
      const keyFile = join(files.dir, "redis-hmac.key");
      writeFileSync(keyFile, randomBytes(32).toString("hex"));
      extra.push("--redis-url", redis.url, "--redis-hmac-key-file", keyFile);
    }
    // 0. A true cold start: from spawning the process to listening, and to its first decision (an image never seen).
    const spawned = process.hrtime.bigint();
    const webhook = await startWebhookProcess(files, extra);
    const listeningMs = Number(process.hrtime.bigint() - spawned) / 1e6;
    const { port } = webhook;
    const ca = files.caPem;
    try {
      const firstAgent = new Agent({ keepAlive: true, maxSockets: 1 });
      const firstDecision = await post(port, ca, firstAgent, podReview({ app: neverSeen!.tag }));
      const firstDecisionMs = Number(process.hrtime.bigint() - spawned) / 1e6;
      firstAgent.destroy();
      if (!firstDecision.allowed) throw new Error("the first (signed) image was denied");

      // 1. Cached decisions: one signed image by digest (a pod of one container), plus an unsigned one now and then.
      const hotBody = podReview({ app: `${host}/bench/hot-0@${hot!.digest}` });
      const badBody = podReview({ app: `${host}/bench/bad-0@${bad!.digest}` });
      await load(port, ca, 1000, (i) => (i % 50 === 0 ? { body: badBody, bad: true } : { body: hotBody, bad: false })); // warm-up
      const cachedStarted = Date.now();
      const serverCpuBefore = cpuSeconds(webhook.child.pid!);
      const clientCpuBefore = process.cpuUsage();
      const cached = await load(port, ca, durationMs, (i) => (i % 50 === 0 ? { body: badBody, bad: true } : { body: hotBody, bad: false }));
      const cachedSeconds = (Date.now() - cachedStarted) / 1000;
      const serverCpu = cpuSeconds(webhook.child.pid!) - serverCpuBefore;
      const clientCpuUsage = process.cpuUsage(clientCpuBefore);
      const clientCpu = (clientCpuUsage.user + clientCpuUsage.system) / 1e6;
      const cachedStats = summary(cached);

      const floor = await measureFloor(files, hotBody, Math.min(durationMs, 5000));

      // 1b. The same cached decisions open-loop, at fixed fractions of the closed-loop throughput.
      const closedRate = cachedStats.count / cachedSeconds;
      const open = [];
      for (const fraction of rateFractions) {
        open.push(await openLoad(port, ca, Math.min(durationMs, 10_000), Math.max(1, Math.round(closedRate * fraction)), connections * 4, (i) => (i % 50 === 0 ? { body: badBody, bad: true } : { body: hotBody, bad: false })));
      }

      // 2. Cold pods: 3 images never seen before (tags), one pod at a time.
      const coldAgent = new Agent({ keepAlive: true, maxSockets: 1 });
      const coldLatencies: number[] = [];
      for (let pod = 0; pod < coldPods; pod++) {
        const images = cold.slice(pod * 3, pod * 3 + 3);
        const sample = await post(port, ca, coldAgent, podReview({ a: images[0]!.tag, b: images[1]!.tag, c: images[2]!.tag }));
        if (!sample.allowed) throw new Error("a cold signed pod was denied");
        coldLatencies.push(sample.ms);
      }
      coldAgent.destroy();
      const coldStats = summary(coldLatencies);

      // 3. Soak: mixed load (mostly cached, every 20th unsigned, and new images at a fixed rate, each used once);
      // memory sampled each second.
      const memory: { t: number; rssMiB: number }[] = [];
      const soakStarted = Date.now();
      const sampler = setInterval(() => memory.push({ t: (Date.now() - soakStarted) / 1000, ...processMemory(webhook.child.pid!) }), 1000);
      let fresh = 0;
      const soak = await load(port, ca, soakMs, (i) => {
        if (i % 20 === 0) return { body: badBody, bad: true };
        const due = Math.floor(((Date.now() - soakStarted) / 1000) * newPerSecond);
        if (fresh < due && fresh < soakFresh.length) {
          const image = soakFresh[fresh++]!;
          return { body: podReview({ app: `${image.tag.replace(":1.0", "")}@${image.digest}`, sidecar: `${host}/bench/hot-0@${hot!.digest}` }), bad: false };
        }
        return { body: hotBody, bad: false };
      });
      clearInterval(sampler);
      const soakStats = summary(soak);
      const metrics = await webhook.metrics();
      const heapUsed = metricValue(metrics, "nodejs_heap_size_used_bytes") / 1024 / 1024;

      const first = memory.slice(0, Math.max(1, Math.floor(memory.length / 4)));
      const last = memory.slice(-Math.max(1, Math.floor(memory.length / 4)));
      const mean = (list: { rssMiB: number }[]) => list.reduce((sum, m) => sum + m.rssMiB, 0) / list.length;
      const result = {
        cores: (await import("node:os")).availableParallelism(),
        loadAverage: (await import("node:os")).loadavg()[0]!,
        redis: values.redis === true,
        coldStart: { listeningMs, firstDecisionMs, firstDecisionRequestMs: firstDecision.ms },
        cached: {
          connections,
          seconds: cachedSeconds,
          requests: cachedStats.count,
          perSecond: cachedStats.count / cachedSeconds,
          p50Ms: cachedStats.p50,
          p99Ms: cachedStats.p99,
          maxMs: cachedStats.max,
          samples: cachedStats.count,
          serverCpuMsPerRequest: (serverCpu * 1000) / cachedStats.count,
          clientCpuMsPerRequest: (clientCpu * 1000) / cachedStats.count,
        },
        noopHttpsFloor: floor,
        openLoop: open.map((o) => ({ ratePerSecond: o.rate, sent: o.sent, achievedPerSecond: o.achieved, failures: o.failures, p50Ms: o.stats.p50, p99Ms: o.stats.p99, maxMs: o.stats.max })),
        coldPodOf3: { pods: coldPods, p50Ms: coldStats.p50, p95Ms: coldStats.p95, p99Ms: coldStats.p99, maxMs: coldStats.max },
        soak: {
          seconds: soakMs / 1000,
          requests: soakStats.count,
          newImages: fresh,
          p50Ms: soakStats.p50,
          p99Ms: soakStats.p99,
          rssFirstQuarterMiB: mean(first),
          rssLastQuarterMiB: mean(last),
          rssMaxMiB: Math.max(...memory.map((m) => m.rssMiB)),
          heapUsedMiBAtEnd: heapUsed,
        },
        badImage: { checked: badChecked, allowed: badAllowed },
        cacheHits: metricValue(metrics, "signet_webhook_cache_hits_total", { cache: "verdict" }),
        registryRequests: metricValue(metrics, "signet_webhook_registry_requests_total"),
      };
      if (values.json === true) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        const f = (n: number) => (Number.isNaN(n) ? "n/a" : n.toFixed(2));
        process.stdout.write(
          [
            `signet webhook benchmark (${result.cores} cores, load average ${result.loadAverage.toFixed(2)} at the end${result.redis ? ", Redis cache" : ", memory cache"})`,
            `cold start         process start -> listening ${f(listeningMs)} ms, -> first decision (an image never seen) ${f(firstDecisionMs)} ms (that request alone ${f(firstDecision.ms)} ms)`,
            `cached decisions   ${result.cached.requests} in ${f(result.cached.seconds)} s over ${connections} keep-alive connections (closed loop): ${result.cached.perSecond.toFixed(0)} req/s, p50 ${f(result.cached.p50Ms)} ms, p99 ${f(result.cached.p99Ms)} ms (target >= 5000 req/s, p99 < 5 ms on an idle machine)`,
            ...result.openLoop.map(
              (o) =>
                `  open loop        ${o.ratePerSecond} req/s offered, ${o.achievedPerSecond.toFixed(0)} answered per s, ${o.sent} sent, ${o.failures} failed: p50 ${f(o.p50Ms)} ms, p99 ${f(o.p99Ms)} ms, max ${f(o.maxMs)} ms (from when each was due)`,
            ),
            `                   CPU per request: server ${f(result.cached.serverCpuMsPerRequest)} ms, load generator ${f(result.cached.clientCpuMsPerRequest)} ms`,
            `no-op HTTPS floor  ${result.noopHttpsFloor.perSecond.toFixed(0)} req/s, p50 ${f(result.noopHttpsFloor.p50Ms)} ms, p99 ${f(result.noopHttpsFloor.p99Ms)} ms, server CPU ${f(result.noopHttpsFloor.serverCpuMsPerRequest)} ms per request (same load generator, same machine)`,
            `first sight, pod of 3 new images, ${coldPods} pods one at a time: p50 ${f(result.coldPodOf3.p50Ms)} ms, p95 ${f(result.coldPodOf3.p95Ms)} ms, p99 ${f(result.coldPodOf3.p99Ms)} ms, max ${f(result.coldPodOf3.maxMs)} ms (target p99 < 50 ms; p99 needs >= 1000 pods)`,
            `soak               ${result.soak.requests} requests in ${result.soak.seconds} s, ${result.soak.newImages} new images (${newPerSecond}/s, each used once): p50 ${f(result.soak.p50Ms)} ms, p99 ${f(result.soak.p99Ms)} ms; RSS ${f(result.soak.rssFirstQuarterMiB)} MiB (first quarter) -> ${f(result.soak.rssLastQuarterMiB)} MiB (last quarter), max ${f(result.soak.rssMaxMiB)} MiB; heap used at end ${f(result.soak.heapUsedMiBAtEnd)} MiB`,
            `bad image          ${result.badImage.checked} checks, ${result.badImage.allowed} allowed (must be 0)`,
            `server             ${result.cacheHits} verdict cache hits, ${result.registryRequests} registry requests`,
            "",
          ]
            .join("\n")
            .replaceAll("n/a ms", "n/a"),
        );
      }
    } finally {
      await webhook.stop();
    }
  } finally {
    await signer.close();
    await redis?.stop();
    await registry.stop();
  }
  if (badAllowed > 0) {
    process.stderr.write(`FAIL: a bad image was allowed ${badAllowed} times\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
