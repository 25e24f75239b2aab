import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { extractImages, parseAdmissionReview, planAdmission, type ContainerImage } from "../../../../src/webhook/admission/index.js";
import { assertRejectsWithCode } from "../../../helpers/assert-code.js";
import { loadReview } from "./fixtures.js";

const R = "registry.example.com";
const brief = (images: ContainerImage[]) => images.map((image) => [image.kind, image.containerName, image.field, image.image]);

describe("extractImages", () => {
  test("Pod: init containers, containers, with JSON pointers", () => {
    const images = extractImages(parseAdmissionReview(loadReview("pod-create.json")));
    assert.deepEqual(brief(images), [
      ["initContainer", "migrate", "/spec/initContainers/0/image", `${R}/team/migrate:2.3`],
      ["container", "app", "/spec/containers/0/image", `${R}/team/app:1.0`],
      ["container", "sidecar", "/spec/containers/1/image", `${R}/team/sidecar@sha256:${"a".repeat(64)}`],
    ]);
    assert.equal(images[1]!.identity, undefined, "identity annotations are read only in compatibility mode");
  });

  const templates: [string, string][] = [
    ["deployment-create.json", "/spec/template/spec"],
    ["replicaset-create.json", "/spec/template/spec"],
    ["statefulset-create.json", "/spec/template/spec"],
    ["daemonset-create.json", "/spec/template/spec"],
    ["job-create.json", "/spec/template/spec"],
    ["replicationcontroller-create.json", "/spec/template/spec"],
    ["cronjob-create.json", "/spec/jobTemplate/spec/template/spec"],
  ];
  for (const [fixture, spec] of templates) {
    test(`${fixture}: the pod template's init container and container`, () => {
      const images = extractImages(parseAdmissionReview(loadReview(fixture)));
      assert.deepEqual(brief(images), [
        ["initContainer", "migrate", `${spec}/initContainers/0/image`, `${R}/team/migrate:2.3`],
        ["container", "app", `${spec}/containers/0/image`, `${R}/team/app:1.0`],
      ]);
    });
  }

  test("pods/ephemeralcontainers UPDATE: the ephemeral container is found along with the rest", () => {
    const images = extractImages(parseAdmissionReview(loadReview("pod-ephemeralcontainers-update.json")));
    const ephemeral = images.filter((image) => image.kind === "ephemeralContainer");
    assert.deepEqual(brief(ephemeral), [["ephemeralContainer", "debugger-8xk2q", "/spec/ephemeralContainers/0/image", `${R}/tools/debug:latest`]]);
    assert.equal(images.length, 4);
  });

  test("the old EphemeralContainers kind (Kubernetes 1.16-1.22) is read too", () => {
    const review = loadReview("pod-ephemeralcontainers-update.json");
    const request = review["request"] as Record<string, unknown>;
    request["kind"] = { group: "", version: "v1", kind: "EphemeralContainers" };
    request["object"] = { kind: "EphemeralContainers", apiVersion: "v1", metadata: { name: "web" }, ephemeralContainers: [{ name: "dbg", image: "busybox" }] };
    assert.deepEqual(brief(extractImages(parseAdmissionReview(review))), [["ephemeralContainer", "dbg", "/ephemeralContainers/0/image", "busybox"]]);
  });

  test("image volumes are images too", () => {
    const images = extractImages(parseAdmissionReview(loadReview("pod-image-volume-create.json")));
    const volume = images.find((image) => image.kind === "imageVolume");
    assert.deepEqual(volume && brief([volume]), [["imageVolume", "models", "/spec/volumes/1/image/reference", `${R}/data/models:v3`]]);
  });

  test("per-container identity annotations, in compatibility mode only", () => {
    const pod = extractImages(parseAdmissionReview(loadReview("pod-create.json")), { identityAnnotations: true });
    assert.deepEqual(pod.find((image) => image.containerName === "app")?.identity, {
      subject: "https://github.com/example/app/.github/workflows/release.yml@refs/heads/main",
      issuer: "https://token.actions.githubusercontent.com",
    });
    assert.equal(pod.find((image) => image.containerName === "sidecar")?.identity, undefined);
    const deployment = extractImages(parseAdmissionReview(loadReview("deployment-create.json")), { identityAnnotations: true });
    assert.deepEqual(deployment.find((image) => image.containerName === "app")?.identity, { subject: "release@example.com", issuer: "https://accounts.example.com" });
  });

  test("unknown kinds and malformed objects are refused, never skipped", async () => {
    await assertRejectsWithCode(() => extractImages(parseAdmissionReview(loadReview("configmap-create.json"))), "ADMISSION_KIND_UNSUPPORTED");
    const review = loadReview("pod-create.json");
    const object = (review["request"] as Record<string, unknown>)["object"] as Record<string, Record<string, unknown>>;
    object["spec"]!["containers"] = { name: "x", image: "y" };
    await assertRejectsWithCode(() => extractImages(parseAdmissionReview(review)), "ADMISSION_REVIEW_INVALID");
    object["spec"]!["containers"] = [{ name: "no-image" }];
    assert.deepEqual(brief(extractImages(parseAdmissionReview(review))).at(-1), ["container", "no-image", "/spec/containers/0/image", ""]);
    object["kind"] = "Deployment" as unknown as Record<string, unknown>;
    await assertRejectsWithCode(() => extractImages(parseAdmissionReview(review)), "ADMISSION_REVIEW_INVALID");
  });

  test("a container named __proto__ is just a name", () => {
    const review = loadReview("pod-create.json");
    const object = JSON.parse(JSON.stringify((review["request"] as Record<string, unknown>)["object"]).replaceAll('"app"', '"__proto__"').replaceAll("cosign.sigstore.dev/app", "cosign.sigstore.dev/__proto__"));
    (review["request"] as Record<string, unknown>)["object"] = object;
    const images = extractImages(parseAdmissionReview(review), { identityAnnotations: true });
    const proto = images.find((image) => image.containerName === "__proto__");
    assert.equal(proto?.identity?.issuer, "https://token.actions.githubusercontent.com");
    assert.equal(({} as Record<string, unknown>)["subject"], undefined);
  });
});

