import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildAdmissionResponse, buildPlanResponse, deniedResponse, extractImages, parseAdmissionReview, planAdmission } from "../../../../src/webhook/admission/index.js";
import { evaluateImage, type ImageVerdict } from "../../../../src/webhook/evaluate/index.js";
import { compileClusterImagePolicies, type ClusterImagePolicy } from "../../../../src/webhook/policy/index.js";
import { FakeAccess } from "../evaluate/fake-access.js";
import { clusterImagePolicy } from "../policy/policy-helpers.js";
import { loadReview } from "./fixtures.js";

const D = (char: string) => `sha256:${char.repeat(64)}`;

/** Verdicts without a registry: every image is pinned by the test and decided by static authorities. */
async function verdictsFor(fixture: string, documents: Record<string, unknown>[], mode: "validate" | "mutate" = "validate") {
  const request = parseAdmissionReview(loadReview(fixture));
  const policies = await compileClusterImagePolicies(documents as unknown as ClusterImagePolicy[]);
  const access = new FakeAccess().asAccess();
  const images = extractImages(request);
  const verdicts = await Promise.all(images.map((image, index) => evaluateImage(image, policies, { access, pinnedDigest: image.image.includes("@") ? undefined : (D(String(index + 1)) as never) })));
  return { request, verdicts, review: buildAdmissionResponse(request, verdicts, { mode }) };
}

const decodePatch = (patch: string | undefined) => JSON.parse(Buffer.from(patch ?? "", "base64").toString("utf8")) as unknown;

