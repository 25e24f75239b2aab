// Attack/outage: the registry answers HTTP 500 once to each step of signing (HEAD/GET of manifests, opening and
// completing the blob upload, the manifest PUT). Each step is idempotent (content-addressed blobs and manifests; the
// .sig tag is re-read and merged afterwards), so signet retries it with backoff and the signer succeeds. A registry
// that keeps failing still fails the signer, with REGISTRY_ERROR, after a bounded number of tries.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jsonErrorCodes, runProgram, runSignet, type RunResult } from "../helpers/cli.js";
import { sendRegistryError, startFaultyProxy, type HostileRegistry, type RecordedRequest } from "../helpers/hostile-registry.js";
import { pushTestImage } from "../helpers/images.js";
import { cosignEnv, cosignPath } from "../helpers/peers.js";
import { startRegistry, type TestRegistry } from "../helpers/registry.js";

/** "PUT manifests", "POST uploads", "PATCH uploads", "HEAD blobs", … */
function stepOf(request: RecordedRequest): string {
  const kind = /\/blobs\/uploads\//.test(request.url) ? "uploads" : /\/manifests\//.test(request.url) ? "manifests" : /\/blobs\//.test(request.url) ? "blobs" : "other";
  return `${request.method} ${kind}`;
}

describe("signing through a registry that fails transiently (real registry behind a faulty proxy)", () => {
  let registry: TestRegistry;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const proxies: HostileRegistry[] = [];
  const signet = (args: string[]): Promise<RunResult> => runSignet(args, { env, cwd: dir });

  before(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "signet-transient-"));
    env = cosignEnv({ COSIGN_PASSWORD: "pw" });
    assert.equal((await signet(["generate-key-pair", "--output-key-prefix", "k"])).status, 0);
  });
  after(async () => {
    await Promise.all(proxies.map((proxy) => proxy.stop()));
    await registry.stop();
  });

  test("one HTTP 500 at every step of `signet sign`: retried, the signer exits 0, signet and cosign verify", async () => {
    const digest = await pushTestImage(registry.host, "transient/app", "v1", "transient-500");
    const failed = new Set<string>();
    const proxy = await startFaultyProxy(registry.host, (request, response) => {
      const step = stepOf(request);
      if (step.endsWith("other") || failed.has(step)) return false;
      failed.add(step);
      sendRegistryError(response, 500, "UNKNOWN", `injected failure of ${step}`);
      return true;
    });
    proxies.push(proxy);
    const signed = await signet(["sign", "--key", "k.key", "--tlog-upload=false", "--output-format", "json", `${proxy.host}/transient/app:v1`]);
    assert.equal(signed.status, 0, `${signed.stdout}\n${signed.stderr}`);
    for (const step of ["GET manifests", "HEAD blobs", "POST uploads", "PUT uploads", "PUT manifests"]) {
      assert.ok(failed.has(step), `no 500 was injected into ${step} (steps seen: ${[...failed].join(", ")})`);
    }
    const image = `${registry.host}/transient/app@${digest}`;
    const verified = await signet(["verify", "--key", "k.pub", "--insecure-ignore-tlog", "--output-format", "json", image]);
    assert.equal(verified.status, 0, verified.stdout);
    const cosign = await runProgram(cosignPath(), ["verify", "--key", "k.pub", "--insecure-ignore-tlog=true", image], { env, cwd: dir });
    assert.equal(cosign.status, 0, cosign.stderr);
  });

  test("a registry that keeps answering 500 to the upload fails the signer with REGISTRY_ERROR after bounded retries", async () => {
    await pushTestImage(registry.host, "transient/down", "v1", "transient-down");
    let refused = 0;
    const proxy = await startFaultyProxy(registry.host, (request, response) => {
      if (!stepOf(request).endsWith("uploads")) return false;
      refused++;
      sendRegistryError(response, 500, "UNKNOWN", "storage is down");
      return true;
    });
    proxies.push(proxy);
    const signed = await signet(["sign", "--key", "k.key", "--tlog-upload=false", "--output-format", "json", `${proxy.host}/transient/down:v1`]);
    assert.notEqual(signed.status, 0, signed.stdout);
    assert.deepEqual((JSON.parse(signed.stdout) as { error?: { code: string } }[]).map((o) => o.error?.code ?? "OK"), ["REGISTRY_ERROR"]);
    assert.ok(refused > 1 && refused <= 16, `${refused} upload requests`);
    const verified = await signet(["verify", "--key", "k.pub", "--insecure-ignore-tlog", "--output-format", "json", `${registry.host}/transient/down:v1`]);
    assert.deepEqual(jsonErrorCodes(verified.stdout), ["SIG_MISSING"]);
  });
});