describe("planAdmission (security case C.24: no fail-open path)", () => {
  const plan = (name: string, options = {}) => planAdmission(parseAdmissionReview(loadReview(name)), options);

  test("CREATE and UPDATE of every supported kind are evaluated, with the resource and its labels", async () => {
    for (const name of ["pod-create.json", "deployment-create.json", "deployment-update.json", "cronjob-create.json", "pod-ephemeralcontainers-update.json"]) {
      const result = await plan(name);
      assert.equal(result.action, "evaluate", name);
    }
    const deployment = await plan("deployment-create.json");
    assert.deepEqual(deployment.action === "evaluate" && deployment.resource, { group: "apps", version: "v1", resource: "deployments", labels: { app: "web", tier: "frontend" } });
  });

  test("an object being deleted (deletionTimestamp) is still evaluated", async () => {
    const result = await plan("pod-being-deleted-update.json");
    assert.equal(result.action, "evaluate");
    assert.ok(result.action === "evaluate" && result.images.some((image) => image.image === "registry.example.com/team/unsigned:1.0"));
  });

  test("DELETE, CONNECT and the status subresource start no image: allowed with the reason", async () => {
    assert.deepEqual(await plan("pod-delete.json"), { action: "allow", reason: "a DELETE starts no container" });
    assert.equal((await plan("pod-exec-connect.json")).action, "allow");
    assert.deepEqual(await plan("pod-status-update.json"), { action: "allow", reason: "the status subresource cannot change images" });
  });

  test("unknown kinds are denied", async () => {
    const result = await plan("configmap-create.json");
    assert.equal(result.action, "deny");
    assert.equal(result.action === "deny" && result.code, "ADMISSION_KIND_UNSUPPORTED");
  });

  test("namespace opt-in: excluded namespaces are allowed, a failing lookup denies", async () => {
    const excluded = await plan("pod-create.json", { isNamespaceIncluded: (namespace: string) => namespace !== "shop" });
    assert.equal(excluded.action, "allow");
    const included = await plan("pod-create.json", { isNamespaceIncluded: async () => true });
    assert.equal(included.action, "evaluate");
    const broken = await plan("pod-create.json", {
      isNamespaceIncluded: async () => {
        throw new Error("namespaces \"shop\" is forbidden");
      },
    });
    assert.equal(broken.action, "deny");
    assert.match(broken.action === "deny" ? broken.reason : "", /could not tell whether namespace shop opted in/);
  });
});
