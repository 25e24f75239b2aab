// The real `signet webhook serve` process as a deployment runs it: the sigstore trust root is fetched only when
// a keyless policy is in force (key-only policies never touch TUF), and metrics are served on their own port.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { keyPolicyYaml, startWebhookProcess, webhookFiles } from "./webhook-server-harness.js";

const KEYLESS_POLICY = `apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata: {name: keyless}
spec:
  images: [{glob: "registry.example.com/**"}]
  authorities:
    - keyless:
        identities: [{issuer: "https://token.actions.githubusercontent.com", subject: "https://github.com/org/repo/.github/workflows/release.yaml@refs/heads/main"}]
`;

async function runFor(policy: string, ms: number): Promise<{ tufFiles: string[]; logs: Record<string, unknown>[]; metrics: string }> {
  const tufRoot = mkdtempSync(join(tmpdir(), "signet-tuf-"));
  process.env["SIGNET_TUF_ROOT"] = tufRoot;
  const webhook = await startWebhookProcess(webhookFiles({ "policy.yaml": policy }));
  delete process.env["SIGNET_TUF_ROOT"];
  try {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { tufFiles: readdirSync(tufRoot, { recursive: true }) as string[], logs: webhook.logs, metrics: await webhook.metrics() };
  } finally {
    assert.equal(await webhook.stop(), 0);
  }
}

describe("webhook deployment behaviour (real process)", () => {
  test("key-only policies: no trust root is loaded or downloaded", async () => {
    const { tufFiles, logs, metrics } = await runFor(keyPolicyYaml("keys", "registry.example.com/**"), 2_000);
    assert.deepEqual(tufFiles, [], "the TUF cache was not touched");
    assert.deepEqual(logs.filter((line) => /trust root/.test(String(line["msg"]))), []);
    assert.match(metrics, /^process_resident_memory_bytes \d+/m);
    assert.match(metrics, /^signet_webhook_policy_info\{/m);
  });

  test("a keyless policy: the trust root is asked for through TUF (the same check fails without it)", async () => {
    const { tufFiles, logs } = await runFor(KEYLESS_POLICY, 2_000);
    assert.ok(tufFiles.length > 0, `the TUF cache was initialised: ${JSON.stringify(logs.slice(-3))}`);
  });
});