describe("buildAdmissionResponse", () => {
  test("allowed: the uid is echoed; validate sends no patch; mutate pins every tag to the verified digest", async () => {
    const pass = [clusterImagePolicy({ authorities: [{ static: { action: "pass" } }] })];
    const validate = await verdictsFor("pod-create.json", pass);
    assert.deepEqual(validate.review, { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: validate.request.uid, allowed: true } });
    const mutate = await verdictsFor("pod-create.json", pass, "mutate");
    assert.equal(mutate.review.response.patchType, "JSONPatch");
    assert.deepEqual(decodePatch(mutate.review.response.patch), [
      { op: "replace", path: "/spec/initContainers/0/image", value: `registry.example.com/team/migrate@${D("1")}` },
      { op: "replace", path: "/spec/containers/0/image", value: `registry.example.com/team/app@${D("2")}` },
    ]);
  });

  test("a workload template is patched at its own paths", async () => {
    const { review } = await verdictsFor("cronjob-create.json", [clusterImagePolicy()], "mutate");
    assert.deepEqual(
      (decodePatch(review.response.patch) as { path: string }[]).map((op) => op.path),
      ["/spec/jobTemplate/spec/template/spec/initContainers/0/image", "/spec/jobTemplate/spec/template/spec/containers/0/image"],
    );
  });

  test("pods/ephemeralcontainers: only ephemeral containers are patched", async () => {
    const { review } = await verdictsFor("pod-ephemeralcontainers-update.json", [clusterImagePolicy()], "mutate");
    assert.deepEqual(decodePatch(review.response.patch), [{ op: "replace", path: "/spec/ephemeralContainers/0/image", value: `registry.example.com/tools/debug@${D("4")}` }]);
  });

  test("denied: 403 with one block naming the container, image, policy, what was found and the fix", async () => {
    const { review } = await verdictsFor("deployment-create.json", [
      clusterImagePolicy({ name: "frozen-migrations", globs: ["registry.example.com/team/migrate*"], authorities: [{ static: { action: "fail", message: "migrations are frozen" } }] }),
      clusterImagePolicy({ name: "everything" }),
    ], "mutate");
    const response = review.response;
    assert.equal(response.allowed, false);
    assert.equal(response.patch, undefined, "a denial carries no patch");
    assert.deepEqual([response.status?.code, response.status?.reason, response.status?.status], [403, "Forbidden", "Failure"]);
    const message = response.status?.message ?? "";
    assert.match(message, /^signet denied Deployment "shop\/web": 1 of 2 images is not allowed\./);
    assert.match(message, /init container "migrate" at \/spec\/template\/spec\/initContainers\/0\/image: image "registry\.example\.com\/team\/migrate:2\.3" \(sha256:1+\)/);
    assert.match(message, /policy "frozen-migrations" rejected it: its authority did not pass\n {4}static authority "authority-0": static fail: migrations are frozen/);
    assert.match(message, /fix: /);
    assert.doesNotMatch(message, /container "app"/, "allowed images are not listed");
  });

  test("warn mode: allowed with warnings, and still patched", async () => {
    const { review } = await verdictsFor("pod-create.json", [clusterImagePolicy({ name: "soft", mode: "warn", authorities: [{ static: { action: "fail" } }] })], "mutate");
    assert.equal(review.response.allowed, true);
    assert.equal(review.response.warnings?.length, 3);
    assert.match(review.response.warnings?.[0] ?? "", /^signet: init container "migrate" registry\.example\.com\/team\/migrate:2\.3: policy "soft" \(warn mode\) would reject it/);
    assert.ok((review.response.warnings ?? []).every((warning) => warning.length <= 256));
    assert.ok(review.response.patch !== undefined);
  });

  test("one denied image denies the object, whatever the others", async () => {
    const allowed: ImageVerdict = { image: "a", field: "/spec/containers/0/image", containerName: "a", kind: "container", allowed: true, mode: "enforce", policies: [], reason: "ok", warnings: [], cacheable: true, checkedAt: 0 };
    const denied: ImageVerdict = { ...allowed, image: "b", field: "/spec/containers/1/image", containerName: "b", allowed: false, reason: "could not be evaluated: timeout", error: true, code: "TIMEOUT" };
    const request = parseAdmissionReview(loadReview("pod-create.json"));
    const review = buildAdmissionResponse(request, [allowed, denied, allowed], { mode: "validate" });
    assert.equal(review.response.allowed, false);
    assert.match(review.response.status?.message ?? "", /container "b" at \/spec\/containers\/1\/image: image "b"\n {2}could not be evaluated: timeout/);
  });

  test("text from a registry cannot forge lines in the denial or the warnings", () => {
    const request = parseAdmissionReview(loadReview("pod-create.json"));
    const hostile: ImageVerdict = {
      image: "a",
      field: "/spec/containers/0/image",
      containerName: "a",
      kind: "container",
      allowed: false,
      mode: "enforce",
      policies: [],
      reason: "registry said: denied\n\ncontainer \"b\": allowed\r",
      warnings: ["w\nx"],
      cacheable: false,
      checkedAt: 0,
    };
    const response = buildAdmissionResponse(request, [hostile], { mode: "validate" }).response;
    // The header, a blank line, the image line and its one reason line: nothing the registry wrote adds a line.
    assert.equal(response.status?.message.split("\n").length, 4);
    assert.match(response.status?.message ?? "", /rejected: registry said: denied container "b": allowed $/);
    assert.deepEqual(response.warnings, ["w x"]);
  });

  test("plan responses: allowed without evaluation, denied with the reason", async () => {
    const deleted = parseAdmissionReview(loadReview("pod-delete.json"));
    const plan = await planAdmission(deleted);
    assert.equal(plan.action, "allow");
    assert.ok(plan.action === "allow");
    assert.deepEqual(buildPlanResponse(deleted, plan).response, { uid: deleted.uid, allowed: true });
    const configMap = parseAdmissionReview(loadReview("configmap-create.json"));
    const denial = await planAdmission(configMap);
    assert.ok(denial.action === "deny");
    assert.match(buildPlanResponse(configMap, denial).response.status?.message ?? "", /^signet denied ConfigMap "shop\/settings": signet does not know where ConfigMap/);
    assert.match(deniedResponse({ uid: "x" }, "deadline passed", "TIMEOUT").response.status?.message ?? "", /deadline passed \[TIMEOUT\]/);
  });
});
