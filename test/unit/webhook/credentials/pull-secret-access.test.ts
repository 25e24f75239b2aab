import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ImageAccess } from "../../../../src/oci/image-access.js";
import { createK8sApiReader } from "../../../../src/policy/locations/k8s-location.js";
import type { AdmissionRequest } from "../../../../src/webhook/admission/types.js";
import { createAccessPool, createPullSecretReader, createRequestAccess } from "../../../../src/webhook/credentials/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { sendManifest, sha256Of, startHostileRegistry, type HostileRegistry } from "../../../helpers/hostile-registry.js";
import { dockerConfigSecret, serviceAccount, startFakeKubeApi, type FakeKubeApi } from "./fake-kube-api.js";

const MANIFEST = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256Of("{}"), size: 2 }, layers: [] }));
const GOOD = `Basic ${Buffer.from("puller:s3cret").toString("base64")}`;

/** A registry that answers only with the right Basic credentials. */
function basicAuthRegistry(): Promise<HostileRegistry> {
  return startHostileRegistry((request, response) => {
    if (request.headers.authorization !== GOOD) {
      response.writeHead(401, { "www-authenticate": 'Basic realm="test"', "content-type": "application/json" }).end('{"errors":[{"code":"UNAUTHORIZED","message":"no"}]}');
      return;
    }
    if (request.url === "/v2/" || request.url === "/v2") return void response.writeHead(200).end("{}");
    if (request.url === "/v2/team/app/manifests/1.0") return sendManifest(response, MANIFEST);
    response.writeHead(404, { "content-type": "application/json" }).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}');
  });
}

function podRequest(spec: Record<string, unknown>, namespace = "apps"): AdmissionRequest {
  return {
    uid: "u",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    namespace,
    operation: "CREATE",
    userInfo: {},
    untrustedObject: { spec },
    untrustedOldObject: null,
    dryRun: false,
  };
}

describe("pull secrets from the pod and its service account", () => {
  let api: FakeKubeApi;
  let registry: HostileRegistry;
  let other: HostileRegistry;
  let defaultAccess: ImageAccess;
  let close: () => Promise<void>;
  let accessFor: ReturnType<typeof createRequestAccess>;
  let pool: ReturnType<typeof createAccessPool>;

  before(async () => {
    api = await startFakeKubeApi();
    registry = await basicAuthRegistry();
    other = await startHostileRegistry((_request, response) => void response.writeHead(401, { "www-authenticate": 'Basic realm="other"' }).end());
    const good = dockerConfigSecret({ [registry.host]: { username: "puller", password: "s3cret" } });
    api.objects.set("/api/v1/namespaces/apps/serviceaccounts/default", serviceAccount([]));
    api.objects.set("/api/v1/namespaces/apps/serviceaccounts/builder", serviceAccount(["sa-secret", "gone"]));
    api.objects.set("/api/v1/namespaces/apps/secrets/pod-secret", good);
    api.objects.set("/api/v1/namespaces/apps/secrets/sa-secret", good);
    api.objects.set("/api/v1/namespaces/apps/secrets/wrong", dockerConfigSecret({ [registry.host]: { username: "puller", password: "nope" } }));
    api.objects.set("/api/v1/namespaces/locked/serviceaccounts/default", 403);
    api.objects.set("/api/v1/namespaces/apps/secrets/forbidden", 403);
    const reader = createK8sApiReader({ kubeconfig: api.kubeconfig, env: {}, timeoutMs: 2_000 });
    defaultAccess = new ImageAccess({ timeoutMs: 2_000 });
    pool = createAccessPool({ registry: { timeoutMs: 2_000 }, defaultAccess, maxEntries: 2, closeDelayMs: 10 });
    accessFor = createRequestAccess(createPullSecretReader({ api: reader, ttlMs: 60_000 }), pool);
    close = async () => {
      await pool.close();
      await defaultAccess.close();
      await reader.close();
    };
  });
  after(async () => {
    await close();
    await Promise.all([api.stop(), registry.stop(), other.stop()]);
  });

  const resolveWith = async (spec: Record<string, unknown>, image: string, namespace?: string) => {
    const access = await accessFor(podRequest(spec, namespace))!();
    return access.resolve(image);
  };

  test("the pod's pull secret opens the private image; without it the registry refuses", async () => {
    const resolved = await resolveWith({ imagePullSecrets: [{ name: "pod-secret" }] }, `${registry.host}/team/app:1.0`);
    assert.equal(resolved.digest, sha256Of(MANIFEST));
    await assertRejectsWithCode(() => resolveWith({}, `${registry.host}/team/app:1.0`), "REGISTRY_UNAUTHORIZED");
    await assertRejectsWithCode(() => resolveWith({ imagePullSecrets: [{ name: "wrong" }] }, `${registry.host}/team/app:1.0`), "REGISTRY_UNAUTHORIZED");
  });

  test("the service account's secrets are used too; a missing secret is skipped", async () => {
    const resolved = await resolveWith({ serviceAccountName: "builder" }, `${registry.host}/team/app:1.0`);
    assert.equal(resolved.digest, sha256Of(MANIFEST));
  });

  test("credentials are never sent to another host", async () => {
    await assertRejectsWithCode(() => resolveWith({ imagePullSecrets: [{ name: "pod-secret" }] }, `${other.host}/team/app:1.0`), "REGISTRY_UNAUTHORIZED");
    assert.ok(other.requests.length > 0);
    assert.ok(other.requests.every((request) => request.headers.authorization === undefined), "no Authorization header reached the other host");
  });

  test("a 403 from the API fails closed with the reason", async () => {
    const error = await assertRejectsWithCode(() => resolveWith({}, `${registry.host}/team/app:1.0`, "locked"), "PULL_SECRET_UNREADABLE");
    assert.match(error.message, /service account locked\/default.*403/);
    await assertRejectsWithCode(() => resolveWith({ imagePullSecrets: [{ name: "forbidden" }] }, `${registry.host}/team/app:1.0`), "PULL_SECRET_UNREADABLE");
  });

  test("answers are cached per object; one ImageAccess per credential set, bounded", async () => {
    const before = api.requests.filter((url) => url.endsWith("/secrets/pod-secret")).length;
    const first = await accessFor(podRequest({ imagePullSecrets: [{ name: "pod-secret" }] }))!();
    const second = await accessFor(podRequest({ imagePullSecrets: [{ name: "pod-secret" }] }))!();
    assert.equal(first, second);
    assert.equal(api.requests.filter((url) => url.endsWith("/secrets/pod-secret")).length, before);
    // A pod without secrets uses the shared default access.
    assert.equal(await accessFor(podRequest({}))!(), defaultAccess);
    await accessFor(podRequest({ imagePullSecrets: [{ name: "wrong" }] }))!();
    await accessFor(podRequest({ serviceAccountName: "builder", imagePullSecrets: [{ name: "wrong" }] }))!();
    assert.equal(pool.size, 2);
  });
});
