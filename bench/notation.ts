// Notation verification cost: CPU per signature verify after start-up, for a chain of three (root,
// intermediate, leaf) whose leaf names a CRL that is already cached (target < 5 ms), in JWS and COSE, with
// the envelope parse included; and the first verify with an empty CRL cache (one fetch) for comparison.
// Usage: node dist/bench/notation.js [--iterations N]
import { createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { localNotationSigner, signNotation } from "../src/signatures/notation/sign-notation.js";
import { parseTrustPolicy } from "../src/signatures/notation/trust-policy.js";
import { parseCertificateFile } from "../src/signatures/notation/trust-store-files.js";
import { verifyNotationEnvelopeBytes } from "../src/signatures/notation/notation-requirement.js";
import { checkChainRevocation } from "../src/signatures/notation/revocation.js";
import { startRevocationAuthority } from "../test/helpers/notation.js";

const { values } = parseArgs({ options: { iterations: { type: "string" } } });
const iterations = Number(values.iterations ?? 300);

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const authority = await startRevocationAuthority({ intermediate: true });
try {
  const { keyPath, chainPath } = authority.issue("bench", { crl: true, ocsp: false });
  const chain = parseCertificateFile(readFileSync(chainPath), chainPath);
  const root = parseCertificateFile(readFileSync(authority.rootPath), authority.rootPath);
  const signer = localNotationSigner(createPrivateKey(readFileSync(keyPath)), chain.map((certificate) => certificate.der));
  const subject = { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: `sha256:${"ab".repeat(32)}`, size: 1234 };
  const statement = parseTrustPolicy({ version: "1.0", trustPolicies: [{ name: "bench", registryScopes: ["*"], signatureVerification: { level: "strict" }, trustStores: ["ca:bench"], trustedIdentities: ["x509.subject:C=US,ST=WA,O=Notary"] }] }).statements[0]!;
  const trustStores = { certificates: (type: string, name: string) => (type === "ca" && name === "bench" ? root : undefined) };
  const cacheDir = mkdtempSync(join(tmpdir(), "signet-bench-crl-"));
  console.log(`Notation verify, chain of ${chain.length}, strict (revocation by CRL), ${iterations} runs each; machine load ${(await import("node:os")).loadavg()[0]!.toFixed(2)}`);
  for (const format of ["jws", "cose"] as const) {
    const { envelope, mediaType } = await signNotation(signer, { format, subject });
    const verify = async () => (await verifyNotationEnvelopeBytes(mediaType, envelope, subject, statement, { trustStores, checkRevocation: (chain) => checkChainRevocation(chain, { cacheDir }) })).verification;
    const first = performance.now();
    const cold = await verify();
    if (!cold.verified) throw new Error(`the benchmark's signature did not verify: ${JSON.stringify(cold.outcomes)}`);
    const coldMs = performance.now() - first;
    for (let i = 0; i < 20; i++) await verify();
    const requestsBefore = authority.crlRequests();
    const cpuStart = cpuMs();
    const wallStart = performance.now();
    for (let i = 0; i < iterations; i++) await verify();
    const cpu = (cpuMs() - cpuStart) / iterations;
    const wall = (performance.now() - wallStart) / iterations;
    const fetched = authority.crlRequests() - requestsBefore;
    console.log(`${format.toUpperCase().padEnd(5)} verify, CRL cached: ${cpu.toFixed(2).padStart(6)} ms CPU ${wall.toFixed(2).padStart(6)} ms wall per signature (target < 5 ms CPU: ${cpu < 5 ? "met" : "NOT met"}); CRL fetches during the runs: ${fetched}; first verify (CRL fetched): ${coldMs.toFixed(1)} ms wall`);
  }
} finally {
  await authority.stop();
}
