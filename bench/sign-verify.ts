// npm run bench: signs and verifies N images (default 200) on a loopback registry with signet and with cosign
// in the same run, and prints latency, throughput, registry requests per verify and CLI start-up.
// Usage: node dist/bench/sign-verify.js [--images N] [--single N]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encryptPrivateKey, generateSigningKey, publicKeyToPem } from "../src/keys/index.js";
import { ImageAccess } from "../src/oci/image-access.js";
import { createTestImage } from "../src/oci/layout/test-image.js";
import { verifyImage } from "../src/signatures/verifier/index.js";
import { mapConcurrently } from "../src/internal/concurrency.js";
import { cosignEnv, cosignPath, SIGNET_BIN } from "../test/helpers/peers.js";
import { startRegistry } from "../test/helpers/registry.js";

const { values } = parseArgs({ options: { images: { type: "string" }, single: { type: "string" } } });
const count = Number(values.images ?? 200);
const singles = Number(values.single ?? 20);

function time(file: string, args: string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(file, args, { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${file} ${args.slice(0, 3).join(" ")}… exited ${result.status}: ${result.stderr.slice(-400)}`);
  return ms;
}

/** CPU seconds a process has used so far (Linux /proc), to show how much of a run the registry itself costs. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function stats(samples: number[]): { median: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p95: at(0.95) };
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main(): Promise<void> {
  const registry = await startRegistry();
  const dir = mkdtempSync(join(tmpdir(), "signet-bench-"));
  const password = "bench";
  const env = cosignEnv({ COSIGN_PASSWORD: password });
  const cosign = cosignPath();
  try {
    const key = generateSigningKey("ecdsa-p256");
    writeFileSync(join(dir, "bench.key"), await encryptPrivateKey(key, Buffer.from(password), {}));
    writeFileSync(join(dir, "bench.pub"), publicKeyToPem(key.publicKey));

    const access = new ImageAccess();
    const push = async (prefix: string) =>
      mapConcurrently(Array.from({ length: count }, (_, i) => i), 16, async (i) => {
        const repo = await access.repositoryByName(`${registry.host}/bench/${prefix}${i}`);
        const image = await createTestImage(repo, "v1", { content: `${prefix}-${i}` });
        return { tag: `${registry.host}/bench/${prefix}${i}:v1`, digest: `${registry.host}/bench/${prefix}${i}@${image.digest}` };
      });
    const signetImages = await push("s");
    const cosignImages = await push("c");
    console.log(`signet bench: ${count} images on ${registry.host}, cosign ${cosign}\n`);

    const signetSign = time(process.execPath, [SIGNET_BIN, "sign", "--key", join(dir, "bench.key"), ...signetImages.map((i) => i.tag)], env);
    const cosignSign = time(cosign, ["sign", "--key", join(dir, "bench.key"), "--tlog-upload=false", "--yes", ...cosignImages.map((i) => i.tag)], env);
    console.log(`sign ${count} images, one invocation: signet ${fmt(signetSign)}, cosign ${fmt(cosignSign)}  -> signet ${(cosignSign / signetSign).toFixed(1)}x faster`);

    const registryCpuBefore = cpuSeconds(registry.pid);
    const signetAll = time(process.execPath, [SIGNET_BIN, "verify", "--key", join(dir, "bench.pub"), ...signetImages.map((i) => i.tag)], env);
    const registryCpu = cpuSeconds(registry.pid) - registryCpuBefore;
    const cosignAll = time(cosign, ["verify", "--key", join(dir, "bench.pub"), "--insecure-ignore-tlog=true", ...cosignImages.map((i) => i.tag)], env);
    console.log(
      `verify ${count} images, one invocation: signet ${fmt(signetAll)} (${((count * 1000) / signetAll).toFixed(0)} images/s), ` +
        `cosign ${fmt(cosignAll)} (${((count * 1000) / cosignAll).toFixed(0)} images/s)  -> signet ${(cosignAll / signetAll).toFixed(1)}x faster`,
    );
    console.log(`  the registry spent ${registryCpu.toFixed(2)} s of CPU serving signet's verify of ${count} images (${((registryCpu * 1000) / (count * 3)).toFixed(1)} ms per request, 2 cores shared)`);

    const signetSingle: number[] = [];
    const cosignSingle: number[] = [];
    const nodeBare: number[] = [];
    const signetVersion: number[] = [];
    for (let i = 0; i < singles; i++) {
      signetSingle.push(time(process.execPath, [SIGNET_BIN, "verify", "--key", join(dir, "bench.pub"), signetImages[i % count]!.digest], env));
      cosignSingle.push(time(cosign, ["verify", "--key", join(dir, "bench.pub"), "--insecure-ignore-tlog=true", cosignImages[i % count]!.digest], env));
      nodeBare.push(time(process.execPath, ["-e", "0"], env));
      signetVersion.push(time(process.execPath, [SIGNET_BIN, "version"], env));
    }
    const s = stats(signetSingle);
    const c = stats(cosignSingle);
    const n = stats(nodeBare);
    const v = stats(signetVersion);
    console.log(`single verify (digest ref), ${singles} runs: signet median ${fmt(s.median)} p95 ${fmt(s.p95)}; cosign median ${fmt(c.median)} p95 ${fmt(c.p95)}  -> ratio ${(c.median / s.median).toFixed(1)}x`);
    console.log(`start-up: node -e 0 median ${fmt(n.median)}; signet version median ${fmt(v.median)} (+${fmt(v.median - n.median)}); single verify costs +${fmt(s.median - n.median)} over bare node`);

    // Registry requests per verify, counted by the client in-process.
    const publicKeys = [key.publicKey];
    for (const [label, ref] of [["digest reference", signetImages[0]!.digest], ["tag reference", signetImages[1]!.tag]] as const) {
      const fresh = new ImageAccess();
      await verifyImage(fresh, ref, { requirement: { kind: "key", publicKeys }, formats: "legacy" });
      console.log(`registry requests per verify (${label}): ${fresh.requestCount()}`);
      await fresh.close();
    }
    await access.close();
  } finally {
    await registry.stop();
  }
}

await main();
