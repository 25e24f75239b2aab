// The webhook's key cache against the fake API server: a key Secret is read once and then watched; a change to
// it (a rotated key, a deletion) reloads the policies with the new key, and reloads in between read no Secret
// from the API. KMS keys are resolved once per URI; failures are not kept. A refused watch falls back to a GET.
import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import type { SignetError } from "../../../../src/errors/index.js";
import { publicKeyToPem } from "../../../../src/keys/index.js";
import { createKubeClient, type KubeClient } from "../../../../src/webhook/kube/kube-client.js";
import { createWebhookKeyCache, type WebhookKeyCache } from "../../../../src/webhook/server/key-cache.js";
import { createWebhookLogger, type WebhookLogger } from "../../../../src/webhook/server/logger.js";
import { loadPolicyState } from "../../../../src/webhook/server/policy-loader.js";
import type { PolicyState } from "../../../../src/webhook/server/policy-state.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { eventually } from "../../../helpers/eventually.js";
import { startFakeApiServer, type FakeApiServer } from "../kube/fake-apiserver.js";

const NS = "signet-system";
const SECRETS = `api/v1/namespaces/${NS}/secrets`;

function secret(name: string, publicKey: KeyObject): Record<string, unknown> {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: NS }, data: { "cosign.pub": Buffer.from(publicKeyToPem(publicKey)).toString("base64") } };
}

