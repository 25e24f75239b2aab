// npm run bench:policy: the cost of policy evaluation and of GPG signature verification, in process, with
// fetchers that answer from memory (no registry, no disk), so that only signet's own work is measured.
//   1. scope lookup alone, for policies of 10 to 100,000 scopes (it must not grow with the number of scopes);
//   2. evaluatePolicy for N images (default 10,000) against a policy of S scopes (default 1,000) whose
//      requirements are reject / insecureAcceptAnything: the engine's overhead per image;
//   3. the same images, every scope a signedBy GPG requirement and every image carrying one valid signature:
//      the full cost of a signedBy decision (signature parse, verify, payload parse, identity match);
//   4. verifyGpgSignature alone, per key type, after the keyring is parsed (the issue's "< 5 ms per verify").
// Usage: node dist/bench/policy.js [--images N] [--scopes S] [--verifies V]
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import * as openpgp from "openpgp";
import { parseDigest, type Digest } from "../src/internal/digest.js";
import { formatImageReference, parseImageReference, type ImageLocation } from "../src/oci/reference/index.js";
import { compilePolicy, dockerPolicyIdentity, evaluatePolicy, lookupScope, parsePolicy, type CompiledPolicy, type PolicyFetchers, type UntrustedGpgSignature } from "../src/policy/index.js";
import { parseGpgKeyring, signAtomicPayload, verifyGpgSignature } from "../src/signatures/simplesigning/gpg.js";
import { createAtomicPayload } from "../src/signatures/simplesigning/payload.js";

const { values } = parseArgs({ options: { images: { type: "string" }, scopes: { type: "string" }, verifies: { type: "string" } } });
const imageCount = Number(values.images ?? 10_000);
const scopeCount = Number(values.scopes ?? 1_000);
const verifyCount = Number(values.verifies ?? 2_000);

const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
const msText = (ms: number): string => `${ms.toFixed(3)} ms`;

function digestOf(text: string): Digest {
  return parseDigest(`sha256:${createHash("sha256").update(text).digest("hex")}`);
}

/** Scopes spread like a real fleet: repositories and namespaces on 20 registries, a few wildcards, a "" scope. */
function scopeNames(count: number): string[] {
  const names: string[] = [];
  for (let i = 0; names.length < count; i++) {
    const registry = `registry${i % 20}.example.com`;
    if (i % 50 === 0) names.push(`*.zone${i % 7}.example.net`);
    else if (i % 10 === 0) names.push(`${registry}/team${i}`);
    else names.push(`${registry}/team${i}/app${i % 5}`);
  }
  return names.slice(0, count);
}

/** Images that hit repository scopes, namespace scopes, wildcard scopes and the default, in a fixed mix. */
function imageNames(count: number, scopes: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const team = i % Math.ceil(scopes * 1.1); // about 10% name no configured team: namespace, wildcard or default
    switch (i % 4) {
      case 0:
        return `registry${team % 20}.example.com/team${team}/app${team % 5}:v${i}`;
      case 1: {
        const namespace = team - (team % 10);
        return `registry${namespace % 20}.example.com/team${namespace}/sub/app:v${i}`;
      }
      case 2:
        return `host${i % 9}.zone${i % 7}.example.net/app:v${i}`;
      default:
        return `registry${team % 20}.example.com/team${team}/app${team % 5}@${digestOf(`image ${i}`)}`;
    }
  });
}

async function compile(scopes: readonly string[], requirement: (index: number) => unknown, readKey: PolicyFetchers["readKey"]): Promise<CompiledPolicy> {
  const docker: Record<string, unknown> = { "": [{ type: "reject" }] };
  scopes.forEach((scope, index) => (docker[scope] = [requirement(index)]));
  return compilePolicy(parsePolicy(JSON.stringify({ default: [{ type: "reject" }], transports: { docker } }), { source: "bench-policy.json" }), { readKey });
}

function memoryFetchers(signatures: ReadonlyMap<string, UntrustedGpgSignature[]>, keyring: Buffer): PolicyFetchers {
  return {
    resolveManifestDigest: (image) => Promise.resolve(image.transport === "docker" && image.reference.digest !== undefined ? image.reference.digest : digestOf(formatImage(image))),
    gpgSignatures: (image) => Promise.resolve({ signatures: signatures.get(formatImage(image)) ?? [], searched: ["memory"] }),
    cosignSignatures: () => Promise.resolve({ signatures: [], searched: [] }),
    readKey: () => Promise.resolve(keyring),
  };
}

function formatImage(image: ImageLocation): string {
  return image.transport === "docker" ? formatImageReference(image.reference) : image.path;
}

interface EvaluationTimes {
  /** Mean over all images (total time / images). */
  perImageMs: number;
  medianMs: number;
  allowed: number;
  /** Which kinds of scope the images matched, e.g. "repository 4095, wildcard 2500". */
  kinds: string;
}

async function timeEvaluations(policy: CompiledPolicy, images: readonly ImageLocation[], fetchers: PolicyFetchers): Promise<EvaluationTimes> {
  for (const image of images.slice(0, 200)) await evaluatePolicy(image, policy, { fetchers }); // warm-up
  let allowed = 0;
  const kinds = new Map<string, number>();
  const samples: number[] = [];
  const start = performance.now();
  for (const image of images) {
    const before = performance.now();
    const decision = await evaluatePolicy(image, policy, { fetchers });
    samples.push(performance.now() - before);
    if (decision.allowed) allowed++;
    kinds.set(decision.scope.kind, (kinds.get(decision.scope.kind) ?? 0) + 1);
  }
  const perImageMs = (performance.now() - start) / images.length;
  samples.sort((a, b) => a - b);
  return { perImageMs, medianMs: samples[samples.length >> 1]!, allowed, kinds: [...kinds].map(([kind, count]) => `${kind} ${count}`).join(", ") };
}

