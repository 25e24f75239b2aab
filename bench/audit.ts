// npm run bench:audit: `signet audit` of a registry namespace held by Debian's docker-registry on loopback.
// N images (default 500; a quarter each signed, unsigned, tampered, signed by another key), built through the
// library; then the CLI audits the namespace with --key and with a policy.json, REPEAT times each. Prints the median
// wall time, images per second and registry requests per image (the report's own count, catalog and tag lists
// included).
// Usage: node dist/bench/audit.js [--images 500] [--repeat 3] [--workers 32] [--json]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { AuditReport } from "../src/cli/audit/model.js";
import { mapConcurrently } from "../src/internal/concurrency.js";
import { generateSigningKey, publicKeyToPem } from "../src/keys/index.js";
import { ImageAccess } from "../src/oci/image-access.js";
import { createTestImage } from "../src/oci/layout/test-image.js";
import { signImages } from "../src/signatures/cosign/sign-image.js";
import { CosignAnnotation } from "../src/signatures/cosign/signature-manifest.js";
import { SIGNET_BIN } from "../test/helpers/peers.js";
import { startRegistry } from "../test/helpers/registry.js";

const { values } = parseArgs({ options: { images: { type: "string" }, repeat: { type: "string" }, workers: { type: "string" }, json: { type: "boolean" } } });
const N = Number(values.images ?? 500);
const REPEAT = Number(values.repeat ?? 3);
const WORKERS = values.workers ?? "32";

const registry = await startRegistry();
const work = mkdtempSync(join(tmpdir(), "signet-bench-audit-"));
try {
  const trusted = generateSigningKey("ecdsa-p256");
  const other = generateSigningKey("ecdsa-p256");
  const pub = join(work, "cosign.pub");
  writeFileSync(pub, publicKeyToPem(trusted.publicKey));
  const policy = join(work, "policy.json");
  writeFileSync(policy, JSON.stringify({ default: [{ type: "reject" }], transports: { docker: { [`${registry.host}/bench`]: [{ type: "sigstoreSigned", keyPath: pub, signedIdentity: { type: "matchRepository" } }] } } }));
  const refs = Array.from({ length: N }, (_, i) => `${registry.host}/bench/team-${i % 5}/app-${Math.floor(i / 5) % 10}:v${Math.floor(i / 50)}`);
  const access = new ImageAccess();
  const buildStart = Date.now();
  await mapConcurrently(refs, 16, async (ref, i) => {
    const colon = ref.lastIndexOf(":");
    await createTestImage(await access.repositoryByName(ref.slice(0, colon)), ref.slice(colon + 1), { content: `bench ${i}` });
  });
  const tamper = async (_payload: Buffer, signature: Buffer) => {
    const changed = Buffer.from(signature);
    changed[changed.length - 1]! ^= 0xff;
    return { [CosignAnnotation.signature]: changed.toString("base64") };
  };
  await signImages(access, refs.filter((_, i) => i % 4 === 0), { key: trusted }, 16);
  await signImages(access, refs.filter((_, i) => i % 4 === 2), { key: trusted, layerAnnotations: tamper }, 16);
  await signImages(access, refs.filter((_, i) => i % 4 === 3), { key: other }, 16);
  await access.close();
  const say = (line: string) => process.stderr.write(`${line}\n`);
  say(`built and signed ${N} images in ${((Date.now() - buildStart) / 1000).toFixed(1)} s (load average ${loadavg()[0]!.toFixed(2)})`);

  const modes: Record<string, string[]> = {
    key: ["--key", pub, "--insecure-ignore-tlog"],
    policy: ["--policy", policy, "--use-sigstore-attachments", "--registries-d", join(work, "none")],
  };
  const results: Record<string, { wallMs: number; imagesPerSecond: number; requestsPerImage: number }> = {};
  for (const [mode, flags] of Object.entries(modes)) {
    const runs: { wallMs: number; requests: number; total: number }[] = [];
    for (let r = 0; r < REPEAT; r++) {
      const out = join(work, `${mode}-${r}`);
      const started = process.hrtime.bigint();
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [SIGNET_BIN, "audit", "--registry", `${registry.host}/bench`, ...flags, "--output-dir", out, "--max-workers", WORKERS], { stdio: "ignore" });
        child.once("error", reject);
        child.once("exit", () => resolve());
      });
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const report = JSON.parse(readFileSync(join(out, "audit.json"), "utf8")) as AuditReport;
      if (report.totals.total !== N) throw new Error(`the audit reported ${report.totals.total} images, not ${N}`);
      runs.push({ wallMs, requests: report.run.registryRequests, total: report.totals.total });
    }
    runs.sort((a, b) => a.wallMs - b.wallMs);
    const median = runs[Math.floor(runs.length / 2)]!;
    results[mode] = { wallMs: median.wallMs, imagesPerSecond: (median.total * 1000) / median.wallMs, requestsPerImage: median.requests / median.total };
    say(`audit --${mode === "key" ? "key" : "policy"}: ${N} images in ${(median.wallMs / 1000).toFixed(2)} s (median of ${REPEAT}, whole CLI run): ${results[mode]!.imagesPerSecond.toFixed(0)} images/s, ${results[mode]!.requestsPerImage.toFixed(2)} registry requests/image`);
  }
  if (values.json === true) process.stdout.write(`${JSON.stringify({ images: N, workers: Number(WORKERS), results }, null, 2)}\n`);
} finally {
  await registry.stop();
  rmSync(work, { recursive: true, force: true });
}
