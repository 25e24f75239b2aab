import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Digest } from "../../src/internal/digest.js";
import { generateSigningKey, publicKeyToPem, signWithKey, type SigningKey } from "../../src/keys/index.js";
import { ImageAccess } from "../../src/oci/image-access.js";
import { attachSignatureLayer } from "../../src/signatures/cosign/attach.js";
import { signImage } from "../../src/signatures/cosign/sign-image.js";
import { CosignAnnotation } from "../../src/signatures/cosign/signature-manifest.js";
import { createSimpleSigningPayload } from "../../src/signatures/payload/simple-signing.js";
import { createServingCertificates } from "../../src/webhook/server/certificates/serving-certificates.js";
import { SIGNET_BIN } from "../helpers/peers.js";
import type { HttpsTarget } from "../unit/webhook/server/https-client.js";
import { keyPolicyYaml } from "../unit/webhook/server/webhook-setup.js";

export { keyPolicyYaml };

/** A `signet webhook serve` child process on a loopback port, its logs parsed. */
export interface WebhookProcess {
  readonly port: number;
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  readonly target: HttpsTarget;
  /** Sends SIGTERM (unless one was sent already) and waits for the exit code. */
  stop(): Promise<number | null>;
  /** Sends SIGTERM now; stop() then only waits. */
  terminate(): void;
  /** The plain-HTTP metrics port. */
  readonly metricsPort: number;
  /** Prometheus text of /metrics (from the metrics port). */
  metrics(): Promise<string>;
}

export interface WebhookFiles {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly caPem: string;
  readonly policyDir: string;
}

/** A directory with a serving certificate and a policy folder. */
export function webhookFiles(policies: Record<string, string>): WebhookFiles {
  const dir = mkdtempSync(join(tmpdir(), "signet-webhook-it-"));
  const certs = createServingCertificates({ service: "signet-webhook", namespace: "signet-system" });
  const certFile = join(dir, "tls.crt");
  const keyFile = join(dir, "tls.key");
  writeFileSync(certFile, certs.certPem);
  writeFileSync(keyFile, certs.keyPem);
  const policyDir = join(dir, "policies");
  mkdirSync(policyDir);
  for (const [name, text] of Object.entries(policies)) writeFileSync(join(policyDir, name), text);
  return { dir, certFile, keyFile, caPem: certs.caCertPem, policyDir };
}

/** Starts `bin/signet webhook serve --port 0 …` and waits until it logs that it serves (no --policy when policyDir is ""). */
export async function startWebhookProcess(files: WebhookFiles, extraArgs: string[] = []): Promise<WebhookProcess> {
  const nodeFlags = process.env["SIGNET_WEBHOOK_NODE_FLAGS"]?.split(" ").filter((flag) => flag !== "") ?? [];
  const args = [...nodeFlags, SIGNET_BIN, "webhook", "serve", "--port", "0", "--metrics-port", "0", "--address", "127.0.0.1", "--tls-cert-file", files.certFile, "--tls-key-file", files.keyFile, ...(files.policyDir === "" ? [] : ["--policy", files.policyDir]), ...extraArgs];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, POD_NAMESPACE: "signet-system" } });
  const logs: Record<string, unknown>[] = [];
  let stderr = "";
  let buffered = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  let metricsPort = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      buffered += d;
      let newline;
      while ((newline = buffered.indexOf("\n")) !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim() === "") continue;
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (entry["msg"] === "webhook serving") {
            metricsPort = entry["metricsPort"] as number;
            resolve(entry["port"] as number);
          }
        } catch {
          stderr += `${line}\n`;
        }
      }
    });
    child.once("exit", (code) => reject(new Error(`signet webhook serve exited with ${code} before serving: ${stderr}${JSON.stringify(logs.slice(-3))}`)));
    setTimeout(() => reject(new Error(`signet webhook serve did not start in time: ${stderr}`)), 15_000).unref();
  });
  const target: HttpsTarget = { port, ca: files.caPem };
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let terminated = false;
  const terminate = () => {
    if (terminated || child.exitCode !== null || child.signalCode !== null) return;
    terminated = true;
    child.kill("SIGTERM");
  };
  return {
    port,
    metricsPort,
    child,
    logs,
    target,
    terminate,
    async stop() {
      process.removeListener("exit", kill);
      terminate();
      return exited;
    },
    async metrics() {
      const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      return response.text();
    },
  };
}

/** The value of one Prometheus sample (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).match(/^\{([^}]*)\}/)?.[1] ?? "";
    const present = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

export interface SigningSetup {
  readonly key: SigningKey;
  readonly publicKeyPem: string;
  sign(image: string, options?: { signContainerIdentity?: string }): Promise<void>;
  /** Attaches to `image` a valid signature, by this key, of another digest (a transplanted signature, B.15). */
  transplant(image: string, signedDigest: Digest): Promise<void>;
  close(): Promise<void>;
}

/** A fresh ECDSA key that signs images in the registry, cosign-style. */
export function signingSetup(): SigningSetup {
  const key = generateSigningKey("ecdsa-p256");
  const access = new ImageAccess();
  return {
    key,
    publicKeyPem: publicKeyToPem(key.publicKey),
    async sign(image, options = {}) {
      await signImage(access, image, { key, ...(options.signContainerIdentity !== undefined ? { signContainerIdentity: options.signContainerIdentity } : {}) });
    },
    async transplant(image, signedDigest) {
      const resolved = await access.resolve(image);
      const payload = createSimpleSigningPayload({ dockerReference: resolved.identity, manifestDigest: signedDigest });
      await attachSignatureLayer(resolved.repository, resolved.digest, { payload, annotations: { [CosignAnnotation.signature]: signWithKey(key, payload).toString("base64") } });
    },
    close: () => access.close(),
  };
}