async function main(): Promise<void> {
  console.log(`node ${process.version}; ${imageCount} images, ${scopeCount} scopes`);

  // 1. Scope lookup alone, by policy size.
  const lookupImages = imageNames(imageCount, scopeCount).map((text) => dockerPolicyIdentity("docker", parseImageReference(text)));
  for (const size of [10, 1_000, 100_000]) {
    const policy = await compile(scopeNames(size), () => ({ type: "reject" }), () => Promise.reject(new Error("no keys")));
    for (const identity of lookupImages.slice(0, 500)) lookupScope(policy, identity);
    const start = performance.now();
    const rounds = 5;
    for (let r = 0; r < rounds; r++) for (const identity of lookupImages) lookupScope(policy, identity);
    console.log(`scope lookup, ${size} scopes: ${us((performance.now() - start) / (rounds * lookupImages.length))} per image`);
  }

  const images = imageNames(imageCount, scopeCount).map((text): ImageLocation => ({ transport: "docker", reference: parseImageReference(text) }));

  // 2. Engine overhead: reject / insecureAcceptAnything.
  const simplePolicy = await compile(scopeNames(scopeCount), (i) => ({ type: i % 2 === 0 ? "insecureAcceptAnything" : "reject" }), () => Promise.reject(new Error("no keys")));
  const simple = await timeEvaluations(simplePolicy, images, memoryFetchers(new Map(), Buffer.alloc(0)));
  console.log(`evaluatePolicy, ${scopeCount} scopes of reject/insecureAcceptAnything: mean ${msText(simple.perImageMs)}, median ${msText(simple.medianMs)} per image (${simple.allowed} of ${images.length} allowed; scopes matched: ${simple.kinds})`);

  // 3. signedBy GPG everywhere, one valid signature per image (ed25519, as gpg makes by default).
  const { privateKey, publicKey } = await openpgp.generateKey({ type: "ecc", curve: "curve25519Legacy", userIDs: [{ name: "bench" }], format: "binary" });
  const signing = Date.now();
  const signatures = new Map<string, UntrustedGpgSignature[]>();
  const key = await openpgp.readPrivateKey({ binaryKey: privateKey });
  for (const image of images) {
    const name = formatImage(image);
    const digest = image.transport === "docker" && image.reference.digest !== undefined ? image.reference.digest : digestOf(name);
    const payload = createAtomicPayload({ dockerReference: name, manifestDigest: digest });
    signatures.set(name, [{ source: "memory", untrustedBytes: Buffer.from(await openpgp.sign({ message: await openpgp.createMessage({ binary: payload }), signingKeys: key, format: "binary" })) }]);
  }
  console.log(`(signed ${images.length} images in ${((Date.now() - signing) / 1000).toFixed(1)} s to set up)`);
  const gpgPolicy = await compile(scopeNames(scopeCount), () => ({ type: "signedBy", keyType: "GPGKeys", keyPath: "/bench/key.gpg" }), () => Promise.resolve(Buffer.from(publicKey)));
  const gpg = await timeEvaluations(gpgPolicy, images, memoryFetchers(signatures, Buffer.from(publicKey)));
  console.log(`evaluatePolicy, ${scopeCount} scopes of signedBy GPGKeys, one valid signature each: mean ${msText(gpg.perImageMs)}, median ${msText(gpg.medianMs)} per image (${gpg.allowed} of ${images.length} allowed)`);

  // 4. verifyGpgSignature alone, per key type.
  const keyTypes: [string, Record<string, unknown>][] = [
    ["Ed25519 (gpg's default)", { type: "ecc", curve: "curve25519Legacy" }],
    ["ECDSA P-256", { type: "ecc", curve: "nistP256" }],
    ["RSA 3072", { type: "rsa", rsaBits: 3072 }],
  ];
  const payload = createAtomicPayload({ dockerReference: "registry.example.com/app:1", manifestDigest: digestOf("verify") });
  for (const [name, options] of keyTypes) {
    const generated = (await openpgp.generateKey({ userIDs: [{ name }], format: "binary", ...options } as Parameters<typeof openpgp.generateKey>[0] & { format: "binary" })) as unknown as { privateKey: Uint8Array; publicKey: Uint8Array };
    const signature = await signAtomicPayload(generated.privateKey, undefined, payload);
    const firstStart = performance.now();
    const keyring = await parseGpgKeyring(generated.publicKey);
    await verifyGpgSignature(keyring, signature);
    const firstMs = performance.now() - firstStart;
    const samples: number[] = [];
    for (let i = 0; i < verifyCount; i++) {
      const start = performance.now();
      await verifyGpgSignature(keyring, signature);
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    const p99 = samples[Math.floor(samples.length * 0.99)]!;
    console.log(`verifyGpgSignature, ${name}: mean ${msText(mean)}, median ${msText(samples[samples.length >> 1]!)}, p99 ${msText(p99)} per verify; first use (parse keyring + verify) ${msText(firstMs)}`);
  }
}

await main();
