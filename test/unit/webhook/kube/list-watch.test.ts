// The list/watch loop against a fake API server speaking the real wire protocol on loopback: paged LIST,
// chunked WATCH events, bookmarks, 410 Gone (as an ERROR event and as an expired continue token), server-side
// watch timeouts, API errors with backoff, and bounds.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { SignetError } from "../../../../src/errors/index.js";
import { createKubeClient, type KubeClient } from "../../../../src/webhook/kube/kube-client.js";
import { startListWatch, type ListWatch } from "../../../../src/webhook/kube/list-watch.js";
import { eventually } from "../../../helpers/eventually.js";
import { startFakeApiServer, type FakeApiServer } from "./fake-apiserver.js";

const CIPS = "apis/policy.sigstore.dev/v1beta1/clusterimagepolicies";
const PATH = `/${CIPS}`;

function cip(name: string, glob = "registry.example.com/**"): Record<string, unknown> {
  return { apiVersion: "policy.sigstore.dev/v1beta1", kind: "ClusterImagePolicy", metadata: { name }, spec: { images: [{ glob }], authorities: [{ static: { action: "pass" } }] } };
}

describe("list/watch against a fake API server", () => {
  let api: FakeApiServer;
  let client: KubeClient;
  const running: ListWatch[] = [];
  before(async () => {
    api = await startFakeApiServer();
    client = createKubeClient({ kubeconfig: api.kubeconfig, env: {}, timeoutMs: 5_000 });
  });
  after(async () => {
    for (const watch of running) watch.close();
    await client.close();
    await api.stop();
  });

  /** One list/watch at a time: an earlier test's watch must not take the failures injected for the next. */
  async function closeAll(): Promise<void> {
    for (const watch of running.splice(0)) watch.close();
    api.closeWatches();
    await eventually(() => api.watchCount === 0, "no watch open");
  }

  function start(overrides: { maxObjects?: number; pageSize?: number; watchTimeoutSeconds?: number; path?: string } = {}) {
    const changes: string[][] = [];
    const errors: SignetError[] = [];
    const watch = startListWatch({
      client,
      path: overrides.path ?? PATH,
      apiVersion: "policy.sigstore.dev/v1beta1",
      kind: "ClusterImagePolicy",
      maxObjects: overrides.maxObjects ?? 100,
      maxObjectBytes: 64 * 1024,
      pageSize: overrides.pageSize ?? 2,
      watchTimeoutSeconds: overrides.watchTimeoutSeconds ?? 60,
      backoff: { initialMs: 20, maxMs: 100 },
      onChange: (objects) => changes.push(objects.map((object) => (object["metadata"] as { name: string }).name)),
      onError: (error) => errors.push(error),
    });
    running.push(watch);
    const names = () => watch.objects().map((object) => (object["metadata"] as { name: string }).name);
    return { watch, changes, errors, names };
  }

  test("lists every page, then applies ADDED, MODIFIED and DELETED events from the list's resourceVersion", async () => {
    for (const name of ["a", "b", "c", "d", "e"]) api.remove(CIPS, name);
    for (const name of ["a", "b", "c", "d", "e"]) api.apply(CIPS, cip(name));
    const { watch, names, changes } = start();
    await watch.synced;
    assert.deepEqual(names(), ["a", "b", "c", "d", "e"]);
    assert.ok(api.requests.some((line) => line.startsWith(`GET ${PATH}?limit=2&continue=`)), "paged with continue tokens");
    await eventually(() => api.watchCount > 0, "a watch");
    const watchRequest = api.requests.findLast((line) => line.includes("watch=true"))!;
    assert.match(watchRequest, new RegExp(`resourceVersion=${watch.resourceVersion}`));
    assert.match(watchRequest, /allowWatchBookmarks=true/);

    api.apply(CIPS, cip("f"));
    await eventually(() => names().includes("f"), "f added");
    api.apply(CIPS, cip("a", "other.example.com/**"));
    await eventually(() => ((watch.objects()[0]!["spec"] as { images: { glob: string }[] }).images[0]!.glob === "other.example.com/**"), "a modified");
    api.remove(CIPS, "b");
    await eventually(() => !names().includes("b"), "b deleted");
    assert.deepEqual(names(), ["a", "c", "d", "e", "f"]);
    assert.equal(watch.objects()[0]!["kind"], "ClusterImagePolicy");
    assert.ok(changes.length >= 4);
    assert.equal(watch.resourceVersion, api.get(CIPS, "f") === undefined ? undefined : watch.resourceVersion);
  });

  test("a bookmark moves the resourceVersion; a watch the server ends is resumed from it without a new list", async () => {
    await closeAll();
    const { watch, names } = start({ watchTimeoutSeconds: 1 });
    await watch.synced;
    await eventually(() => api.watchCount > 0, "a watch");
    const lists = api.requests.filter((line) => line.startsWith(`GET ${PATH}?limit`)).length;
    api.apply(CIPS, cip("g"));
    await eventually(() => names().includes("g"), "g");
    api.bookmark();
    // timeoutSeconds=1: the server closes the stream; the client watches again from the last version.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    api.apply(CIPS, cip("h"));
    await eventually(() => names().includes("h"), "h after the server ended the first watch");
    assert.equal(api.requests.filter((line) => line.startsWith(`GET ${PATH}?limit`)).length, lists, "no new LIST");
    watch.close();
  });

  test("410 Gone as a watch ERROR event: lists again, and objects deleted meanwhile disappear", async () => {
    await closeAll();
    const second = start();
    await second.watch.synced;
    await eventually(() => api.watchCount > 0, "second watch");
    // A disconnection during which "c" is deleted and the history compacted: the client's version is too old.
    const before = api.requests.filter((line) => line.startsWith(`GET ${PATH}?limit`)).length;
    api.closeWatches();
    api.remove(CIPS, "c");
    api.compact();
    await eventually(() => !second.names().includes("c"), "c gone after the re-list");
    assert.ok(api.requests.filter((line) => line.startsWith(`GET ${PATH}?limit`)).length > before, "listed again");
    assert.ok(second.errors.some((error) => error.details["status"] === 410), "the 410 was reported");
    assert.ok(second.errors.every((error) => error.code === "KUBE_API_FAILED"));
  });

  test("API errors are retried with backoff until the first list succeeds", async () => {
    await closeAll();
    // A collection of its own: no request left over from another test can take the injected failures.
    const path = "/apis/policy.sigstore.dev/v1alpha1/clusterimagepolicies";
    api.apply(path.slice(1), cip("x"));
    api.failNext(`GET ${path}`, 500, 3);
    const { watch, errors } = start({ path });
    await watch.synced;
    assert.equal(errors.length, 3);
    assert.ok(errors.every((error) => error.code === "KUBE_API_FAILED" && error.details["status"] === 500));
    assert.match(errors[0]!.message, /answered 500 \(injected failure\)/);
  });

  test("403 (RBAC) is reported with its status and retried, never taken for an empty list", async () => {
    await closeAll();
    const path = "/apis/example.com/v1/clusterimagepolicies";
    api.apply(path.slice(1), cip("y"));
    api.failNext(`GET ${path}`, 403, 2);
    const { watch, errors, names } = start({ path });
    await watch.synced;
    assert.deepEqual(errors.map((error) => error.details["status"]), [403, 403]);
    assert.ok(names().length > 0);
  });

  test("a watch event above the size bound ends the watch with an error; it is retried, never half-applied", async () => {
    await closeAll();
    const path = "/apis/policy.sigstore.dev/v1/bounded";
    api.apply(path.slice(1), cip("small"));
    const { watch, errors, names } = start({ path });
    await watch.synced;
    await eventually(() => api.watchCount > 0, "a watch");
    api.apply(path.slice(1), { ...cip("huge"), metadata: { name: "huge", annotations: { padding: "x".repeat(100 * 1024) } } });
    await eventually(() => errors.some((error) => /above the \d+-byte limit/.test(error.message)), "the bound enforced");
    assert.ok(!names().includes("huge"));
    assert.equal(errors[0]!.code, "KUBE_API_FAILED");
    watch.close();
  });

  test("more objects than the bound fail the list (and it keeps trying)", async () => {
    await closeAll();
    const { watch, errors } = start({ maxObjects: 2 });
    await eventually(() => errors.length >= 1, "an error");
    assert.match(errors[0]!.message, /more than 2 objects/);
    watch.close();
    await assert.rejects(watch.synced);
  });
});
