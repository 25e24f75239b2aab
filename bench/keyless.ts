// Keyless verification cost, offline: CPU per verify once the trust root is loaded (target < 5 ms), and the
// time to load the trust root from the TUF cache (target < 50 ms), with real public-good material from the
// vectors. Usage: node dist/bench/keyless.js [--iterations N]
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { verifyCosignKeylessLayer } from "../src/signatures/bundle/cosign-keyless-layer.js";
import { verifySigstoreBundle } from "../src/signatures/bundle/verify-bundle.js";
import { trustMaterialFromKeys } from "../src/trust/keys-trust-material.js";
import { parseTrustedRoot } from "../src/trust/parse-trusted-root.js";
import type { TrustMaterial } from "../src/trust/trust-material.js";
import { cachedTrustedRootPath, embeddedTrustDir, loadTrustedRoot } from "../src/trust/trusted-root.js";
import { VECTORS } from "../test/helpers/peers.js";

const { values } = parseArgs({ options: { iterations: { type: "string" } } });
const iterations = Number(values.iterations ?? 200);

const CONFORMANCE = join(VECTORS, "sigstore__sigstore-conformance", "test", "assets", "bundle-verify");
const BEACON = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GITHUB_ACTIONS = "https://token.actions.githubusercontent.com";

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function measure(label: string, runs: number, action: () => void): number {
  const cpuStart = cpuMs();
  const wallStart = performance.now();
  for (let i = 0; i < runs; i++) action();
  const cpu = (cpuMs() - cpuStart) / runs;
  const wall = (performance.now() - wallStart) / runs;
  console.log(`${label.padEnd(78)} ${cpu.toFixed(2).padStart(6)} ms CPU ${wall.toFixed(2).padStart(6)} ms wall (${runs} runs)`);
  return cpu;
}

async function measureAsync(label: string, runs: number, action: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(5, runs); i++) await action();
  const cpuStart = cpuMs();
  const wallStart = performance.now();
  for (let i = 0; i < runs; i++) await action();
  const cpu = (cpuMs() - cpuStart) / runs;
  const wall = (performance.now() - wallStart) / runs;
  console.log(`${label.padEnd(78)} ${cpu.toFixed(2).padStart(6)} ms CPU ${wall.toFixed(2).padStart(6)} ms wall (${runs} runs)`);
  return wall;
}

// Trust root from the cache: a TUF cache holding the public-good trusted_root.json, read offline.
const cacheDir = mkdtempSync(join(tmpdir(), "signet-bench-tuf-"));
const cachedPath = cachedTrustedRootPath(cacheDir, "https://tuf-repo-cdn.sigstore.dev");
mkdirSync(dirname(cachedPath), { recursive: true });
writeFileSync(cachedPath, readFileSync(join(embeddedTrustDir(), "public-good", "trusted_root.json")));
const firstStart = performance.now();
await loadTrustedRoot({ offline: true, tufCacheDir: cacheDir });
console.log(`${"trust root: first load from the TUF cache (cold modules)".padEnd(78)} ${(performance.now() - firstStart).toFixed(2).padStart(7)} ms wall`);
const loadWall = await measureAsync("trust root: load from the TUF cache (offline)", 50, () => loadTrustedRoot({ offline: true, tufCacheDir: cacheDir }));

/**
 * Each case verifies with trust material it is given. "first" runs use a fresh copy of the trust material each
 * time (parsed before the clock starts), so no signature check is remembered: the cost of verifying a signature
 * never seen. "repeat" runs reuse one copy, as a long-running verifier (the webhook) does.
 */
interface Case {
  readonly label: string;
  readonly trust: () => TrustMaterial;
  readonly run: (trust: TrustMaterial) => void;
}
const cases: Case[] = [];
const prodJson = readFileSync(join(embeddedTrustDir(), "public-good", "trusted_root.json"));
for (const name of ["happy-path-v0.3", "happy-path-intoto-in-dsse-v3"]) {
  const bundle = JSON.parse(readFileSync(join(CONFORMANCE, name, "bundle.sigstore.json"), "utf8")) as unknown;
  const artifact = readFileSync(join(CONFORMANCE, "a.txt"));
  cases.push({
    label: `bundle ${name} (Rekor v1 SET + proof, SCT, chain)`,
    trust: () => parseTrustedRoot(prodJson, "PROD"),
    run: (trust) => verifySigstoreBundle(bundle, { bytes: artifact }, { kind: "identity", subject: BEACON, issuer: GITHUB_ACTIONS }, trust),
  });
}
{
  const dir = join(CONFORMANCE, "rekor2-happy-path");
  const rootJson = readFileSync(join(dir, "trusted_root.json"));
  const bundle = JSON.parse(readFileSync(join(dir, "bundle.sigstore.json"), "utf8")) as unknown;
  const artifact = readFileSync(join(CONFORMANCE, "a.txt"));
  cases.push({
    label: "bundle rekor2-happy-path (Rekor v2 checkpoint, RFC 3161)",
    trust: () => parseTrustedRoot(rootJson, "rekor2 root"),
    run: (trust) => verifySigstoreBundle(bundle, { bytes: artifact }, { kind: "identity", subject: BEACON, issuer: GITHUB_ACTIONS }, trust),
  });
}
{
  const fixtures = join(VECTORS, "containers__image", "signature", "fixtures");
  const raw = readFileSync(join(fixtures, "dir-img-cosign-fulcio-rekor-valid", "signature-1"));
  const signature = JSON.parse(raw.subarray(raw.indexOf(10) + 1).toString("utf8")) as { payload: string; annotations: Record<string, string> };
  const fulcioCaPem = readFileSync(join(fixtures, "fulcio_v1.crt.pem"));
  const rekorPublicKeyPem = readFileSync(join(fixtures, "rekor.pub"));
  const a = signature.annotations;
  const layer = {
    payload: Buffer.from(signature.payload, "base64"),
    signatureBase64: a["dev.cosignproject.cosign/signature"]!,
    certificatePem: a["dev.sigstore.cosign/certificate"]!,
    chainPem: a["dev.sigstore.cosign/chain"]!,
    rekorBundleJson: a["dev.sigstore.cosign/bundle"]!,
  };
  cases.push({
    label: "cosign .sig layer, Fulcio cert + chain annotation + Rekor SET",
    trust: () => trustMaterialFromKeys({ fulcioCaPem, rekorPublicKeyPem }),
    run: (trust) => verifyCosignKeylessLayer(layer, { kind: "identity", subject: "mitr@redhat.com", issuer: "https://github.com/login/oauth" }, trust),
  });
}

function measureFirst(entry: Case): number {
  for (let i = 0; i < 10; i++) entry.run(entry.trust()); // warm up the code, not the trust material
  const trusts = Array.from({ length: iterations }, () => entry.trust());
  let index = 0;
  return measure(`first verify: ${entry.label}`, iterations, () => entry.run(trusts[index++ % trusts.length]!));
}

function measureRepeat(entry: Case): number {
  const trust = entry.trust();
  return measure(`repeat verify: ${entry.label}`, iterations, () => entry.run(trust));
}

const firstCpu = cases.map(measureFirst);
const repeatCpu = cases.map(measureRepeat);
console.log("");
console.log(`keyless verify CPU, first time a signature is seen (worst case above): ${Math.max(...firstCpu).toFixed(2)} ms (target < 5 ms)`);
console.log(`keyless verify CPU, repeated (worst case above): ${Math.max(...repeatCpu).toFixed(2)} ms`);
console.log(`trust root load from cache: ${loadWall.toFixed(2)} ms (target < 50 ms)`);