describe("the webhook's key cache", () => {
  let api: FakeApiServer;
  let client: KubeClient;
  let logger: WebhookLogger;
  let policyFile: string;
  const caches: WebhookKeyCache[] = [];
  const newKey = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;

  before(async () => {
    api = await startFakeApiServer();
    client = createKubeClient({ kubeconfig: api.kubeconfig, env: {}, timeoutMs: 5_000 });
    logger = await createWebhookLogger({ level: "error", destination: new Writable({ write: (_chunk, _encoding, callback) => callback() }) });
    const dir = mkdtempSync(join(tmpdir(), "signet-key-cache-"));
    policyFile = join(dir, "policy.yaml");
    writeFileSync(
      policyFile,
      `apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata: {name: signed}\nspec:\n  images: [{glob: "**"}]\n  authorities:\n    - key: {secretRef: {name: release-key}}\n`,
    );
  });
  after(async () => {
    for (const cache of caches) cache.close();
    await client.close();
    await api.stop();
  });

  const start = (onChange: () => void, env: NodeJS.ProcessEnv = {}) => {
    const cache = createWebhookKeyCache({ client: () => client, logger, onChange, env, timeoutMs: 5_000, backoff: { initialMs: 20, maxMs: 100 }, watchTimeoutSeconds: 60 });
    caches.push(cache);
    return cache;
  };
  const load = (cache: WebhookKeyCache): Promise<PolicyState> =>
    loadPolicyState({ policyPaths: [policyFile], policyJsonPath: undefined, noMatchAction: "deny", systemNamespace: NS, kubeconfig: api.kubeconfig, env: {}, timeoutMs: 5_000, trustVersion: "none", keyCache: cache } as Parameters<typeof loadPolicyState>[0]);
  const keyOf = (state: PolicyState): KeyObject | string => {
    const authority = state.clusterImagePolicies.policies[0]!.authorities[0]!;
    return authority.type === "key" ? authority.publicKeys[0]! : `${authority.type}:${"code" in authority ? String(authority.code) : ""}`;
  };
  /** Lists and GETs of Secrets (a watch, which only streams changes, is not a read). */
  const secretReads = () => api.requests.filter((line) => line.startsWith(`GET /${SECRETS}`) && !line.includes("watch=true")).length;

  test("read once, watched: a rotated or deleted Secret reloads the policies; reloads in between read nothing", async () => {
    const first = newKey();
    api.apply(SECRETS, secret("release-key", first));
    let changes = 0;
    const cache = start(() => changes++);
    const state = await load(cache);
    assert.ok((keyOf(state) as KeyObject).equals(first));
    await eventually(() => api.watchCount > 0, "the Secret is watched");
    assert.ok(api.requests.some((line) => line.startsWith(`GET /${SECRETS}?`) && line.includes("fieldSelector=metadata.name%3Drelease-key")), "narrowed to the one Secret");

    const reads = secretReads();
    const again = await load(cache);
    assert.equal(secretReads(), reads, "a reload reads the watched copy, not the API");
    assert.equal(again.version, state.version);

    const rotated = newKey();
    api.apply(SECRETS, secret("release-key", rotated));
    await eventually(() => changes === 1, "the change is reported");
    const reloaded = await load(cache);
    assert.ok((keyOf(reloaded) as KeyObject).equals(rotated));
    assert.notEqual(reloaded.version, state.version, "new key material, new policy version (cached verdicts are not reused)");

    api.remove(SECRETS, "release-key");
    await eventually(() => changes === 2, "the deletion is reported");
    assert.equal(keyOf(await load(cache)), "unavailable:POLICY_KEY_UNREADABLE", "fails closed without its key");
    api.apply(SECRETS, secret("release-key", first));
    await eventually(() => changes === 3, "the re-creation is reported");
    assert.ok((keyOf(await load(cache)) as KeyObject).equals(first));
  });

  test("policy.json's k8s:// keyPath reads the same watched copy: a rotation reloads it with a new version", async () => {
    api.apply(SECRETS, secret("json-key", newKey()));
    const dir = mkdtempSync(join(tmpdir(), "signet-key-cache-json-"));
    const policyJson = join(dir, "policy.json");
    writeFileSync(policyJson, JSON.stringify({ default: [{ type: "reject" }], transports: { docker: { "": [{ type: "sigstoreSigned", keyPath: `k8s://${NS}/json-key`, signedIdentity: { type: "matchRepository" } }] } } }));
    let changes = 0;
    const cache = start(() => changes++);
    const loadJson = () =>
      loadPolicyState({ policyPaths: [], policyJsonPath: policyJson, noMatchAction: "deny", systemNamespace: NS, kubeconfig: api.kubeconfig, env: {}, timeoutMs: 5_000, trustVersion: "none", keyCache: cache } as Parameters<typeof loadPolicyState>[0]);
    const first = await loadJson();
    await eventually(() => api.requests.some((line) => line.includes("watch=true") && line.includes("json-key")), "the Secret is watched");
    const reads = secretReads();
    assert.equal((await loadJson()).policyJson?.version, first.policyJson?.version);
    assert.equal(secretReads(), reads, "a reload reads the watched copy");
    api.apply(SECRETS, secret("json-key", newKey()));
    await eventually(() => changes === 1, "the change is reported");
    assert.notEqual((await loadJson()).policyJson?.version, first.policyJson?.version);
  });

  test("a watch the API server refuses (RBAC without list) falls back to a GET per load", async () => {
    const key = newKey();
    api.apply(SECRETS, secret("release-key", key));
    api.failNext(`GET /${SECRETS}`, 403, 1);
    const cache = start(() => undefined);
    const state = await load(cache);
    assert.ok((keyOf(state) as KeyObject).equals(key));
    assert.ok(api.requests.some((line) => line === `GET /${SECRETS}/release-key`), "read with a GET");
  });

  test("a KMS key is resolved once per URI; a failure is not kept", async () => {
    const key = newKey();
    const cache = start(() => undefined, { SIGNET_TEST_PUB: publicKeyToPem(key) });
    // Any reference of the grammar resolves the same way; env:// stands in for a provider in this unit test.
    const once = cache.kmsPublicKey("env://SIGNET_TEST_PUB");
    assert.equal(cache.kmsPublicKey("env://SIGNET_TEST_PUB"), once, "resolved once");
    assert.ok((await once).equals(key));
    // No provider is built in (keys/kms): KEY_REF_UNSUPPORTED, asked again next time rather than remembered.
    const { openKmsKey } = await import("../../../../src/keys/kms/index.js");
    const built = await openKmsKey("awskms:///alias/x").then(() => true, (error: SignetError) => error.code !== "KEY_REF_UNSUPPORTED");
    if (!built) {
      await assertRejectsWithCode(() => cache.kmsPublicKey("awskms:///alias/x"), "KEY_REF_UNSUPPORTED");
      await assertRejectsWithCode(() => cache.kmsPublicKey("awskms:///alias/x"), "KEY_REF_UNSUPPORTED");
    }
    const first = cache.kmsPublicKey("gitlab://not-a-kms");
    await assertRejectsWithCode(() => first, "KEY_REF_UNSUPPORTED");
    const second = cache.kmsPublicKey("gitlab://not-a-kms");
    second.catch(() => undefined);
    assert.notEqual(second, first, "a failure is not cached");
  });
});
