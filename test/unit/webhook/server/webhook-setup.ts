import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parseWebhookConfig } from "../../../../src/webhook/config/load-config.js";
import { createServingCertificates } from "../../../../src/webhook/server/certificates/serving-certificates.js";
import type { EvaluateImage } from "../../../../src/webhook/server/image-checker.js";
import { createWebhookLogger } from "../../../../src/webhook/server/logger.js";
import { serveWebhook, type RunningWebhook, type ServeWebhookOptions } from "../../../../src/webhook/server/serve.js";

/** A ClusterImagePolicy requiring a signature by a (fresh) key for every image under `glob`. */
export function keyPolicyYaml(name: string, glob: string, publicKeyPem?: string, mode: "enforce" | "warn" = "enforce"): string {
  const pem = publicKeyPem ?? generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();
  return [
    "apiVersion: policy.sigstore.dev/v1beta1",
    "kind: ClusterImagePolicy",
    "metadata:",
    `  name: ${name}`,
    "spec:",
    `  mode: ${mode}`,
    "  images:",
    `  - glob: "${glob}"`,
    "  authorities:",
    "  - key:",
    "      data: |",
    ...pem.trim().split("\n").map((line) => `        ${line}`),
    "",
  ].join("\n");
}

export interface TestWebhook {
  webhook: RunningWebhook;
  dir: string;
  ca: string;
  policyFile: string;
  certFile: string;
  keyFile: string;
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
}

/** Starts the webhook in this process on a loopback port, with a fresh certificate and the given policies and settings. */
export async function startTestWebhook(options: {
  evaluateImage: EvaluateImage;
  policyYaml?: string;
  settings?: Record<string, unknown>;
  processMetrics?: boolean;
  clusterImagePolicyWatch?: ServeWebhookOptions["clusterImagePolicyWatch"];
}): Promise<TestWebhook> {
  const dir = mkdtempSync(join(tmpdir(), "signet-webhook-test-"));
  const certs = createServingCertificates({ service: "signet-webhook", namespace: "signet-system" });
  const certFile = join(dir, "tls.crt");
  const keyFile = join(dir, "tls.key");
  writeFileSync(certFile, certs.certPem);
  writeFileSync(keyFile, certs.keyPem);
  const policyFile = join(dir, "policies.yaml");
  writeFileSync(policyFile, options.policyYaml ?? keyPolicyYaml("signed-images", "**"));
  const config = parseWebhookConfig(
    { port: 1, address: "127.0.0.1", tlsCertFile: certFile, tlsKeyFile: keyFile, policy: [policyFile], tlsReloadInterval: "60s", policyReloadInterval: "60s", ...options.settings },
    "test",
  );
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") logs.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  const logger = await createWebhookLogger({ level: "debug", destination });
  const webhook = await serveWebhook({ config: { ...config, port: 0, metricsPort: 0 }, evaluateImage: options.evaluateImage, logger, env: {}, processMetrics: options.processMetrics ?? false, ...(options.clusterImagePolicyWatch !== undefined ? { clusterImagePolicyWatch: options.clusterImagePolicyWatch } : {}) });
  return { webhook, dir, ca: certs.caCertPem, policyFile, certFile, keyFile, logs };
}
